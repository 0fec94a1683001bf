#include "policies/signature.h"

#include <catch2/catch.hpp>

#include <vector>

#include "policies/jwk.h"
#include "tests/support/test_keys.h"

using namespace jwt_sidecar::policies;
using jwt_sidecar::testing::TestKey;

namespace {

// The verification key for `signer`, built from its public JWK exactly as a JWKS would be.
std::shared_ptr<const KeySet> keys_for(const TestKey& signer) {
  const auto loaded = load_jwks(signer.jwk("k"));
  REQUIRE(loaded.error.empty());
  REQUIRE(loaded.skipped.empty());
  REQUIRE(loaded.keys->size() == 1);
  return loaded.keys;
}

const std::string kInput = "eyJhbGciOiJYIn0.eyJzdWIiOiJhbGljZSJ9";

}  // namespace

TEST_CASE("every algorithm verifies its own signature", "[signature]") {
  for (std::size_t i = 0; i < kAlgorithmCount; ++i) {
    const auto alg = static_cast<Algorithm>(i);
    INFO(algorithm_name(alg));
    const auto& signer = TestKey::shared_for(alg);
    const auto keys = keys_for(signer);
    const auto sig = signer.sign(alg, kInput);
    CHECK(verify_signature(alg, keys->keys()[0], kInput, sig) == Status::ok);
    CHECK(verify_signature(alg, keys->keys()[0], kInput + "x", sig) == Status::signature_invalid);
  }
  // Ed448 too, under the same EdDSA name (RFC 8037 3.1).
  const auto& ed448 = TestKey::shared_okp("Ed448");
  CHECK(verify_signature(Algorithm::EdDSA, keys_for(ed448)->keys()[0], kInput,
                         ed448.sign(Algorithm::EdDSA, kInput)) == Status::ok);
}

TEST_CASE("every bit flip and every truncation of a signature is rejected", "[signature]") {
  // jwt_verify_lib's fuzzJwtSignature, for every algorithm family.
  for (const auto alg : {Algorithm::HS256, Algorithm::RS256, Algorithm::PS256, Algorithm::ES256,
                         Algorithm::ES512, Algorithm::EdDSA}) {
    INFO(algorithm_name(alg));
    const auto& signer = TestKey::shared_for(alg);
    const auto keys = keys_for(signer);
    const Key& key = keys->keys()[0];
    const auto sig = signer.sign(alg, kInput);
    REQUIRE(verify_signature(alg, key, kInput, sig) == Status::ok);
    std::size_t flips_rejected = 0, truncations_rejected = 0;
    for (std::size_t bit = 0; bit < sig.size() * 8; ++bit) {
      auto bad = sig;
      bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      flips_rejected += verify_signature(alg, key, kInput, bad) == Status::signature_invalid;
    }
    CHECK(flips_rejected == sig.size() * 8);
    for (std::size_t len = 0; len < sig.size(); ++len) {
      truncations_rejected +=
          verify_signature(alg, key, kInput, sig.substr(0, len)) == Status::signature_invalid;
    }
    CHECK(truncations_rejected == sig.size());
    CHECK(verify_signature(alg, key, kInput, sig + '\0') == Status::signature_invalid);
  }
}

