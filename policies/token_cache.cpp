#include "policies/token_cache.h"

namespace jwt_sidecar::policies {

TokenCache::Entry* TokenCache::find(std::string_view token) {
  const auto it = index_.find(token);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return &*it->second;
}

void TokenCache::insert(std::string_view token, const Provider& provider,
                        const std::shared_ptr<const KeySet>& set, const Key& key,
                        const ParsedJws& jws) {
  if (capacity_ == 0) return;
  erase(token);  // a token verified again is stored with fresh state
  if (index_.size() >= capacity_) {
    index_.erase(lru_.back().token);
    // Reuse the evicted node's buffers instead of freeing and allocating.
    lru_.splice(lru_.begin(), lru_, std::prev(lru_.end()));
  } else {
    lru_.emplace_front();
  }
  Entry& e = lru_.front();
  e.token.assign(token);
  e.provider = &provider;
  e.key_set = set;
  e.key_fingerprint = key.fingerprint();
  e.key_has_kid = key.kid().has_value();
  e.kid = key.kid().value_or("");
  e.jws.copy_verified_from(jws);
  index_.emplace(e.token, lru_.begin());
}

void TokenCache::erase(std::string_view token) {
  const auto it = index_.find(token);
  if (it == index_.end()) return;
  const auto node = it->second;
  index_.erase(it);
  lru_.erase(node);
}

void TokenCache::clear() {
  index_.clear();
  lru_.clear();
}

bool TokenCache::key_still_valid(Entry& e, const std::shared_ptr<const KeySet>& current) {
  if (!current) return false;
  if (!e.key_set.owner_before(current) && !current.owner_before(e.key_set)) return true;
  const Key* key = nullptr;
  if (e.key_has_kid) {
    key = current->find(e.kid);
  } else {
    for (const auto& k : current->keys()) {
      if (!k.kid() && k.fingerprint() == e.key_fingerprint) key = &k;
    }
  }
  if (!key || key->fingerprint() != e.key_fingerprint) return false;
  e.key_set = current;  // the re-fetched set still holds the key: remember the new set
  return true;
}

}  // namespace jwt_sidecar::policies
