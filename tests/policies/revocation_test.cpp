// Revocation on the request path (policies/revocation.h) and through the PolicyEngine: each
// entry kind and its edges, the sources' state (not read, stale, live), a verified-token cache
// hit after revocation, and a 100,000-entry snapshot swapped while requests read it.
#include "policies/revocation.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "config/loader.h"
#include "policies/engine.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar;
using namespace jwt_sidecar::policies;
using config::RevocationEntry;
using Kind = config::RevocationEntry::Kind;
using testing::TestKey;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kIss = "https://corp.example";

Claims claims(std::optional<std::string> jti, std::optional<std::string> sub, std::optional<double> iat) {
  Claims c;
  c.iss = kIss;
  c.jti = std::move(jti);
  c.sub = std::move(sub);
  c.iat = iat;
  return c;
}

bool revokes(const RevocationSnapshot& s, const Claims& c, std::string_view kid = "", std::int64_t now = kNow,
             std::int64_t skew = 60) {
  return s.revokes(RevocationQuery{kIss, &c, kid, skew}, now);
}

}  // namespace

TEST_CASE("revocation: a jti entry names one token of one issuer, until expires plus the clock skew",
          "[revocation]") {
  const std::vector<RevocationEntry> entries{{Kind::jti, kIss, "t-1", kNow + 100}, {Kind::jti, kIss, "t-forever", 0}};
  const RevocationSnapshot s(entries);
  CHECK(s.size() == 2);
  CHECK(revokes(s, claims("t-1", "alice", kNow)));
  CHECK_FALSE(revokes(s, claims("t-2", "alice", kNow)));
  CHECK_FALSE(revokes(s, claims(std::nullopt, "alice", kNow)));
  CHECK_FALSE(revokes(s, claims("T-1", "alice", kNow)));  // exact bytes
  // Another issuer's token with the same jti is a different token.
  Claims other = claims("t-1", "alice", kNow);
  CHECK_FALSE(s.revokes(RevocationQuery{"https://other.example", &other, "", 60}, kNow));
  // A token whose exp is `expires` is accepted until exp + skew: the entry lasts as long.
  CHECK(revokes(s, claims("t-1", "a", kNow), "", kNow + 100 + 59));
  CHECK_FALSE(revokes(s, claims("t-1", "a", kNow), "", kNow + 100 + 60));
  CHECK(revokes(s, claims("t-forever", "a", kNow), "", kNow + 100'000'000));
}

TEST_CASE("revocation: a sub entry revokes tokens issued before `before`; no iat counts as before",
          "[revocation]") {
  const RevocationSnapshot s(std::vector<RevocationEntry>{{Kind::sub, kIss, "alice", kNow}});
  CHECK(revokes(s, claims(std::nullopt, "alice", kNow - 1)));
  CHECK(revokes(s, claims(std::nullopt, "alice", kNow - 0.5)));
  CHECK_FALSE(revokes(s, claims(std::nullopt, "alice", kNow)));  // iat equal: not before
  CHECK_FALSE(revokes(s, claims(std::nullopt, "alice", kNow + 1)));
  CHECK(revokes(s, claims(std::nullopt, "alice", std::nullopt)));
  CHECK_FALSE(revokes(s, claims(std::nullopt, "bob", kNow - 1)));
  CHECK_FALSE(revokes(s, claims(std::nullopt, std::nullopt, kNow - 1)));
}

TEST_CASE("revocation: a kid entry revokes what that key verified; duplicates keep the widest",
          "[revocation]") {
  const std::vector<RevocationEntry> entries{{Kind::kid, kIss, "2025-03", 0},
                                             {Kind::jti, kIss, "x", kNow + 10},
                                             {Kind::jti, kIss, "x", 0},
                                             {Kind::jti, kIss, "y", 0},
                                             {Kind::jti, kIss, "y", kNow + 10},
                                             {Kind::sub, kIss, "bob", kNow - 100},
                                             {Kind::sub, kIss, "bob", kNow + 100}};
  const RevocationSnapshot s(entries);
  CHECK(s.size() == 4);
  CHECK(revokes(s, claims(std::nullopt, "alice", kNow), "2025-03"));
  CHECK_FALSE(revokes(s, claims(std::nullopt, "alice", kNow), "2025-04"));
  CHECK_FALSE(revokes(s, claims(std::nullopt, "alice", kNow), ""));
  CHECK(revokes(s, claims("x", "a", kNow), "", kNow + 1'000'000));  // 0 (for ever) wins
  CHECK(revokes(s, claims("y", "a", kNow), "", kNow + 1'000'000));
  CHECK(revokes(s, claims(std::nullopt, "bob", kNow + 50)));        // the later `before` wins
  CHECK_FALSE(revokes(RevocationSnapshot(), claims("x", "bob", kNow - 1), "2025-03"));
}

