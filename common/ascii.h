// ASCII text handling for protocol text (header names, schemes, host names, hex escapes),
// where locale-dependent functions would be wrong. The one copy config/, policies/ and proxy/
// all use.
#pragma once

#include <string>
#include <string_view>

namespace jwt_sidecar::common {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The value of a hexadecimal digit, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

constexpr bool is_hex_digit(char c) noexcept { return hex_value(c) >= 0; }

inline constexpr char kLowerHexDigits[] = "0123456789abcdef";

constexpr bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// `s` without leading and trailing characters from `chars` (by default OWS: space and HTAB,
// RFC 9110 5.6.3).
constexpr std::string_view trim_ascii(std::string_view s, std::string_view chars = " \t") noexcept {
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

inline std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = ascii_lower(c);
  return out;
}

}  // namespace jwt_sidecar::common
