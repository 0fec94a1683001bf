#include "common/path.h"

#include <catch2/catch.hpp>

#include <string>

using namespace jwt_sidecar::common;

namespace {

// The canonical path, or "error:<reason>".
std::string path_of(std::string_view target) {
  NormalizedTarget out;
  const TargetError e = normalize_target(target, out);
  return e == TargetError::none ? out.path : "error:" + std::string(reason(e));
}

std::string match_path_of(std::string_view target) {
  NormalizedTarget out;
  const TargetError e = normalize_target(target, out);
  return e == TargetError::none ? out.match_path : "error:" + std::string(reason(e));
}

}  // namespace

TEST_CASE("dot segments are resolved and never climb above the root", "[path]") {
  CHECK(path_of("/public/../admin") == "/admin");
  CHECK(path_of("/a/./b/../../c") == "/c");
  CHECK(path_of("/..") == "/");
  CHECK(path_of("/../../etc/passwd") == "/etc/passwd");
  CHECK(path_of("/a/b/..") == "/a/");
  CHECK(path_of("/a/b/.") == "/a/b/");
  CHECK(path_of("/a/.b/..c/...") == "/a/.b/..c/...");
  CHECK(path_of("/.") == "/");
}

TEST_CASE("dot segments are recognised after percent-decoding", "[path]") {
  CHECK(path_of("/%2e%2e/admin") == "/admin");
  CHECK(path_of("/public/%2E%2E/admin") == "/admin");
  CHECK(path_of("/public/.%2e/admin") == "/admin");
  CHECK(path_of("/public/%2e/admin") == "/public/admin");
}

TEST_CASE("repeated slashes merge; a trailing slash is kept", "[path]") {
  CHECK(path_of("//admin") == "/admin");
  CHECK(path_of("/a///b//") == "/a/b/");
  CHECK(path_of("/orders/") == "/orders/");
  CHECK(path_of("/orders") == "/orders");
  CHECK(path_of("/") == "/");
  CHECK(path_of("///") == "/");
}

TEST_CASE("unreserved escapes are decoded, others upper-cased", "[path]") {
  CHECK(path_of("/%61dmin") == "/admin");
  CHECK(path_of("/%7e") == "/~");
  CHECK(path_of("/%7Euser/%2D%2e%5F") == "/~user/-._");
  CHECK(path_of("/a%3ab") == "/a%3Ab");
  CHECK(path_of("/a%3Ab") == "/a%3Ab");
  CHECK(path_of("/%25") == "/%25");         // never decoded twice
  CHECK(path_of("/%2561") == "/%2561");
  CHECK(path_of("/caf%c3%a9") == "/caf%C3%A9");
  CHECK(path_of("/a%3bb") == "/a%3Bb");     // an encoded ";" is not a parameter
  CHECK(match_path_of("/a%3bb") == "/a%3Bb");
}

TEST_CASE("case is preserved", "[path]") {
  CHECK(path_of("/ADMIN") == "/ADMIN");
  CHECK(match_path_of("/ADMIN") == "/ADMIN");
}

TEST_CASE("path parameters are kept in path and dropped from match_path", "[path]") {
  NormalizedTarget out;
  REQUIRE(normalize_target("/admin;x", out) == TargetError::none);
  CHECK(out.path == "/admin;x");
  CHECK(out.match_path == "/admin");
  CHECK(match_path_of("/a;p=1/b;q/c") == "/a/b/c");
  CHECK(path_of("/a;p=1/b;q/c") == "/a;p=1/b;q/c");
  CHECK(match_path_of("/orders;v=2/") == "/orders/");
}

TEST_CASE("a dot segment with parameters is still a dot segment", "[path]") {
  // Tomcat strips ";x" first: "/public/..;/admin" is /admin to it, so it must be here too.
  CHECK(path_of("/public/..;/admin") == "/admin");
  CHECK(match_path_of("/public/..;/admin") == "/admin");
  CHECK(path_of("/public/.;x/admin") == "/public/admin");
  CHECK(path_of("/;x/admin") == "/admin");
  CHECK(match_path_of("/;x/admin") == "/admin");
  CHECK(path_of("/a/b;x/../c") == "/a/c");
  CHECK(match_path_of("/a/b;x/../c") == "/a/c");
}

