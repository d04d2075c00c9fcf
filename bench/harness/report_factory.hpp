#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tr::harness {

/// Realistic NS reports for load runs, cheap to make: a pool of pre-rendered variants (the four
/// report types, mostly uplinks; 1 to 10 base stations in `Lrrs`; payloads of 2 to 51 bytes;
/// varied ports and counters) into which each call splices a DevEUI (spread over `devices`
/// devices) and the send time (`CustomerData.harness_ts`, monotonic µs) the AS simulator reads.
class report_factory {
 public:
  struct options {
    std::size_t devices = 1000;                      ///< distinct DevEUIs
    std::uint64_t first_dev_eui = 0x70B3D5E750000000;  ///< DevEUI of device 0 (then +1 each)
    double uplink_share = 0.85;                      ///< the rest split evenly over the other types
    std::uint32_t seed = 1;
  };

  explicit report_factory(options opts);

  /// Writes report number `n` (JSON, typed) into `out`, replacing its content; `send_time_us`
  /// goes into CustomerData.harness_ts.
  void make(std::uint64_t n, std::uint64_t send_time_us, std::string& out) const;

  /// The DevEUI of device `index` (16 upper-case hex digits).
  std::string dev_eui(std::size_t index) const;

  std::size_t devices() const { return options_.devices; }

 private:
  struct variant {
    std::string head;  ///< up to the DevEUI value
    std::string mid;   ///< after the DevEUI, up to the send time
    std::string tail;  ///< after the send time
  };
  options options_;
  std::vector<variant> variants_;
};

}  // namespace tr::harness
