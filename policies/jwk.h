// JWK and JWK Set (RFC 7517) parsed into ready-to-use verification keys. All decoding and
// validation happens here, once, when a key set is loaded; verification never decodes a key.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policies/algorithm.h"
#include "policies/openssl_ptr.h"

namespace jwt_sidecar::policies {

struct JwksLoadResult;
class Key;
bool fingerprint(Key& key);

enum class KeyType : std::uint8_t { rsa, ec, okp, oct };
enum class Curve : std::uint8_t { none, p256, p384, p521, ed25519, ed448 };

class Key {
 public:
  KeyType type() const { return type_; }
  Curve curve() const { return curve_; }
  const std::optional<std::string>& kid() const { return kid_; }
  // The key's own "alg", when the JWK pins one.
  const std::optional<Algorithm>& alg() const { return alg_; }
  // For rsa/ec/okp; null for oct.
  EVP_PKEY* pkey() const { return pkey_.get(); }
  // For oct: the HMAC secret.
  std::string_view secret() const { return secret_; }
  // RSA modulus bits; 0 for other types.
  int bits() const { return bits_; }
  // Unique for the life of the process (never reused, unlike an address): lets per-thread
  // caches know they hold state for exactly this key.
  std::uint64_t id() const { return id_; }
  // SHA-256 of the public key (DER SubjectPublicKeyInfo) or of the HMAC secret: equal for the
  // same key material across reloads, so caches can keep what a re-fetched set still holds.
  const std::array<unsigned char, 32>& fingerprint() const { return fingerprint_; }

  // Whether this key may verify a token signed with `alg`: the key's type (and curve) decides
  // the primitive, a pinned "alg" must match, and an HMAC secret must be at least as long as
  // the hash (RFC 7518 section 3.2).
  bool usable_with(Algorithm alg) const noexcept;

  Key() = default;
  Key(Key&&) noexcept = default;
  Key& operator=(Key&&) noexcept = default;
  ~Key();

 private:
  friend class KeyBuilder;
  friend JwksLoadResult load_jwks(std::string_view json);
  friend bool fingerprint(Key& key);
  KeyType type_ = KeyType::oct;
  Curve curve_ = Curve::none;
  std::optional<std::string> kid_;
  std::optional<Algorithm> alg_;
  EvpPkeyPtr pkey_;
  std::string secret_;
  int bits_ = 0;
  std::uint64_t id_ = 0;
  std::array<unsigned char, 32> fingerprint_{};
};

// An immutable set of keys with an exact-match index by kid.
class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(std::vector<Key> keys);

  const std::vector<Key>& keys() const { return keys_; }
  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  // Exact, byte-for-byte kid lookup; a kid is never interpreted (no paths, no URLs).
  const Key* find(std::string_view kid) const;

 private:
  std::vector<Key> keys_;
  std::unordered_map<std::string_view, std::size_t> by_kid_;
};

// A key that was skipped while loading, and why (for the log; never contains key material).
struct SkippedKey {
  std::size_t index;              // position in "keys"
  std::optional<std::string> kid;
  std::string reason;             // snake_case, e.g. "rsa_modulus_too_small"
};

struct JwksLoadResult {
  std::shared_ptr<const KeySet> keys;  // null when `error` is set
  std::vector<SkippedKey> skipped;
  std::string error;                   // why the whole document was refused
};

// Parses a JWK Set ({"keys":[...]}) or a single JWK object. Keys that fail validation are
// skipped with a reason; the set is refused as a whole only when the document is not valid
// JSON of the right shape or two keys share a kid.
JwksLoadResult load_jwks(std::string_view json);

}  // namespace jwt_sidecar::policies
