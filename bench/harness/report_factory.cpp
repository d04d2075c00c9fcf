#include "bench/harness/report_factory.hpp"

#include <cstdio>
#include <random>

namespace tr::harness {

namespace {

constexpr std::size_t variant_count = 256;

std::string hex_bytes(std::mt19937& random, std::size_t count) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    auto byte = random() & 0xff;
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

std::string lrrs(std::mt19937& random, int count) {
  std::string out = R"("Lrrs":{"Lrr":[)";
  for (int i = 0; i < count; ++i) {
    char item[160];
    std::snprintf(item, sizeof item, R"(%s{"Lrrid":"FF01%04X","Chain":%d,"LrrRSSI":-%d.000000,"LrrSNR":%d.%02d,"LrrESP":-%d.%03d})",
                  i ? "," : "", static_cast<unsigned>(random() & 0xffff), static_cast<int>(random() % 2),
                  static_cast<int>(40 + random() % 80), static_cast<int>(random() % 12),
                  static_cast<int>(random() % 100), static_cast<int>(45 + random() % 80),
                  static_cast<int>(random() % 1000));
    out += item;
  }
  return out + "]}";
}

}  // namespace

report_factory::report_factory(options opts) : options_(opts) {
  if (options_.devices == 0) options_.devices = 1;
  std::mt19937 random{options_.seed};
  std::uniform_real_distribution<double> share{0, 1};
  const std::string customer_data_head = R"("CustomerID":"100002167","CustomerData":{"alr":{"pro":"LORA/Generic","ver":"1"},"harness_ts":)";
  for (std::size_t i = 0; i < variant_count; ++i) {
    variant v;
    int port = 1 + static_cast<int>(random() % 223);
    unsigned counter = static_cast<unsigned>(random() % 100000);
    char time[64];
    std::snprintf(time, sizeof time, "2026-11-25T%02u:%02u:%02u.%03u+00:00", static_cast<unsigned>(random() % 24),
                  static_cast<unsigned>(random() % 60), static_cast<unsigned>(random() % 60),
                  static_cast<unsigned>(random() % 1000));
    char text[512];
    double pick = share(random);
    double other = (1 - options_.uplink_share) / 3;
    if (pick < options_.uplink_share) {
      int stations = 1 + static_cast<int>(random() % 10);
      v.head = std::string{R"({"DevEUI_uplink":{"Time":")"} + time + R"(","DevEUI":")";
      std::snprintf(text, sizeof text,
                    R"(","FPort":%d,"FCntUp":%u,"ADRbit":1,"MType":2,"FCntDn":%u,"payload_hex":"%s","mic_hex":"%s",)"
                    R"("Lrcid":"00000201","LrrRSSI":-%u.000000,"LrrSNR":%u.250000,"SpFact":%u,"SubBand":"G%u",)"
                    R"("Channel":"LC%u","DevLrrCnt":%d,"Lrrid":"FF0109A4",)",
                    port, counter, counter / 3, hex_bytes(random, 2 + random() % 50).c_str(),
                    hex_bytes(random, 4).c_str(), static_cast<unsigned>(40 + random() % 80),
                    static_cast<unsigned>(random() % 12), static_cast<unsigned>(7 + random() % 6),
                    static_cast<unsigned>(random() % 4), static_cast<unsigned>(1 + random() % 8), stations);
      v.mid = text + lrrs(random, stations) + "," + customer_data_head;
      v.tail = R"(},"ModelCfg":"0","InstantPER":0.0,"MeanPER":0.001,"DevAddr":"04A1B2C3","TxPower":14.0,"NbTrans":1}})";
    } else if (pick < options_.uplink_share + other) {
      v.head = std::string{R"({"DevEUI_downlink_Sent":{"Time":")"} + time + R"(","DevEUI":")";
      std::snprintf(text, sizeof text,
                    R"(","FPort":%d,"FCntDn":%u,"Lrcid":"00000201","SpFact":9,"SubBand":"G1","Channel":"LC2",)"
                    R"("Lrrid":"FF0109A4","DeliveryStatus":1,"DeliveryFailedCause1":"00",)",
                    port, counter);
      v.mid = text + customer_data_head;
      v.tail = "}}}";
    } else if (pick < options_.uplink_share + 2 * other) {
      v.head = std::string{R"({"DevEUI_notification":{"Time":")"} + time + R"(","DevEUI":")";
      v.mid = R"(","Type":"FPortChange","Lrcid":"00000201",)" + customer_data_head;
      v.tail = "}}}";
    } else {
      v.head = std::string{R"({"DevEUI_location":{"Time":")"} + time + R"(","DevEUI":")";
      std::snprintf(text, sizeof text,
                    R"(","DevLocTime":"%s","DevLAT":48.%06u,"DevLON":2.%06u,"DevAlt":%u,"DevLocRadius":%u.5,)"
                    R"("DevLocRadiusUnit":"m","NwGeolocAlgo":0,)",
                    time, static_cast<unsigned>(random() % 1000000), static_cast<unsigned>(random() % 1000000),
                    static_cast<unsigned>(random() % 300), static_cast<unsigned>(10 + random() % 500));
      v.mid = text + lrrs(random, 1 + static_cast<int>(random() % 10)) + "," + customer_data_head;
      v.tail = "}}}";
    }
    variants_.push_back(std::move(v));
  }
}

std::string report_factory::dev_eui(std::size_t index) const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llX",
                static_cast<unsigned long long>(options_.first_dev_eui + index % options_.devices));
  return text;
}

void report_factory::make(std::uint64_t n, std::uint64_t send_time_us, std::string& out) const {
  const auto& v = variants_[(n * 2654435761u) % variants_.size()];
  char eui[17];
  std::snprintf(eui, sizeof eui, "%016llX",
                static_cast<unsigned long long>(options_.first_dev_eui + n % options_.devices));
  char ts[24];
  int ts_size = std::snprintf(ts, sizeof ts, "%llu", static_cast<unsigned long long>(send_time_us));
  out.clear();
  out.append(v.head).append(eui, 16).append(v.mid).append(ts, static_cast<std::size_t>(ts_size)).append(v.tail);
}

}  // namespace tr::harness
