// Revocation on the request path: an immutable snapshot of entries per source, swapped whole by
// the sources (proxy/revocation/), and the per-source state that says whether the lists may be
// trusted right now. Lookups never wait: one atomic load per source and a few hash lookups.
// Time is a parameter (Unix seconds).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "config/revocation_list.h"
#include "policies/claims.h"

namespace jwt_sidecar::policies {

// The facts of a verified token that entries can name.
struct RevocationQuery {
  std::string_view issuer;
  const Claims* claims = nullptr;  // jti, sub, iat
  std::string_view kid;            // of the key that verified the signature ("" when none)
  std::int64_t clock_skew = 0;     // the provider's: a jti entry outlives its `expires` by it
};

class RevocationSnapshot {
 public:
  RevocationSnapshot() = default;
  explicit RevocationSnapshot(std::span<const config::RevocationEntry> entries);

  // Whether an entry here revokes the token at `now`.
  bool revokes(const RevocationQuery& q, std::int64_t now) const;
  std::size_t size() const { return size_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;
  struct IssuerEntries {
    Map<std::int64_t> jti_expires;  // 0: for ever
    Map<std::int64_t> sub_before;
    std::unordered_set<std::string, Hash, std::equal_to<>> kid;
  };
  Map<IssuerEntries> by_issuer_;
  std::size_t size_ = 0;
};

// The state of every configured source (a file, Redis): its last snapshot and when it was last
// known to be current. Shared by the Runtimes of every config that keeps the same sources, so a
// reload neither forgets a list nor makes a source read again.
class Revocation {
 public:
  enum class Verdict : std::uint8_t { pass, revoked, unavailable };
  struct Policy {
    std::int64_t max_stale = 300;  // seconds
    bool reject_when_stale = true; // on_stale: reject
  };

  explicit Revocation(std::vector<std::string> source_names);

  // The request path: unavailable until every source was read once, and when a source has been
  // down for longer than max_stale under on_stale: reject.
  Verdict check(const RevocationQuery& q, std::int64_t now, const Policy& policy) const;
  // Every source has been read once.
  bool ready() const;

  // For the sources. `source` indexes the names given to the constructor.
  std::size_t source_count() const { return sources_.size(); }
  const std::string& source_name(std::size_t source) const { return sources_[source]->name; }
  // A complete read: the new list, current as of `now`.
  void publish(std::size_t source, std::shared_ptr<const RevocationSnapshot> snapshot, std::int64_t now);
  // `live`: changes reach the source as they happen (a file being watched, a Redis
  // subscription), so its list stays current without reads. Going down records `now` as the
  // last moment it was known current.
  void set_live(std::size_t source, bool live, std::int64_t now);
  // Entries in the source's list (0 before the first read) and the Unix seconds it was last
  // known current (-1 before the first read; `now` while live).
  std::size_t entries(std::size_t source) const;
  std::int64_t known_current(std::size_t source, std::int64_t now) const;
  // The source checked that its list is still what it has (a file unchanged, a full re-read
  // from Redis): for the seconds-since-sync metric. publish() counts as one.
  void mark_synced(std::size_t source, std::int64_t now);
  // Read once, not live, and last known current more than `max_stale` seconds before `now`.
  bool stale(std::size_t source, std::int64_t now, std::int64_t max_stale) const;
  std::int64_t synced_at(std::size_t source) const;  // -1 before the first

 private:
  struct Source {
    std::string name;
    std::atomic<std::shared_ptr<const RevocationSnapshot>> snapshot;
    std::atomic<bool> live{false};
    std::atomic<std::int64_t> current_at{-1};
    std::atomic<std::int64_t> synced_at{-1};
  };
  std::vector<std::unique_ptr<Source>> sources_;
};

// The policy part of `revocation:` (max_stale, on_stale).
Revocation::Policy revocation_policy(const config::RevocationConfig& cfg);

}  // namespace jwt_sidecar::policies
