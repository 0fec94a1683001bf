// Verified tokens, remembered so a client's repeated requests skip the signature check.
// One cache per worker thread: no locks on the hot path. Only successful verifications are
// stored; on a hit the caller still re-checks time claims and route requirements, and the key
// that verified the token must still be in its provider's current key set.
#pragma once

#include <array>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policies/jwk.h"
#include "policies/jws.h"

namespace jwt_sidecar::policies {

class Provider;

class TokenCache {
 public:
  struct Entry {
    std::string token;                           // exact bytes: the lookup is a full compare
    const Provider* provider = nullptr;
    // The set that held the key when verified. A weak_ptr, compared by owner: unlike a raw
    // address it can never match a different set allocated where a freed one was.
    std::weak_ptr<const KeySet> key_set;
    std::array<unsigned char, 32> key_fingerprint{};
    std::string kid;                             // of the key, to find it in a newer set
    bool key_has_kid = false;
    ParsedJws jws;                               // decoded parts and claims
  };

  explicit TokenCache(std::size_t capacity) : capacity_(capacity) {}
  TokenCache(const TokenCache&) = delete;
  TokenCache& operator=(const TokenCache&) = delete;

  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return index_.size(); }

  // The entry for exactly these bytes, refreshed as most recently used; or null.
  Entry* find(std::string_view token);
  // Stores a verified token, evicting the least recently used entry when full.
  void insert(std::string_view token, const Provider& provider,
              const std::shared_ptr<const KeySet>& set, const Key& key, const ParsedJws& jws);
  void erase(std::string_view token);
  void clear();

  // Whether `e`'s key is still in `current` (the provider's set now): the same set object, or
  // a key with the same kid (or, without kid, any key) and the same key material.
  static bool key_still_valid(Entry& e, const std::shared_ptr<const KeySet>& current);

 private:
  std::size_t capacity_;
  std::list<Entry> lru_;  // front: most recently used; nodes never move, so views stay valid
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
};

}  // namespace jwt_sidecar::policies
