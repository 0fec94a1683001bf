#include "common/base64url.h"

#include <array>
#include <cstdint>

namespace jwt_sidecar::common {
namespace {

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = kInvalid;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

constexpr auto kDecode = make_decode_table();
constexpr std::string_view kEncode =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

bool base64url_decode(std::string_view in, std::string& out) {
  const std::size_t rem = in.size() % 4;
  if (rem == 1) return false;
  out.resize(in.size() / 4 * 3 + (rem == 0 ? 0 : rem - 1));

  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t full = in.size() - rem;
  for (std::size_t i = 0; i < full; i += 4) {
    const std::uint32_t a = kDecode[src[i]], b = kDecode[src[i + 1]], c = kDecode[src[i + 2]],
                        d = kDecode[src[i + 3]];
    if ((a | b | c | d) & 0x80) return false;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *dst++ = static_cast<unsigned char>(v >> 16);
    *dst++ = static_cast<unsigned char>(v >> 8);
    *dst++ = static_cast<unsigned char>(v);
  }
  if (rem == 2) {
    const std::uint32_t a = kDecode[src[full]], b = kDecode[src[full + 1]];
    if ((a | b) & 0x80) return false;
    if (b & 0x0F) return false;  // non-canonical: bits beyond the last byte are set
    *dst = static_cast<unsigned char>((a << 2) | (b >> 4));
  } else if (rem == 3) {
    const std::uint32_t a = kDecode[src[full]], b = kDecode[src[full + 1]],
                        c = kDecode[src[full + 2]];
    if ((a | b | c) & 0x80) return false;
    if (c & 0x03) return false;
    const std::uint32_t v = (a << 10) | (b << 4) | (c >> 2);
    dst[0] = static_cast<unsigned char>(v >> 8);
    dst[1] = static_cast<unsigned char>(v);
  }
  return true;
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
    out += kEncode[(v >> 18) & 63];
    out += kEncode[(v >> 12) & 63];
    out += kEncode[(v >> 6) & 63];
    out += kEncode[v & 63];
  }
  if (bytes.size() - i == 1) {
    const std::uint32_t v = std::uint32_t{p[i]} << 16;
    out += kEncode[(v >> 18) & 63];
    out += kEncode[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8);
    out += kEncode[(v >> 18) & 63];
    out += kEncode[(v >> 12) & 63];
    out += kEncode[(v >> 6) & 63];
  }
  return out;
}

}  // namespace jwt_sidecar::common