TEST_CASE("revocation: state - unavailable until read, stale after max_stale unless live", "[revocation]") {
  Revocation r({"file", "redis"});
  const Claims c = claims("t", "alice", kNow);
  const RevocationQuery q{kIss, &c, "", 60};
  const Revocation::Policy reject{300, true}, allow{300, false};
  CHECK_FALSE(r.ready());
  CHECK(r.check(q, kNow, reject) == Revocation::Verdict::unavailable);
  CHECK(r.check(q, kNow, allow) == Revocation::Verdict::unavailable);  // never read: nothing to apply
  r.publish(0, std::make_shared<const RevocationSnapshot>(), kNow);
  r.set_live(0, true, kNow);
  CHECK_FALSE(r.ready());
  CHECK(r.check(q, kNow, reject) == Revocation::Verdict::unavailable);
  r.publish(1, std::make_shared<const RevocationSnapshot>(std::vector<RevocationEntry>{{Kind::jti, kIss, "t", 0}}), kNow);
  r.set_live(1, true, kNow);
  CHECK(r.ready());
  CHECK(r.check(q, kNow, reject) == Revocation::Verdict::revoked);
  const Claims fine = claims("u", "alice", kNow);
  const RevocationQuery qf{kIss, &fine, "", 60};
  CHECK(r.check(qf, kNow + 10'000, reject) == Revocation::Verdict::pass);  // live: never stale
  // The source goes down at kNow + 10: its list keeps applying for max_stale from then.
  r.set_live(1, false, kNow + 10);
  CHECK(r.known_current(1, kNow + 20) == kNow + 10);
  CHECK(r.check(qf, kNow + 310, reject) == Revocation::Verdict::pass);
  CHECK(r.check(qf, kNow + 311, reject) == Revocation::Verdict::unavailable);
  CHECK(r.check(qf, kNow + 311, allow) == Revocation::Verdict::pass);
  CHECK(r.check(q, kNow + 311, allow) == Revocation::Verdict::revoked);  // allow: the last list still applies
  // A full read while down (a resync) makes it current again.
  r.mark_synced(1, kNow + 400);
  CHECK(r.check(qf, kNow + 500, reject) == Revocation::Verdict::pass);
  CHECK(r.entries(1) == 1);
  CHECK(r.synced_at(1) == kNow + 400);
}

TEST_CASE("revocation: a 100,000-entry snapshot swaps in whole while requests read", "[revocation]") {
  std::vector<RevocationEntry> entries;
  entries.reserve(100'000);
  for (int i = 0; i < 100'000; ++i) entries.push_back({Kind::jti, kIss, "jti-" + std::to_string(i), 0});
  auto big = std::make_shared<const RevocationSnapshot>(entries);
  CHECK(big->size() == 100'000);
  Revocation r({"redis"});
  r.publish(0, std::make_shared<const RevocationSnapshot>(), kNow);
  r.set_live(0, true, kNow);
  const Claims last = claims("jti-99999", "a", kNow);
  const RevocationQuery q{kIss, &last, "", 60};
  const Revocation::Policy policy{300, true};
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<long> reads{0};
  // Readers see the empty list or the whole one, never a list being built.
  std::thread reader([&] {
    while (!stop) {
      const auto n = r.entries(0);
      if (n != 0 && n != 100'000) ++torn;
      (void)r.check(q, kNow, policy);
      ++reads;
    }
  });
  // Swap until the reader has looked many times (bounded, for a stalled machine).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; (reads < 1000 || i < 20) && std::chrono::steady_clock::now() < until; ++i) {
    r.publish(0, i % 2 ? std::make_shared<const RevocationSnapshot>() : big, kNow);
  }
  r.publish(0, big, kNow);
  stop = true;
  reader.join();
  CHECK(torn == 0);
  CHECK(reads > 0);
  CHECK(r.check(q, kNow, policy) == Revocation::Verdict::revoked);
}

TEST_CASE("revocation: through the engine, after the signature and on a cache hit", "[revocation][engine]") {
  const auto jwk = TestKey::shared_ec("P-256").jwk("k1");
  auto loaded = config::load_config(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
providers:
  corp:
    issuer: https://corp.example
    audiences: [api]
    jwks: {keys: [)" + jwk + R"(]}
routes:
  - {name: open, match: {prefix: /open}, auth: none}
  - {name: any, match: {prefix: /any}}
revocation:
  file: /nonexistent/revoked.yaml
)", "revocation_test.yaml");
  for (const auto& e : loaded.errors) FAIL(e.to_string());
  std::vector<config::ConfigError> errors;
  auto engine = PolicyEngine::compile(*loaded.config, errors);
  REQUIRE(engine);
  auto token = [](const std::string& jti, std::int64_t exp = 1700000600, const std::string& aud = "api") {
    return testing::make_token(TestKey::shared_ec("P-256"), Algorithm::ES256, R"({"alg":"ES256","kid":"k1"})",
                               R"({"iss":"https://corp.example","aud":")" + aud + R"(","sub":"alice","jti":")" + jti +
                                   R"(","iat":1699999000,"exp":)" + std::to_string(exp) + "}");
  };
  const auto token_a = token("a");  // ECDSA signs differently each time: one token, for the cache
  TokenCache cache(16);
  RequestScratch scratch;
  std::vector<HeaderField> fields;
  std::string credentials;  // HeaderField holds views: the value must outlive the decision
  auto decide = [&](std::string_view path, const std::string& t) {
    credentials = "Bearer " + t;
    fields = {{"Authorization", credentials}};
    return engine->decide({"GET", "api.example", path, fields, {}}, kNow, scratch, &cache);
  };
  const auto& revocation = engine->authenticator().revocation();
  REQUIRE(revocation);
  // Not read yet: a valid token waits (503); a bad one is still refused for what it is; open
  // routes pass.
  auto d = decide("/any", token_a);
  CHECK(d.http_status == 503);
  CHECK(d.reason == "revocation_unavailable");
  CHECK(decide("/any", token("a", 1700000600, "elsewhere")).reason == "audience_mismatch");
  CHECK(decide("/any", token("a", 1600000000)).reason == "token_expired");  // its own reason first
  CHECK(decide("/open", "").allowed());
  CHECK_FALSE(engine->ready());

  revocation->publish(0, std::make_shared<const RevocationSnapshot>(), kNow);
  revocation->set_live(0, true, kNow);
  CHECK(engine->ready());
  CHECK(decide("/any", token_a).allowed());
  d = decide("/any", token_a);
  CHECK(d.allowed());
  CHECK(d.cache == Decision::Cache::hit);

  revocation->publish(0, std::make_shared<const RevocationSnapshot>(std::vector<RevocationEntry>{{Kind::jti, "https://corp.example", "a", 0}}), kNow);
  d = decide("/any", token_a);
  CHECK(d.http_status == 401);
  CHECK(d.reason == "token_revoked");
  CHECK(d.error == "invalid_token");
  CHECK(d.challenge);
  CHECK(d.cache == Decision::Cache::hit);  // the check runs on a hit, with no new signature check
  CHECK(decide("/any", token("b")).allowed());

  // A reload that keeps the sources keeps the state (and the list already read).
  std::vector<config::ConfigError> more;
  auto next = PolicyEngine::compile(*loaded.config, more, engine.get());
  REQUIRE(next);
  CHECK(next->authenticator().revocation() == revocation);
  auto changed = *loaded.config;
  changed.revocation->file = "/elsewhere.yaml";
  auto other = PolicyEngine::compile(changed, more, engine.get());
  REQUIRE(other);
  CHECK(other->authenticator().revocation() != revocation);
  CHECK_FALSE(other->ready());
}
