#include "common/base64url.h"

#include <catch2/catch.hpp>

using jwt_sidecar::common::base64url_decode;
using jwt_sidecar::common::base64url_encode;

TEST_CASE("base64url round-trips every length and byte value", "[base64url]") {
  std::string bytes;
  for (int len = 0; len < 70; ++len) {
    const auto encoded = base64url_encode(bytes);
    CHECK(encoded.find('=') == std::string::npos);
    std::string decoded;
    REQUIRE(base64url_decode(encoded, decoded));
    CHECK(decoded == bytes);
    bytes += static_cast<char>((len * 37 + 250) & 0xFF);
  }
}

TEST_CASE("base64url matches RFC 4648 section 10 vectors in the URL-safe alphabet", "[base64url]") {
  CHECK(base64url_encode("f") == "Zg");
  CHECK(base64url_encode("fo") == "Zm8");
  CHECK(base64url_encode("foo") == "Zm9v");
  CHECK(base64url_encode("foob") == "Zm9vYg");
  CHECK(base64url_encode("fooba") == "Zm9vYmE");
  CHECK(base64url_encode("foobar") == "Zm9vYmFy");
  CHECK(base64url_encode("\xfb\xff") == "-_8");
}

TEST_CASE("base64url refuses everything but the strict form", "[base64url]") {
  std::string out;
  SECTION("padding") {
    CHECK_FALSE(base64url_decode("Zg==", out));
    CHECK_FALSE(base64url_decode("Zm8=", out));
  }
  SECTION("standard alphabet") {
    CHECK_FALSE(base64url_decode("+_8", out));
    CHECK_FALSE(base64url_decode("-/8", out));
  }
  SECTION("whitespace and control bytes") {
    CHECK_FALSE(base64url_decode("Zm9v YmFy", out));
    CHECK_FALSE(base64url_decode("Zm9v\nYmFy", out));
    CHECK_FALSE(base64url_decode(std::string_view("Zm9v\0YmF", 8), out));
    CHECK_FALSE(base64url_decode("Zm9vYmFy\r", out));
  }
  SECTION("impossible length") {
    CHECK_FALSE(base64url_decode("Z", out));
    CHECK_FALSE(base64url_decode("Zm9vY", out));
  }
  SECTION("non-canonical trailing bits") {
    CHECK(base64url_decode("Zg", out));
    CHECK_FALSE(base64url_decode("Zh", out));   // same byte 'f', low bits set
    CHECK(base64url_decode("Zm8", out));
    CHECK_FALSE(base64url_decode("Zm9", out));
  }
  SECTION("bytes above 0x7f") {
    CHECK_FALSE(base64url_decode("Zm\xc3\xa9v", out));
  }
}

TEST_CASE("base64url accepts the empty string", "[base64url]") {
  std::string out = "leftover";
  REQUIRE(base64url_decode("", out));
  CHECK(out.empty());
}
