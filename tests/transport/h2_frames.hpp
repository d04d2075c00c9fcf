#pragma once
// Hand-made HTTP/2 frames and HPACK blocks for the client tests: what a server would send, and
// the client's output split back into frames.

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "transport/h2_client_connection.hpp"
#include "transport/http_types.hpp"

namespace tr::transport::testing {

inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

inline std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                         std::string_view payload) {
  std::string out;
  out += static_cast<char>(payload.size() >> 16);
  out += static_cast<char>(payload.size() >> 8);
  out += static_cast<char>(payload.size());
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  for (int shift : {24, 16, 8, 0}) out += static_cast<char>(stream >> shift);
  out += payload;
  return out;
}

inline std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

inline std::string setting(std::uint16_t id, std::uint32_t value) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id)} + u32(value);
}

struct parsed_frame {
  std::uint8_t type;
  std::uint8_t flags;
  std::uint32_t stream;
  std::string payload;
};

/// Splits the client's output into frames (after the preface, if present) and consumes it.
inline std::vector<parsed_frame> take_frames(h2_client_connection& client) {
  std::string bytes{as_text(client.pending_output())};
  client.consume_output(bytes.size());
  std::vector<parsed_frame> frames;
  std::size_t at = bytes.starts_with(client_preface) ? client_preface.size() : 0;
  while (at + 9 <= bytes.size()) {
    auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[at + i]); };
    std::size_t length = (std::size_t(b(0)) << 16) | (std::size_t(b(1)) << 8) | b(2);
    std::uint32_t stream = (std::uint32_t(b(5) & 0x7f) << 24) | (std::uint32_t(b(6)) << 16) |
                           (std::uint32_t(b(7)) << 8) | b(8);
    frames.push_back({b(3), b(4), stream, bytes.substr(at + 9, length)});
    at += 9 + length;
  }
  EXPECT_EQ(at, bytes.size()) << "output ends inside a frame";
  return frames;
}

inline std::size_t count_frames(const std::vector<parsed_frame>& frames, std::uint8_t type,
                                std::optional<std::uint32_t> stream = {}) {
  std::size_t n = 0;
  for (const auto& f : frames) n += f.type == type && (!stream || f.stream == *stream);
  return n;
}

using field_list = std::vector<std::pair<std::string, std::string>>;

/// HPACK blocks made by nghttp2's encoder (Huffman and indexing as it likes).
class server_encoder {
 public:
  server_encoder() { nghttp2_hd_deflate_new(&deflater_, 4096); }
  ~server_encoder() { nghttp2_hd_deflate_del(deflater_); }
  std::string block(field_list fields) {
    std::vector<nghttp2_nv> nva;
    for (auto& [name, value] : fields) {
      nva.push_back({reinterpret_cast<uint8_t*>(name.data()),
                     reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                     NGHTTP2_NV_FLAG_NONE});
    }
    std::string out(nghttp2_hd_deflate_bound(deflater_, nva.data(), nva.size()), '\0');
    auto size = nghttp2_hd_deflate_hd(deflater_, reinterpret_cast<uint8_t*>(out.data()), out.size(),
                                      nva.data(), nva.size());
    out.resize(size < 0 ? 0 : static_cast<std::size_t>(size));
    return out;
  }

 private:
  nghttp2_hd_deflater* deflater_ = nullptr;
};

/// Decodes header blocks in order with nghttp2's decoder, as the AS would.
class block_reader {
 public:
  block_reader() { nghttp2_hd_inflate_new(&inflater_); }
  ~block_reader() { nghttp2_hd_inflate_del(inflater_); }
  void change_table_size(std::size_t size) {
    ASSERT_EQ(nghttp2_hd_inflate_change_table_size(inflater_, size), 0);
  }
  std::optional<field_list> read(std::string_view block) {
    field_list fields;
    const auto* in = reinterpret_cast<const uint8_t*>(block.data());
    std::size_t left = block.size();
    for (;;) {
      nghttp2_nv nv;
      int flags = 0;
      auto used = nghttp2_hd_inflate_hd2(inflater_, &nv, &flags, in, left, 1);
      if (used < 0) return std::nullopt;
      in += used;
      left -= static_cast<std::size_t>(used);
      if (flags & NGHTTP2_HD_INFLATE_EMIT) {
        fields.emplace_back(std::string(reinterpret_cast<char*>(nv.name), nv.namelen),
                            std::string(reinterpret_cast<char*>(nv.value), nv.valuelen));
      }
      if (flags & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(inflater_);
        break;
      }
      if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
    }
    return fields;
  }

 private:
  nghttp2_hd_inflater* inflater_ = nullptr;
};

}  // namespace tr::transport::testing
