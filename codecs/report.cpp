#include "codecs/report.hpp"

namespace tr::codecs {

std::string_view to_string(report_type type) {
  switch (type) {
    case report_type::uplink:
      return "DevEUI_uplink";
    case report_type::downlink_sent:
      return "DevEUI_downlink_Sent";
    case report_type::notification:
      return "DevEUI_notification";
    case report_type::location:
      return "DevEUI_location";
  }
  return "DevEUI_uplink";
}

report::report() = default;
report::~report() = default;
report::report(report&&) noexcept = default;
report& report::operator=(report&&) noexcept = default;

const node* report::find(std::string_view key) const {
  if (node_count_ == 0) return nullptr;
  for (std::uint32_t i = 1; i < node_count_; i = nodes_[i].end) {
    if (nodes_[i].key == key) return &nodes_[i];
  }
  return nullptr;
}

}  // namespace tr::codecs