TEST_CASE("a key of another type is never used", "[signature]") {
  const auto rsa = keys_for(TestKey::shared_rsa());
  const auto p256 = keys_for(TestKey::shared_ec("P-256"));
  const auto p384 = keys_for(TestKey::shared_ec("P-384"));
  const auto hmac = keys_for(TestKey::shared_for(Algorithm::HS256));
  const auto ed = keys_for(TestKey::shared_okp("Ed25519"));
  const std::string sig(64, 'x');
  CHECK(verify_signature(Algorithm::HS256, rsa->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::HS256, p256->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::RS256, hmac->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::ES256, p384->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::ES384, p256->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::EdDSA, rsa->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::RS256, ed->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
  CHECK(verify_signature(Algorithm::ES256, rsa->keys()[0], kInput, sig) == Status::key_algorithm_mismatch);
}

TEST_CASE("raw ECDSA signatures convert to exactly the DER OpenSSL produces", "[signature][ecdsa]") {
  // 200 signatures per curve: about 1 in 256 has an r or s with a leading zero byte and half
  // have a high bit set, so both DER special cases are exercised.
  struct Curve {
    const char* crv;
    Algorithm alg;
    int half;
  };
  for (const auto& c : {Curve{"P-256", Algorithm::ES256, 32}, Curve{"P-384", Algorithm::ES384, 48},
                        Curve{"P-521", Algorithm::ES512, 66}}) {
    INFO(c.crv);
    const auto& signer = TestKey::shared_ec(c.crv);
    std::size_t same = 0;
    for (int i = 0; i < 200; ++i) {
      const auto der = signer.sign_der(c.alg, kInput + std::to_string(i));
      const auto raw = jwt_sidecar::testing::ecdsa_der_to_raw(der, c.half);
      unsigned char out[160];
      const auto n = ecdsa_raw_to_der(raw, static_cast<std::size_t>(c.half), out, sizeof out);
      same += std::string(reinterpret_cast<char*>(out), n) == der;
    }
    CHECK(same == 200);
  }
}

TEST_CASE("ecdsa_raw_to_der handles leading zeros and high bits", "[signature][ecdsa]") {
  unsigned char out[160];
  std::string raw(64, '\0');
  raw[31] = 1;      // r = 1
  raw[32] = '\x80'; // s has its high bit set
  const auto n = ecdsa_raw_to_der(raw, 32, out, sizeof out);
  REQUIRE(n == 2 + 3 + 2 + 33);
  CHECK(std::string(reinterpret_cast<char*>(out), 5) == std::string("\x30\x26\x02\x01\x01", 5));
  CHECK(out[5] == 0x02);
  CHECK(out[6] == 33);
  CHECK(out[7] == 0x00);
  CHECK(out[8] == 0x80);
  CHECK(ecdsa_raw_to_der(raw.substr(1), 32, out, sizeof out) == 0);
  CHECK(ecdsa_raw_to_der(raw + "x", 32, out, sizeof out) == 0);
  CHECK(ecdsa_raw_to_der(raw, 32, out, 10) == 0);
  const std::string big(132, '\xff');
  const auto m = ecdsa_raw_to_der(big, 66, out, sizeof out);
  REQUIRE(m == 3 + 2 * (2 + 67));
  CHECK(out[1] == 0x81);
}

TEST_CASE("one thread alternating keys and algorithms keeps no state between calls", "[signature]") {
  // The per-thread context is reused while the key stays the same: check that switching
  // algorithm on one RSA key, and switching keys, never lets a signature through wrongly.
  const auto& rsa = TestKey::shared_rsa();
  const auto other = TestKey::rsa(2048);
  const auto a = keys_for(rsa), b = keys_for(other);
  const Key& ka = a->keys()[0];
  const Key& kb = b->keys()[0];
  const auto rs_a = rsa.sign(Algorithm::RS256, kInput), ps_a = rsa.sign(Algorithm::PS256, kInput);
  const auto rs_b = other.sign(Algorithm::RS256, kInput), ps384_a = rsa.sign(Algorithm::PS384, kInput);
  for (int round = 0; round < 3; ++round) {
    CHECK(verify_signature(Algorithm::RS256, ka, kInput, rs_a) == Status::ok);
    CHECK(verify_signature(Algorithm::PS256, ka, kInput, rs_a) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::PS256, ka, kInput, ps_a) == Status::ok);
    CHECK(verify_signature(Algorithm::RS256, ka, kInput, ps_a) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::RS256, kb, kInput, rs_a) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::RS256, kb, kInput, rs_b) == Status::ok);
    CHECK(verify_signature(Algorithm::RS256, ka, kInput, rs_b) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::PS384, ka, kInput, ps384_a) == Status::ok);
    CHECK(verify_signature(Algorithm::PS256, ka, kInput, ps384_a) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::RS384, ka, kInput, rsa.sign(Algorithm::RS384, kInput)) == Status::ok);
  }
}

TEST_CASE("more keys in turn than a thread keeps verify contexts for: each still verifies only its own", "[signature]") {
  // signature.cpp keeps a few (key, algorithm) verify contexts per thread and replaces them in
  // turn: cycling through more keys than that must evict and rebuild without mixing them up.
  std::vector<TestKey> signers;
  std::vector<std::shared_ptr<const KeySet>> sets;
  std::vector<std::string> sigs;
  for (int i = 0; i < 11; ++i) {
    signers.push_back(TestKey::ec("P-256"));
    sets.push_back(keys_for(signers.back()));
    sigs.push_back(signers.back().sign(Algorithm::ES256, kInput));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < signers.size(); ++i) {
      const Key& key = sets[i]->keys()[0];
      INFO("round " << round << ", key " << i);
      CHECK(verify_signature(Algorithm::ES256, key, kInput, sigs[i]) == Status::ok);
      CHECK(verify_signature(Algorithm::ES256, key, kInput, sigs[(i + 1) % sigs.size()]) == Status::signature_invalid);
    }
  }
}

TEST_CASE("HMAC keys alternate on one thread without leaking into each other", "[signature]") {
  const auto k1 = TestKey::oct(std::string(32, '1')), k2 = TestKey::oct(std::string(32, '2'));
  const auto s1 = keys_for(k1), s2 = keys_for(k2);
  const auto sig1 = k1.sign(Algorithm::HS256, kInput), sig2 = k2.sign(Algorithm::HS256, kInput);
  for (int round = 0; round < 3; ++round) {
    CHECK(verify_signature(Algorithm::HS256, s1->keys()[0], kInput, sig1) == Status::ok);
    CHECK(verify_signature(Algorithm::HS256, s1->keys()[0], kInput, sig2) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::HS256, s2->keys()[0], kInput, sig1) == Status::signature_invalid);
    CHECK(verify_signature(Algorithm::HS256, s2->keys()[0], kInput, sig2) == Status::ok);
    CHECK(verify_signature(Algorithm::HS256, s2->keys()[0], kInput, sig2) == Status::ok);
    CHECK(verify_signature(Algorithm::HS256, s1->keys()[0], kInput, sig1) == Status::ok);
  }
  // A reloaded key set holds new Key objects, possibly at the same addresses: ids differ.
  const auto again = keys_for(k1);
  CHECK(again->keys()[0].id() != s1->keys()[0].id());
  CHECK(verify_signature(Algorithm::HS256, again->keys()[0], kInput, sig1) == Status::ok);
}
