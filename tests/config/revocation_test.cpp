// The `revocation:` section, the revocation list file (positions of every error, the written
// form read back), and the Redis data model's fields.
#include "config/revocation_list.h"

#include <catch2/catch.hpp>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using namespace jwt_sidecar::config::test;
using Kind = RevocationEntry::Kind;

namespace {

const std::string kBase = "listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:8081\n";

Errors list_errors(std::string_view yaml) {
  const auto r = parse_revocation_list(yaml, "revoked.yaml");
  Errors out;
  for (const auto& e : r.errors) out.push_back(std::to_string(e.mark.line) + ":" + std::to_string(e.mark.column) + ": " + e.message);
  return out;
}

}  // namespace

TEST_CASE("config revocation: sources, defaults and the redis url", "[config][revocation]") {
  auto c = load_ok(kBase + "revocation:\n  file: /etc/revoked.yaml\n");
  REQUIRE(c.revocation);
  CHECK(c.revocation->file == "/etc/revoked.yaml");
  CHECK_FALSE(c.revocation->redis);
  CHECK(c.revocation->max_stale == std::chrono::minutes(5));
  CHECK(c.revocation->on_stale == RevocationConfig::OnStale::reject);

  c = load_ok(kBase + R"(revocation:
  redis:
    url: rediss://redis.auth.svc:6380/3
    username: jwt-sidecar
    password_file: /etc/redis/password
    ca_file: /etc/ssl/redis-ca.pem
    key_prefix: "team-a:"
    resync_interval: 30s
  max_stale: 1m
  on_stale: allow
)");
  const auto& r = *c.revocation->redis;
  CHECK(r.tls);
  CHECK(r.host == "redis.auth.svc");
  CHECK(r.port == 6380);
  CHECK(r.db == 3);
  CHECK(r.username == "jwt-sidecar");
  CHECK(r.key_prefix == "team-a:");
  CHECK(r.resync_interval == std::chrono::seconds(30));
  CHECK(c.revocation->on_stale == RevocationConfig::OnStale::allow);
  CHECK(load_ok(kBase + "revocation: {redis: {url: \"redis://[::1]\"}}\n").revocation->redis->port == 6379);
}

TEST_CASE("config revocation: mistakes are named at their position", "[config][revocation]") {
  CHECK(errors_of(kBase + "revocation: {}\n") ==
        Errors{"3:13: 'revocation' needs a source: 'file', 'redis', or both"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"redis://user:pw@host\"}\n") ==
        Errors{"4:16: 'url' must not contain user info (use 'username' and 'password_file')"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"http://host\"}\n") ==
        Errors{"4:16: 'url' must be a redis:// or rediss:// URL"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"redis://host/x\"}\n") ==
        Errors{"4:16: 'url' has a database 'x'; it must be a database number such as 0"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"redis://h\", ca_file: /ca.pem}\n") ==
        Errors{"4:38: 'ca_file' needs a rediss:// url (TLS)"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"redis://h\", username: u}\n") ==
        Errors{"4:39: 'username' needs 'password_file' (Redis authenticates a user with its password)"});
  CHECK(errors_of(kBase + "revocation:\n  redis: {url: \"redis://h\", resync_interval: 500ms}\n") ==
        Errors{"4:46: 'resync_interval' must be at least 1s"});
  CHECK(errors_of(kBase + "revocation:\n  file: f\n  on_stale: drop\n") ==
        Errors{"5:13: 'on_stale' must be one of reject, allow"});
  CHECK(errors_of(kBase + "revocation:\n  file: f\n  max_stal: 5m\n") ==
        Errors{"5:3: unknown key 'max_stal' in 'revocation' (did you mean 'max_stale'?)"});
}