TEST_CASE("the query is split off and kept byte for byte", "[path]") {
  NormalizedTarget out;
  REQUIRE(normalize_target("/a/../b?x=%2F&y=a/../b&z=%zz\\", out) == TargetError::none);
  CHECK(out.path == "/b");
  CHECK(out.has_query);
  CHECK(out.query == "x=%2F&y=a/../b&z=%zz\\");

  REQUIRE(normalize_target("/b?", out) == TargetError::none);
  CHECK(out.has_query);
  CHECK(out.query.empty());

  REQUIRE(normalize_target("/b", out) == TargetError::none);
  CHECK_FALSE(out.has_query);
  CHECK(out.query.empty());

  REQUIRE(normalize_target("/a?b?c", out) == TargetError::none);
  CHECK(out.path == "/a");
  CHECK(out.query == "b?c");
}

TEST_CASE("unsafe targets are refused with their reason", "[path]") {
  CHECK(path_of("/admin%2F") == "error:encoded_slash");
  CHECK(path_of("/a%2fb") == "error:encoded_slash");
  CHECK(path_of("/a%5cb") == "error:backslash");
  CHECK(path_of("/a%5Cb") == "error:backslash");
  CHECK(path_of("/a\\b") == "error:backslash");
  CHECK(path_of(std::string_view("/a\0b", 4)) == "error:nul");
  CHECK(path_of(std::string_view("/a?\0", 4)) == "error:nul");
  CHECK(path_of("/a%00b") == "error:nul");
  CHECK(path_of("/a#b") == "error:fragment");
  CHECK(path_of("/a?b#c") == "error:fragment");
  CHECK(path_of("/a%") == "error:bad_percent_encoding");
  CHECK(path_of("/a%4") == "error:bad_percent_encoding");
  CHECK(path_of("/a%zz") == "error:bad_percent_encoding");
  CHECK(path_of("/a%4g") == "error:bad_percent_encoding");
  CHECK(path_of("/a b") == "error:control_character");
  CHECK(path_of("/a\tb") == "error:control_character");
  CHECK(path_of("/a\x7f") == "error:control_character");
  CHECK(path_of("/a?b c") == "error:control_character");
  CHECK(path_of("/a/../%2F") == "error:encoded_slash");  // refused even when popped
}

TEST_CASE("only origin-form is accepted", "[path]") {
  CHECK(path_of("*") == "error:not_origin_form");
  CHECK(path_of("") == "error:not_origin_form");
  CHECK(path_of("admin") == "error:not_origin_form");
  CHECK(path_of("http://example.test/admin") == "error:not_origin_form");
  CHECK(path_of("example.test:443") == "error:not_origin_form");
  CHECK(path_of("?a=b") == "error:not_origin_form");
}

TEST_CASE("the length limit applies to the whole target", "[path]") {
  NormalizedTarget out;
  const std::string long_target = "/" + std::string(kMaxTargetBytes - 1, 'a');
  CHECK(normalize_target(long_target, out) == TargetError::none);
  CHECK(normalize_target(long_target + "b", out) == TargetError::too_long);
  CHECK(normalize_target("/abcd", out, 4) == TargetError::too_long);
  CHECK(normalize_target("/abc", out, 4) == TargetError::none);
}

TEST_CASE("an error leaves the output empty; buffers are reused", "[path]") {
  NormalizedTarget out;
  REQUIRE(normalize_target("/a/b?q", out) == TargetError::none);
  CHECK(normalize_target("/x%2F?q", out) == TargetError::encoded_slash);
  CHECK(out.path.empty());
  CHECK(out.match_path.empty());
  CHECK(out.query.empty());
  CHECK_FALSE(out.has_query);

  REQUIRE(normalize_target("/" + std::string(100, 'a') + "?" + std::string(100, 'q'), out) ==
          TargetError::none);
  const auto* path_data = out.path.data();
  const auto* query_data = out.query.data();
  REQUIRE(normalize_target("/b?c", out) == TargetError::none);
  CHECK(out.path.data() == path_data);
  CHECK(out.query.data() == query_data);
}

TEST_CASE("normalisation is idempotent", "[path]") {
  for (const char* target : {"/public/../admin", "//a//b/", "/%61%3a/%7e", "/a;x/../b;y/.",
                             "/a/b/../..", "/caf%c3%a9/%2e"}) {
    const std::string once = path_of(target);
    CHECK(path_of(once) == once);
  }
}

TEST_CASE("every target error has its own reason", "[path]") {
  CHECK(reason(TargetError::none) == "none");
  CHECK(reason(TargetError::not_origin_form) == "not_origin_form");
  CHECK(reason(TargetError::encoded_slash) == "encoded_slash");
  CHECK(reason(TargetError::backslash) == "backslash");
  CHECK(reason(TargetError::nul) == "nul");
  CHECK(reason(TargetError::fragment) == "fragment");
  CHECK(reason(TargetError::bad_percent_encoding) == "bad_percent_encoding");
  CHECK(reason(TargetError::control_character) == "control_character");
  CHECK(reason(TargetError::too_long) == "too_long");
}
