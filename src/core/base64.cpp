#include "core/base64.hpp"

#include <array>

#include <fmt/format.h>

namespace logoscope {

namespace {

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr auto kTable = make_table();

}  // namespace

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  std::size_t length = text.size();
  std::size_t padding = 0;
  while (length > 0 && text[length - 1] == '=' && padding < 2) {
    --length;
    ++padding;
  }
  if (length % 4 == 1) {
    return Error{ErrorCode::kParse, fmt::format("base64 of {} characters cannot be complete", text.size())};
  }
  if (padding > 0 && (length + padding) % 4 != 0) {
    return Error{ErrorCode::kParse,
                 fmt::format("base64 padding at offset {} does not end a 4-character group", length)};
  }
  std::vector<std::uint8_t> bytes;
  bytes.reserve(length / 4 * 3 + 2);
  std::uint32_t group = 0;
  int bits = 0;
  for (std::size_t i = 0; i < length; ++i) {
    const auto value = kTable[static_cast<unsigned char>(text[i])];
    if (value < 0) {
      const auto c = static_cast<unsigned char>(text[i]);
      return Error{ErrorCode::kParse,
                   c >= 0x20 && c < 0x7f
                       ? fmt::format("'{}' at offset {} is not a base64 character", text[i], i)
                       : fmt::format("byte 0x{:02x} at offset {} is not a base64 character", c, i)};
    }
    group = (group << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>((group >> bits) & 0xFF));
    }
  }
  return bytes;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t group =
        (std::uint32_t{bytes[i]} << 16U) | (std::uint32_t{bytes[i + 1]} << 8U) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6)
      text += kAlphabet[(group >> static_cast<unsigned>(shift)) & 63U];
  }
  if (i < bytes.size()) {
    std::uint32_t group = std::uint32_t{bytes[i]} << 16U;
    if (i + 1 < bytes.size()) group |= std::uint32_t{bytes[i + 1]} << 8U;
    text += kAlphabet[(group >> 18U) & 63U];
    text += kAlphabet[(group >> 12U) & 63U];
    text += i + 1 < bytes.size() ? kAlphabet[(group >> 6U) & 63U] : '=';
    text += '=';
  }
  return text;
}

}  // namespace logoscope
