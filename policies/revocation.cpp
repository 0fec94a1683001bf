#include "policies/revocation.h"

#include <algorithm>

namespace jwt_sidecar::policies {

RevocationSnapshot::RevocationSnapshot(std::span<const config::RevocationEntry> entries) {
  using Kind = config::RevocationEntry::Kind;
  for (const auto& e : entries) {
    auto& issuer = by_issuer_[e.issuer];
    switch (e.kind) {
      case Kind::jti: {
        // Two entries for one token: the longer-lived wins (0, for ever, is the longest).
        auto [it, added] = issuer.jti_expires.try_emplace(e.value, e.time);
        if (!added && it->second != 0) it->second = e.time == 0 ? 0 : std::max(it->second, e.time);
        break;
      }
      case Kind::sub: {
        auto [it, added] = issuer.sub_before.try_emplace(e.value, e.time);
        if (!added) it->second = std::max(it->second, e.time);
        break;
      }
      case Kind::kid:
        issuer.kid.insert(e.value);
        break;
    }
  }
  for (const auto& [name, issuer] : by_issuer_) {
    size_ += issuer.jti_expires.size() + issuer.sub_before.size() + issuer.kid.size();
  }
}

bool RevocationSnapshot::revokes(const RevocationQuery& q, std::int64_t now) const {
  if (size_ == 0) return false;
  const auto it = by_issuer_.find(q.issuer);
  if (it == by_issuer_.end()) return false;
  const IssuerEntries& e = it->second;
  const Claims& c = *q.claims;
  if (c.jti && !e.jti_expires.empty()) {
    // Kept past `expires` by the clock skew: a token whose exp is `expires` is still accepted
    // for that long, and must stay revoked for as long.
    if (const auto j = e.jti_expires.find(*c.jti); j != e.jti_expires.end()) {
      if (j->second == 0 || now < j->second + q.clock_skew) return true;
    }
  }
  if (c.sub && !e.sub_before.empty()) {
    // A token without "iat" cannot show it was issued after the entry: revoked.
    if (const auto s = e.sub_before.find(*c.sub); s != e.sub_before.end()) {
      if (!c.iat || *c.iat < static_cast<double>(s->second)) return true;
    }
  }
  return !q.kid.empty() && e.kid.find(q.kid) != e.kid.end();
}

Revocation::Revocation(std::vector<std::string> source_names) {
  for (auto& name : source_names) {
    sources_.push_back(std::make_unique<Source>());
    sources_.back()->name = std::move(name);
  }
}

Revocation::Verdict Revocation::check(const RevocationQuery& q, std::int64_t now, const Policy& policy) const {
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const auto snapshot = sources_[i]->snapshot.load(std::memory_order_acquire);
    if (!snapshot) return Verdict::unavailable;
    if (stale(i, now, policy.max_stale)) {
      if (policy.reject_when_stale) return Verdict::unavailable;
      // on_stale: allow - the last list still applies
    }
    if (snapshot->revokes(q, now)) return Verdict::revoked;
  }
  return Verdict::pass;
}

bool Revocation::ready() const {
  return std::all_of(sources_.begin(), sources_.end(),
                     [](const auto& s) { return s->snapshot.load(std::memory_order_acquire) != nullptr; });
}

void Revocation::publish(std::size_t source, std::shared_ptr<const RevocationSnapshot> snapshot, std::int64_t now) {
  auto& s = *sources_[source];
  s.current_at.store(now, std::memory_order_release);
  s.synced_at.store(now, std::memory_order_release);
  s.snapshot.store(std::move(snapshot), std::memory_order_release);
}

void Revocation::mark_synced(std::size_t source, std::int64_t now) {
  auto& s = *sources_[source];
  s.synced_at.store(now, std::memory_order_release);
  s.current_at.store(now, std::memory_order_release);
}

bool Revocation::stale(std::size_t source, std::int64_t now, std::int64_t max_stale) const {
  const auto& s = *sources_[source];
  return !s.live.load(std::memory_order_acquire) && s.current_at.load(std::memory_order_acquire) >= 0 &&
         now - s.current_at.load(std::memory_order_acquire) > max_stale;
}

std::int64_t Revocation::synced_at(std::size_t source) const {
  return sources_[source]->synced_at.load(std::memory_order_acquire);
}

void Revocation::set_live(std::size_t source, bool live, std::int64_t now) {
  auto& s = *sources_[source];
  if (!live && s.live.load(std::memory_order_acquire)) s.current_at.store(now, std::memory_order_release);
  s.live.store(live, std::memory_order_release);
}

std::size_t Revocation::entries(std::size_t source) const {
  const auto snapshot = sources_[source]->snapshot.load(std::memory_order_acquire);
  return snapshot ? snapshot->size() : 0;
}

std::int64_t Revocation::known_current(std::size_t source, std::int64_t now) const {
  const auto& s = *sources_[source];
  if (!s.snapshot.load(std::memory_order_acquire)) return -1;
  return s.live.load(std::memory_order_acquire) ? now : s.current_at.load(std::memory_order_acquire);
}

Revocation::Policy revocation_policy(const config::RevocationConfig& cfg) {
  Revocation::Policy p;
  p.max_stale = std::chrono::duration_cast<std::chrono::seconds>(cfg.max_stale).count();
  p.reject_when_stale = cfg.on_stale == config::RevocationConfig::OnStale::reject;
  return p;
}

}  // namespace jwt_sidecar::policies
