#include "common/json_text.h"

#include <catch2/catch.hpp>

using jwt_sidecar::common::json_string;

TEST_CASE("json_string escapes quotes, backslashes and control bytes", "[json_text]") {
  CHECK(json_string("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_string("\n\r\t") == R"("\n\r\t")");
  CHECK(json_string(std::string("\x01\x7f", 2)) == R"("\u0001\u007f")");
  CHECK(json_string(std::string("a\0b", 3)) == R"("a\u0000b")");
}

TEST_CASE("json_string copies well-formed UTF-8 and escapes every other byte", "[json_text]") {
  CHECK(json_string("caf\xc3\xa9") == "\"caf\xc3\xa9\"");                 // U+00E9
  CHECK(json_string("\xe2\x82\xac") == "\"\xe2\x82\xac\"");                // U+20AC
  CHECK(json_string("\xf0\x9f\x98\x80") == "\"\xf0\x9f\x98\x80\"");        // U+1F600
  // A path with raw bytes that are not UTF-8 still gives a valid JSON line (RFC 8259 8.1).
  CHECK(json_string("/a\xff" "b") == R"("/a\u00ffb")");
  CHECK(json_string("\xc3") == R"("\u00c3")");                  // truncated sequence
  CHECK(json_string("\xc0\xaf") == R"("\u00c0\u00af")");        // overlong "/"
  CHECK(json_string("\xed\xa0\x80") == R"("\u00ed\u00a0\u0080")");  // a UTF-16 surrogate
  CHECK(json_string("\xf4\x90\x80\x80") == R"("\u00f4\u0090\u0080\u0080")");  // above U+10FFFF
  CHECK(json_string("\x80") == R"("\u0080")");                  // a lone continuation byte
  CHECK(json_string("\xc3\xa9\xff") == "\"\xc3\xa9\\u00ff\"");
}
