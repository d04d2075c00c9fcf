#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transport/http_types.hpp"

namespace tr::transport::detail {

/// Header fields kept in one reusable text buffer and handed out as `header` views. Names and
/// values may arrive in pieces (http_parser splits them at read boundaries).
class header_store {
 public:
  /// Gives back storage grown past `keep` bytes of text (call between uses).
  void release_if_large(std::size_t keep) {
    if (text_.capacity() > keep) std::string{}.swap(text_);
    if (fields_.capacity() * sizeof(field) > keep) std::vector<field>{}.swap(fields_);
    if (views_.capacity() * sizeof(header) > keep) std::vector<header>{}.swap(views_);
  }

  /// Forgets all fields, keeping the capacity.
  void clear() {
    text_.clear();
    fields_.clear();
    last_was_value_ = true;
  }

  /// Adds a complete field.
  void add(std::string_view name, std::string_view value) {
    append_name(name, false);
    append_value(value);
  }

  /// Appends to the current field name, starting a new field after a value.
  void append_name(std::string_view piece, bool to_lower_case) {
    if (last_was_value_) {
      fields_.push_back({text_.size(), 0, text_.size(), 0});
      last_was_value_ = false;
    }
    std::size_t start = text_.size();
    text_.append(piece);
    if (to_lower_case) {
      for (std::size_t i = start; i < text_.size(); ++i) {
        char c = text_[i];
        if (c >= 'A' && c <= 'Z') text_[i] = static_cast<char>(c - 'A' + 'a');
      }
    }
    fields_.back().name_size += piece.size();
    fields_.back().value_offset = text_.size();
  }

  /// Appends to the value of the current field.
  void append_value(std::string_view piece) {
    if (fields_.empty()) return;
    last_was_value_ = true;
    text_.append(piece);
    fields_.back().value_size += piece.size();
  }

  /// Bytes of names and values stored so far.
  std::size_t bytes() const { return text_.size(); }

  std::size_t count() const { return fields_.size(); }

  /// The fields as views, valid until the next change.
  std::span<const header> view() {
    views_.clear();
    for (const auto& f : fields_) {
      views_.push_back({std::string_view{text_}.substr(f.name_offset, f.name_size),
                        std::string_view{text_}.substr(f.value_offset, f.value_size)});
    }
    return views_;
  }

 private:
  struct field {
    std::size_t name_offset;
    std::size_t name_size;
    std::size_t value_offset;
    std::size_t value_size;
  };

  std::string text_;
  std::vector<field> fields_;
  std::vector<header> views_;
  bool last_was_value_ = true;
};

}  // namespace tr::transport::detail
