// How a JWK Set gets into a provider's KeyStore, whatever its source (inline `jwks`,
// `jwks_file`, `jwks_uri`, discovery): one set of rules, so no source trusts or drops keys
// differently from another. The I/O (reading a file, fetching a URL) is the caller's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policies/jwk.h"
#include "policies/key_store.h"

namespace jwt_sidecar::policies {

enum class KeyOrigin : std::uint8_t {
  // Inline `jwks` and `jwks_file`: the operator's own word. A set without usable keys takes
  // effect (an operator who removes a key must see it stop working).
  operator_owned,
  // `jwks_uri` and discovery: an IdP's answer. A set without usable keys is refused and the
  // last good one stays (an outage page or a half-deployed JWKS must not log everyone out).
  identity_provider,
};

struct PublishResult {
  bool published = false;
  std::string error;                 // "" when the set is published with usable keys
  std::vector<SkippedKey> skipped;   // keys left out, each with its reason
  std::shared_ptr<const KeySet> keys;  // what was published, when it was
  bool kids_changed = false;         // the published set names other kids than the one before
};

// Parses `jwks_text` and publishes it into `store` (stamped `now_ms`) by the rules above. A
// document that is not a JWK Set is never published.
PublishResult publish_key_set(KeyStore& store, std::string_view jwks_text, KeyOrigin origin, std::int64_t now_ms);

// "k1,k2" ("-" for a key without kid): for logs (kids are public identifiers).
std::string kids_of(const KeySet& keys);

}  // namespace jwt_sidecar::policies
