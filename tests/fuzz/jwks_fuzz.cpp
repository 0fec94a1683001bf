// Fuzz target: policies::load_jwks (JWK Set / JWK parsing, policies/jwk.h).
//
// The input is the JSON text. Checked on every input:
//  - no exception; a refused document has an error and no key set, an accepted one a set and
//    no error; the OpenSSL error queue is left empty;
//  - accepted: every JWK of the document is either a key or a skipped entry (counted here
//    independently), skipped indices rise, reasons are snake_case, a skipped key's kid is the
//    JWK's kid;
//  - every key is well formed for its type (EVP_PKEY type and curve, RSA size bounds, HMAC
//    secret length), ids are unique, kids are unique and found by find(), and two keys have
//    one fingerprint exactly when OpenSSL (or the secret) says they hold the same material;
//  - usable_with() agrees with an independent reading of RFC 7518 for all 13 algorithms;
//  - loading the same text again gives the same keys (fingerprints, kids) and the same skips;
//  - the published test-vector tokens, checked against the loaded set, get the answer the
//    model of verify.h's key choice gives (signature_oracle.h).
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "policies/algorithm.h"
#include "policies/jwk.h"
#include "policies/jws.h"
#include "policies/verify.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/signature_oracle.h"

namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;
using namespace jwt_sidecar::policies;
using jwt_sidecar::fuzz::expected_signature;
using jwt_sidecar::fuzz::oracle_usable;
using jwt_sidecar::fuzz::printable;

// The published tokens of tests/data/vectors and config/examples, parsed once (any payload).
struct Vectors {
  std::deque<std::string> tokens;  // stable addresses: the ParsedJws point into them
  std::deque<ParsedJws> parsed;
};

const Vectors& vectors() {
  static const Vectors v = [] {
    Vectors out;
    const fs::path root = JWT_SIDECAR_SOURCE_DIR;
    auto read = [](const fs::path& path) {
      std::ifstream in(path, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      return text.str();
    };
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(root / "tests/data/vectors")) {
      if (entry.path().extension() == ".json") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
      dom::parser parser;
      std::string_view token;
      if (parser.parse(read(path))["token"].get(token) == simdjson::SUCCESS) {
        out.tokens.emplace_back(token);
      }
    }
    std::string example = read(root / "config/examples/token.jwt");
    while (!example.empty() && (example.back() == '\n' || example.back() == '\r')) example.pop_back();
    out.tokens.push_back(example);
    for (const auto& token : out.tokens) {
      if (parse_jws(token, PayloadKind::any_bytes, out.parsed.emplace_back()) != Status::ok) {
        std::fprintf(stderr, "jwks_fuzz setup: a vector token does not parse\n");
        std::abort();
      }
    }
    if (out.tokens.size() < 5) {
      std::fprintf(stderr, "jwks_fuzz setup: no tokens under tests/data/vectors\n");
      std::abort();
    }
    return out;
  }();
  return v;
}

