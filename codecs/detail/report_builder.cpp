#include "codecs/detail/report_builder.hpp"

#include <algorithm>
#include <cstring>

#include "codecs/detail/compact_json.hpp"
#include "codecs/detail/hex.hpp"

namespace tr::codecs::detail {

namespace {

/// Decimal digits only, at most `max_digits`, value at most `max_value`.
bool is_decimal(std::string_view text, std::uint64_t max_value) {
  if (text.empty() || text.size() > 10) return false;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value <= max_value;
}

bool is_text(const node& n) {
  return n.kind == node_kind::string;
}

bool is_number_or_text(const node& n) {
  return n.kind == node_kind::string || n.kind == node_kind::number;
}

/// A decimal counter given as a string becomes a number without leading zeros.
void make_number(node& n, bool& retyped) {
  if (n.kind != node_kind::string) return;
  std::size_t zeros = 0;
  while (zeros + 1 < n.text.size() && n.text[zeros] == '0') ++zeros;
  n.text.remove_prefix(zeros);
  n.kind = node_kind::number;
  n.plain_json = true;
  retyped = true;
}

enum field_bit : unsigned {
  bit_customer_id = 1,
  bit_dev_eui = 2,
  bit_fport = 4,
  bit_fcnt_up = 8,
  bit_fcnt_dn = 16,
  bit_payload_hex = 32,
};

}  // namespace

std::string_view report_builder::start(std::string_view input) {
  report_.node_count_ = 0;
  report_.arena_.reset();
  report_.fields_ = token_fields{};
  report_.compact_json_ = false;
  char* copy = report_.arena_.allocate(input.size() + json_padding);
  std::memcpy(copy, input.data(), input.size());
  std::memset(copy + input.size(), 0, json_padding);
  report_.source_ = {copy, input.size()};
  return report_.source_;
}

void report_builder::mark_compact_json() {
  report_.compact_json_ = !retyped_ && is_compact_json(report_.source_);
}

void report_builder::grow() {
  auto& nodes = report_.nodes_;
  nodes.resize(
      std::min<std::size_t>(std::max<std::size_t>(64, nodes.size() * 2), report_limits::max_nodes));
}

node* report_builder::reserve(std::size_t more) {
  auto& nodes = report_.nodes_;
  std::size_t wanted = std::min(report_.node_count_ + more, report_limits::max_nodes) + 1;
  if (nodes.size() < wanted) {
    nodes.resize(std::max(wanted, std::min(nodes.size() * 2, report_limits::max_nodes + 1)));
  }
  return nodes.data();
}

void report_builder::wrap_in_array(std::uint32_t index, std::string_view key) {
  std::uint32_t unused;
  push(node_kind::null, {}, {}, unused);  // room for one more node (the caller checked the limit)
  auto& nodes = report_.nodes_;
  std::size_t count = report_.node_count_;
  std::move_backward(nodes.begin() + index, nodes.begin() + static_cast<std::ptrdiff_t>(count) - 1,
                     nodes.begin() + static_cast<std::ptrdiff_t>(count));
  for (std::size_t i = index + 1; i < count; ++i) nodes[i].end += 1;
  nodes[index] = node{key, {}, static_cast<std::uint32_t>(count), node_kind::array, false};
  nodes[index + 1].key = {};
}

error report_builder::too_many_nodes() {
  return error(errc::document_too_complex, "report has more than 4096 values");
}

error report_builder::finish() {
  auto& nodes = report_.nodes_;
  token_fields& fields = report_.fields_;
  if (report_.node_count_ == 0 || nodes[0].kind != node_kind::object ||
      !parse_report_type(nodes[0].key, fields.type)) {
    return error(errc::wrong_root, "root must hold one report object");
  }
  unsigned seen = 0;
  auto once = [&seen](unsigned bit, std::string_view name) {
    if (seen & bit) return error(errc::duplicate_field, name, " appears twice");
    seen |= bit;
    return error();
  };
  node* const all = nodes.data();
  const std::uint32_t count = static_cast<std::uint32_t>(report_.node_count_);
  for (std::uint32_t i = 1; i < count; i = all[i].end) {
    node& n = all[i];
    std::string_view key = n.key;
    // Dispatch on the length first: most fields are none of the six token fields.
    switch (key.size()) {
      case 5:
        if (key == "FPort") {
          if (auto e = once(bit_fport, key); !e.ok()) return e;
          if (!is_number_or_text(n)) return error(errc::wrong_type, "FPort must be a number");
          if (!is_decimal(n.text, 255)) {
            return error(errc::invalid_number, "FPort must be a decimal integer 0..255");
          }
          make_number(n, retyped_);
          fields.fport = n.text;
        }
        break;
      case 6:
        if (key == "DevEUI") {
          if (auto e = once(bit_dev_eui, key); !e.ok()) return e;
          if (!is_text(n)) return error(errc::wrong_type, "DevEUI must be a string");
          if (n.text.size() != 16 || !is_hex(n.text)) {
            return error(errc::invalid_dev_eui, "DevEUI must be 16 hex digits");
          }
          fields.dev_eui = n.text;
        } else if (key == "FCntUp" || key == "FCntDn") {
          bool up = key == "FCntUp";
          if (auto e = once(up ? bit_fcnt_up : bit_fcnt_dn, key); !e.ok()) return e;
          if (!is_number_or_text(n)) return error(errc::wrong_type, key, " must be a number");
          if (!is_decimal(n.text, 0xffffffffu)) {
            return error(errc::invalid_number, key, " must be a decimal integer 0..4294967295");
          }
          make_number(n, retyped_);
          (up ? fields.fcnt_up : fields.fcnt_dn) = n.text;
        }
        break;
      case 10:
        if (key == "CustomerID") {
          if (auto e = once(bit_customer_id, key); !e.ok()) return e;
          if (!is_text(n)) return error(errc::wrong_type, "CustomerID must be a string");
          fields.customer_id = n.text;
        }
        break;
      case 11:
        if (key == "payload_hex") {
          if (auto e = once(bit_payload_hex, key); !e.ok()) return e;
          if (!is_text(n)) return error(errc::wrong_type, "payload_hex must be a string");
          if (n.text.size() > report_limits::max_payload_hex) {
            return error(errc::field_too_large, "payload_hex is longer than 512 hex digits");
          }
          if (n.text.size() % 2 != 0 || !is_hex(n.text)) {
            return error(errc::invalid_hex, "payload_hex must be an even number of hex digits");
          }
          fields.payload_hex = n.text;
        }
        break;
      default:
        break;
    }
  }
  if (!(seen & bit_dev_eui)) return error(errc::missing_field, "DevEUI is missing");
  return {};
}

bool parse_report_type(std::string_view name, report_type& type) {
  if (name == "DevEUI_uplink") {
    type = report_type::uplink;
  } else if (name == "DevEUI_downlink_Sent") {
    type = report_type::downlink_sent;
  } else if (name == "DevEUI_notification") {
    type = report_type::notification;
  } else if (name == "DevEUI_location") {
    type = report_type::location;
  } else {
    return false;
  }
  return true;
}

}  // namespace tr::codecs::detail
