#include "common/byte_scan.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using jwt_sidecar::common::b64token_body_length;
using jwt_sidecar::common::find_control_byte;

namespace {

// One byte at a time, straight from the definitions: what the 16-byte scans must agree with.
std::size_t reference_control(std::string_view s, std::size_t from) {
  for (std::size_t i = from; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return i;
  }
  return s.size();
}

std::size_t reference_b64(std::string_view s) {
  const std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (alphabet.find(s[i]) == std::string_view::npos) return i;
  }
  return s.size();
}

}  // namespace

TEST_CASE("find_control_byte finds every control byte at every offset, and nothing else") {
  for (int b = 0; b < 256; ++b) {
    const bool control = b < 0x20 || b == 0x7F;
    // Positions before, inside and after the first 16-byte block, and at a block's last lane.
    for (const std::size_t at : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 40u}) {
      std::string s(41, 'a');
      s[at] = static_cast<char>(b);
      INFO("byte " << b << " at " << at);
      CHECK(find_control_byte(s, 0) == (control ? at : s.size()));
      CHECK(find_control_byte(s, 0) == reference_control(s, 0));
    }
  }
  CHECK(find_control_byte("", 0) == 0);
  CHECK(find_control_byte("a\r\nb", 2) == 2);
  CHECK(find_control_byte("a\r\nb", 3) == 4);
}

TEST_CASE("b64token_body_length stops at the first byte outside the b64token alphabet") {
  for (int b = 0; b < 256; ++b) {
    for (const std::size_t at : {0u, 7u, 15u, 16u, 33u}) {
      std::string s(40, 'Z');
      s[at] = static_cast<char>(b);
      INFO("byte " << b << " at " << at);
      CHECK(b64token_body_length(s) == reference_b64(s));
    }
  }
  CHECK(b64token_body_length("") == 0);
  CHECK(b64token_body_length("abc.DEF-_~+/09==") == 14);
}

TEST_CASE("the byte scans agree with the byte-at-a-time definitions on random input") {
  std::mt19937 rng(20261123);
  // Mostly printable text with a sprinkle of anything, like hostile headers.
  std::uniform_int_distribution<int> any(0, 255), printable(0x21, 0x7E), pick(0, 19);
  for (int round = 0; round < 2000; ++round) {
    std::string s(static_cast<std::size_t>(any(rng) % 90), '\0');
    for (auto& c : s) c = static_cast<char>(pick(rng) == 0 ? any(rng) : printable(rng));
    const std::size_t from = s.empty() ? 0 : static_cast<std::size_t>(any(rng)) % (s.size() + 1);
    INFO("round " << round);
    CHECK(find_control_byte(s, from) == reference_control(s, from));
    CHECK(b64token_body_length(s) == reference_b64(s));
  }
}