TEST_CASE("revocation list: the three kinds, an empty list, and the written form read back", "[config][revocation]") {
  const auto r = parse_revocation_list(R"(# a comment
- {issuer: https://idp.example.test, jti: 6f1c2a, expires: 1767225600}
- {issuer: https://idp.example.test, sub: alice, before: 1767139200}
- issuer: https://idp.example.test
  kid: "2025-03"
- {issuer: https://idp.example.test, jti: "forever"}
)", "revoked.yaml");
  REQUIRE(r.errors.empty());
  REQUIRE(r.entries.size() == 4);
  CHECK(r.entries[0].kind == Kind::jti);
  CHECK(r.entries[0].value == "6f1c2a");
  CHECK(r.entries[0].time == 1767225600);
  CHECK(r.entries[1].kind == Kind::sub);
  CHECK(r.entries[1].time == 1767139200);
  CHECK(r.entries[2].kind == Kind::kid);
  CHECK(r.entries[2].value == "2025-03");
  CHECK(r.entries[3].time == 0);
  CHECK(parse_revocation_list("", "f").entries.empty());
  CHECK(parse_revocation_list("[]\n", "f").errors.empty());

  std::vector<RevocationEntry> odd{{Kind::jti, "https://i.example", "quote\"back\\slash: colon, #hash", 5},
                                   {Kind::sub, "https://i.example", "ünïcode user", 7},
                                   {Kind::kid, "https://i.example", "- dash", 0}};
  const auto back = parse_revocation_list(format_revocation_list(odd), "f");
  REQUIRE(back.errors.empty());
  REQUIRE(back.entries.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(back.entries[i].kind == odd[i].kind);
    CHECK(back.entries[i].value == odd[i].value);
    CHECK(back.entries[i].time == odd[i].time);
  }
  CHECK(parse_revocation_list(format_revocation_list({}), "f").entries.empty());
}

TEST_CASE("revocation list: a malformed file reports every problem with its position", "[config][revocation]") {
  CHECK(list_errors("{issuer: x}\n") ==
        Errors{"1:1: a revocation file is a YAML list of entries such as {issuer: https://idp.example, jti: 6f1c2a}"});
  CHECK(list_errors(R"(- {issuer: https://i, jti: a}
- {jti: b}
- {issuer: https://i, jti: c, sub: d}
- {issuer: https://i, sub: e}
- {issuer: https://i, jti: f, before: 5}
- {issuer: https://i, jti: g, expires: -1}
- [not, a, map]
- {issuer: "has space", kid: k}
- {issuer: https://i, kid: k, colour: red}
)") == Errors{"2:3: missing required key 'issuer' in a revocation entry",
              "3:3: a revocation entry names exactly one of 'jti', 'sub' or 'kid'",
              "4:3: a 'sub' entry needs 'before' (Unix seconds: tokens issued earlier are revoked)",
              "5:39: 'before' belongs to a 'sub' entry",
              "6:40: 'expires' must be a non-negative integer",
              "7:3: each entry of the revocation list must be a mapping",
              "8:3: revocation entry: the issuer must not contain spaces or control characters",
              "9:31: unknown key 'colour' in a revocation entry"});
  const auto r = parse_revocation_list("- {issuer: https://i, jti: [unterminated\n", "revoked.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].mark.file == "revoked.yaml");
  CHECK(r.errors[0].mark.line >= 1);
  CHECK(r.entries.empty());
}

TEST_CASE("revocation list: the Redis fields stand for the same entries", "[config][revocation]") {
  const RevocationEntry e{Kind::sub, "https://idp.example.test", "alice smith", 1767139200};
  CHECK(revocation_field(e) == "sub https://idp.example.test alice smith");
  CHECK(revocation_field_value(e) == "1767139200");
  CHECK(revocation_hash_key("jwt-sidecar:") == "jwt-sidecar:revoked");
  CHECK(revocation_channel("jwt-sidecar:") == "jwt-sidecar:revoked:changes");
  RevocationEntry back;
  REQUIRE(parse_revocation_field(revocation_field(e), revocation_field_value(e), back).empty());
  CHECK(back.kind == e.kind);
  CHECK(back.issuer == e.issuer);
  CHECK(back.value == "alice smith");
  CHECK(back.time == e.time);
  CHECK(parse_revocation_field("kid https://i k", "0", back).empty());
  CHECK(back.kind == Kind::kid);
  CHECK(parse_revocation_field("jti https://i", "0", back) == "the field is not \"<kind> <issuer> <value>\"");
  CHECK(parse_revocation_field("aud https://i x", "0", back) == "the kind must be jti, sub or kid");
  CHECK(parse_revocation_field("jti https://i x", "soon", back) == "the value must be Unix seconds (or 0)");
  CHECK(parse_revocation_field("sub https://i x", "0", back) == "'before' must be a time after 0");
  CHECK(parse_revocation_field("jti https://i x\ny", "0", back) == "the jti must not contain control characters");
}

TEST_CASE("revocation list: the one-line form is read as YAML would read it", "[config][revocation]") {
  // The one-line form (what `revoke` writes) skips the YAML tree; one block-style entry at the
  // end sends the whole file through yaml-cpp. Both must give the same entries.
  const std::string lines = R"(# written by hand
- {issuer: https://idp.example.test, jti: 6f1c2a, expires: 1767225600}
- {issuer: "https://idp.example.test", sub: "alice smith", before: 1767139200}
- {issuer: https://idp.example.test, kid: 2025-03}
- {issuer: https://idp.example.test, jti: "true"}
- {issuer: https://idp.example.test, jti: 00123}
- {issuer: https://idp.example.test, jti: a:b}

)";
  const auto fast = parse_revocation_list(lines, "f");
  const auto slow = parse_revocation_list(lines + "- issuer: https://idp.example.test\n  kid: last\n", "f");
  REQUIRE(fast.errors.empty());
  REQUIRE(slow.errors.empty());
  REQUIRE(fast.entries.size() == 6);
  REQUIRE(slow.entries.size() == 7);
  for (std::size_t i = 0; i < fast.entries.size(); ++i) {
    INFO(i);
    CHECK(fast.entries[i].kind == slow.entries[i].kind);
    CHECK(fast.entries[i].issuer == slow.entries[i].issuer);
    CHECK(fast.entries[i].value == slow.entries[i].value);
    CHECK(fast.entries[i].time == slow.entries[i].time);
  }
  // Lines whose meaning YAML decides differently are never taken by the one-line reader:
  // these are errors (with positions), not entries.
  CHECK_FALSE(parse_revocation_list("- {issuer: https://i, jti: null}\n", "f").errors.empty());
  CHECK_FALSE(parse_revocation_list("- {issuer: https://i, jti: ~}\n", "f").errors.empty());
  CHECK_FALSE(parse_revocation_list("- {issuer: https://i, jti: x, jti: y}\n", "f").errors.empty());
  CHECK_FALSE(parse_revocation_list("- {issuer: https://i, sub: x}\n", "f").errors.empty());
  CHECK(parse_revocation_list("- {issuer: https://i, jti: x} # note\n", "f").entries.size() == 1);
}