bool snake_case(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Whether two keys hold the same material, asked of OpenSSL (EVP_PKEY_eq) or by comparing the
// secrets: the oracle for fingerprints, which never recomputes them the way jwk.cpp does.
bool same_material(const Key& a, const Key& b) {
  if (a.type() != b.type()) return false;
  if (a.type() == KeyType::oct) return a.secret() == b.secret();
  const int eq = EVP_PKEY_eq(a.pkey(), b.pkey());
  ERR_clear_error();  // comparing keys of different kinds queues an error
  return eq == 1;
}

void check_key(const Key& key) {
  const std::string who = "key " + (key.kid() ? "\"" + printable(*key.kid()) + "\"" : "-");
  EVP_PKEY* pkey = key.pkey();
  const int id = pkey ? EVP_PKEY_get_base_id(pkey) : EVP_PKEY_NONE;
  switch (key.type()) {
    case KeyType::oct:
      FUZZ_CHECK(!pkey && key.curve() == Curve::none && key.bits() == 0, who);
      FUZZ_CHECK(key.secret().size() >= 32, who + ": HMAC secret shorter than 32 bytes");
      break;
    case KeyType::rsa:
      FUZZ_CHECK(id == EVP_PKEY_RSA && key.secret().empty() && key.curve() == Curve::none, who);
      FUZZ_CHECK(key.bits() >= 2048 && key.bits() <= 16384, who);
      FUZZ_CHECK(EVP_PKEY_get_bits(pkey) == key.bits(), who);
      break;
    case KeyType::ec: {
      FUZZ_CHECK(id == EVP_PKEY_EC && key.secret().empty() && key.bits() == 0, who);
      const std::string group = jwt_sidecar::fuzz::ec_group(pkey);
      FUZZ_CHECK((key.curve() == Curve::p256 && group == "prime256v1") ||
                     (key.curve() == Curve::p384 && group == "secp384r1") ||
                     (key.curve() == Curve::p521 && group == "secp521r1"),
                 who + ": curve/group " + group);
      break;
    }
    case KeyType::okp:
      FUZZ_CHECK(key.secret().empty() && key.bits() == 0, who);
      FUZZ_CHECK((key.curve() == Curve::ed25519 && id == EVP_PKEY_ED25519) ||
                     (key.curve() == Curve::ed448 && id == EVP_PKEY_ED448),
                 who);
      break;
    default:
      FUZZ_CHECK(false, who + ": undeclared KeyType");
  }
  for (std::size_t a = 0; a < kAlgorithmCount; ++a) {
    const auto alg = static_cast<Algorithm>(a);
    FUZZ_CHECK(key.usable_with(alg) == oracle_usable(alg, key),
               who + ": usable_with(" + std::string(algorithm_name(alg)) + ") is " +
                   (key.usable_with(alg) ? "true" : "false"));
  }
  if (key.alg()) FUZZ_CHECK(key.usable_with(*key.alg()), who + ": unusable with its own alg");
  const std::array<unsigned char, 32> none{};
  FUZZ_CHECK(key.fingerprint() != none, who + ": no fingerprint");
  FUZZ_CHECK(key.id() != 0, who);
}

// How many JWKs the document holds, read independently: the "keys" array's length, or 1.
std::size_t jwk_count(std::string_view text) {
  dom::parser parser;
  dom::object top;
  FUZZ_CHECK(parser.parse(std::string(text)).get(top) == simdjson::SUCCESS,
             "load_jwks accepted what is not a JSON object");
  dom::array keys;
  if (top["keys"].get(keys) == simdjson::SUCCESS) return keys.size();
  dom::element kty;
  FUZZ_CHECK(top["keys"].error() == simdjson::NO_SUCH_FIELD && top["kty"].get(kty) == simdjson::SUCCESS,
             "load_jwks accepted a document that is neither a JWK Set nor a JWK");
  return 1;
}

void one_input(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ERR_clear_error();
  const JwksLoadResult result = load_jwks(text);
  FUZZ_CHECK(ERR_peek_error() == 0, "load_jwks left an OpenSSL error queued");
  FUZZ_CHECK(result.error.empty() == (result.keys != nullptr), "error=\"" + result.error + "\"");
  if (!result.keys) return;

  const KeySet& keys = *result.keys;
  const std::size_t count = jwk_count(text);
  FUZZ_CHECK(keys.size() + result.skipped.size() == count,
             std::to_string(keys.size()) + " keys + " + std::to_string(result.skipped.size()) +
                 " skipped for " + std::to_string(count) + " JWKs");
  std::size_t previous = 0;
  for (std::size_t i = 0; i < result.skipped.size(); ++i) {
    const auto& s = result.skipped[i];
    FUZZ_CHECK(s.index < count && (i == 0 || s.index > previous), "skipped index order");
    FUZZ_CHECK(snake_case(s.reason), "reason \"" + printable(s.reason) + "\"");
    previous = s.index;
  }

  std::set<std::uint64_t> ids;
  std::set<std::string> kids;
  for (const Key& key : keys.keys()) {
    check_key(key);
    FUZZ_CHECK(ids.insert(key.id()).second, "two keys share an id");
    if (key.kid()) {
      FUZZ_CHECK(kids.insert(*key.kid()).second, "two keys share a kid");
      FUZZ_CHECK(keys.find(*key.kid()) == &key, "find() misses kid " + printable(*key.kid()));
    }
  }
  FUZZ_CHECK(keys.find("\x01 no such kid \x02") == nullptr || kids.count("\x01 no such kid \x02"));
  // A fingerprint names the key material: equal exactly when the material is.
  for (const Key& a : keys.keys()) {
    for (const Key& b : keys.keys()) {
      FUZZ_CHECK((a.fingerprint() == b.fingerprint()) == same_material(a, b),
                 "fingerprints and key material disagree");
    }
  }

  // Deterministic: the same text gives the same keys and skips.
  const JwksLoadResult again = load_jwks(text);
  FUZZ_CHECK(again.keys && again.keys->size() == keys.size() &&
             again.skipped.size() == result.skipped.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const Key &x = keys.keys()[i], &y = again.keys->keys()[i];
    FUZZ_CHECK(x.fingerprint() == y.fingerprint() && x.kid() == y.kid() && x.alg() == y.alg() &&
                   x.type() == y.type() && x.id() != y.id(),
               "second load differs at key " + std::to_string(i));
  }
  for (std::size_t i = 0; i < result.skipped.size(); ++i) {
    const auto &x = result.skipped[i], &y = again.skipped[i];
    FUZZ_CHECK(x.index == y.index && x.reason == y.reason && x.kid == y.kid);
  }

  // The loaded keys against the published tokens, by the model of the key choice.
  for (const ParsedJws& jws : vectors().parsed) {
    const Key* used = nullptr;
    const Status s = verify_jws_signature(jws, keys, AlgorithmSet::all(), &used);
    FUZZ_CHECK(ERR_peek_error() == 0, "verify_jws_signature left an OpenSSL error queued");
    const auto want = expected_signature(jws, keys, AlgorithmSet::all());
    FUZZ_CHECK(s == want.status && used == want.key,
               "verify_jws_signature said " + std::string(reason(s)) + ", the model " +
                   std::string(reason(want.status)) + " for " +
                   printable(jws.signing_input(), 80));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)vectors();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jwt_sidecar::fuzz::guarded([&] { one_input(data, size); });
}
