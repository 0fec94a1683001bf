#include "policies/key_publisher.h"

namespace jwt_sidecar::policies {

std::string kids_of(const KeySet& keys) {
  std::string out;
  for (const auto& k : keys.keys()) {
    if (!out.empty()) out += ',';
    out += k.kid().value_or("-");
  }
  return out;
}

PublishResult publish_key_set(KeyStore& store, std::string_view jwks_text, KeyOrigin origin, std::int64_t now_ms) {
  auto loaded = load_jwks(jwks_text);
  PublishResult r;
  r.skipped = std::move(loaded.skipped);
  if (!loaded.error.empty()) {
    r.error = std::move(loaded.error);
    return r;
  }
  if (loaded.keys->empty()) {
    r.error = "no usable keys";
    if (origin == KeyOrigin::identity_provider) return r;
  }
  const auto before = store.current();
  r.kids_changed = !before || kids_of(*before) != kids_of(*loaded.keys);
  store.publish(loaded.keys, now_ms);
  r.published = true;
  r.keys = std::move(loaded.keys);
  return r;
}

}  // namespace jwt_sidecar::policies
