#pragma once

#include <cstdio>
#include <string>

namespace tr::bench {

/// A DevEUI_uplink as ThingPark pushes it (compact JSON), with `base_stations` entries in
/// Lrrs/Lrr and a payload of `payload_bytes` bytes. Three base stations and 51 bytes make the
/// ~1 KB report of a typical LoRaWAN deployment.
inline std::string make_uplink(int base_stations, int payload_bytes) {
  std::string payload;
  for (int i = 0; i < payload_bytes; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", (i * 37 + 11) & 0xff);
    payload += hex;
  }
  std::string lrrs;
  for (int i = 0; i < base_stations; ++i) {
    char lrr[256];
    std::snprintf(lrr, sizeof lrr,
                  R"(%s{"Lrrid":"FF01%04X","Chain":%d,"LrrRSSI":-%d.000000,"LrrSNR":%d.250000,)"
                  R"("LrrESP":-%d.487045})",
                  i == 0 ? "" : ",", 0x09A4 + i, i % 2, 67 + 7 * i, 9 - 3 * i, 67 + 8 * i);
    lrrs += lrr;
  }
  return R"({"DevEUI_uplink":{"Time":"2021-04-07T08:49:50.413+00:00","DevEUI":"20635F0108000496",)"
         R"("FPort":17,"FCntUp":18,"ADRbit":1,"MType":2,"FCntDn":7,"payload_hex":")" +
         payload +
         R"(","mic_hex":"9cbd8a0a","Lrcid":"00000201","LrrRSSI":-67.000000,"LrrSNR":9.250000,)"
         R"("LrrESP":-67.487045,"SpFact":7,"SubBand":"G1","Channel":"LC2","DevLrrCnt":)" +
         std::to_string(base_stations) +
         R"(,"Lrrid":"FF0109A4","Late":0,"LrrLAT":48.874580,"LrrLON":2.333330,"Lrrs":{"Lrr":[)" +
         lrrs +
         R"(]},"CustomerID":"100002167","CustomerData":{"alr":{"pro":"ADRF/DEMO","ver":"1"}},)"
         R"("ModelCfg":"0","DevAddr":"04A4B3C2","TxPower":14.000000,"NbTrans":1,)"
         R"("Frequency":868.3,"DynamicClass":"A","InstantPER":0.000000,"MeanPER":0.000000,)"
         R"("DriverCfg":{"mod":{"pId":"abeeway","mId":"industrial-tracker","ver":"1"},)"
         R"("app":{"pId":"abeeway","mId":"asset-tracker","ver":"2"}}}})";
}

}  // namespace tr::bench
