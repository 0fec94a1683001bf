#include "proxy/keys/jwks_fetcher.h"

#include <sys/stat.h>

#include <boost/asio/ssl.hpp>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <random>

#include "policies/discovery.h"
#include "policies/engine.h"
#include "policies/jwk.h"
#include "policies/key_publisher.h"
#include "proxy/runtime/clock.h"
#include "proxy/keys/http_fetch.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/runtime/runtime.h"
#include "proxy/io/tls.h"

namespace jwt_sidecar::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One provider's fetch state. Touched only on the fetcher's io_context.
struct Source {
  const policies::Provider* provider = nullptr;
  // Keeps `provider` alive; after a reload re-points a source at the new Runtime's provider,
  // the old Runtimes stay until no refresh that began under them is in flight.
  std::shared_ptr<const Runtime> owner;
  std::vector<std::shared_ptr<const Runtime>> former_owners;
  bool retired = false;  // its provider left the config, or its key source changed
  std::string name;
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::unique_ptr<net::steady_timer> wake;
  bool fetching = false;
  Clock::time_point last_success{};
  bool ever_succeeded = false;
  std::optional<Clock::time_point> last_kid_fetch;
  unsigned failures = 0;
  // Waiters for the fetch in progress (or the next one): each is woken on its own executor.
  std::vector<std::pair<net::any_io_executor, std::shared_ptr<net::steady_timer>>> waiters;
  // jwks_file: what the file looked like when last read.
  struct stat file_stat {};
  bool has_file_stat = false;
  bool file_unreadable = false;  // reported; reported again only after it was read once more
};

milliseconds jittered(milliseconds d, std::mt19937& rng) {
  std::uniform_real_distribution<double> factor(0.8, 1.2);  // +-20%: spread fleets apart
  return milliseconds(static_cast<std::int64_t>(static_cast<double>(d.count()) * factor(rng)));
}

bool remote_or_file(const config::Provider& cfg) {
  return cfg.jwks_uri || cfg.discovery || cfg.jwks_file;
}

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec && a.st_dev == b.st_dev;
}

}  // namespace

struct JwksFetcher::Impl : std::enable_shared_from_this<Impl> {
  net::io_context& ioc;
  std::shared_ptr<const Runtime> runtime;
  std::vector<std::unique_ptr<Source>> sources;
  std::vector<std::unique_ptr<Source>> retired;  // until their loops end
  std::mt19937 rng{std::random_device{}()};
  bool stopped = false;
  FetchOptions options;

  Impl(net::io_context& c, std::shared_ptr<const Runtime> rt) : ioc(c), runtime(std::move(rt)) {}

  Source* find(const policies::Provider& p) {
    for (auto& s : sources) {
      if (s->provider == &p) return s.get();
    }
    return nullptr;
  }

  void wake_waiters(Source& s) {
    for (auto& [ex, timer] : s.waiters) net::post(ex, [t = timer] { t->cancel(); });
    s.waiters.clear();
  }

  // Publishes a fetched or re-read set by the one set of rules (policies/key_publisher.h);
  // true when it is in use with usable keys.
  bool accept(Source& s, const std::string& text, const std::string& where, policies::KeyOrigin origin) {
    const auto r = policies::publish_key_set(s.provider->keys(), text, origin, unix_ms());
    for (const auto& k : r.skipped) {
      log_warn("key skipped", {{"provider", s.name}, {"source", where}, {"index", k.index},
                               {"kid", k.kid.value_or("")}, {"reason", k.reason}});
    }
    if (!r.published) {
      log_error("key set refused", {{"provider", s.name}, {"source", where}, {"error", r.error}});
      return false;
    }
    if (!r.error.empty()) {
      log_error("no usable keys", {{"provider", s.name}, {"file", where}});
      return false;  // published (the operator emptied the file), but counted as a bad document
    }
    if (r.kids_changed) {
      log_info("keys loaded", {{"provider", s.name}, {"source", where}, {"keys", r.keys->size()},
                               {"kids", policies::kids_of(*r.keys)}});
    }
    return true;
  }

  awaitable<FetchResult> fetch_remote(Source& s, std::string& where) {
    const auto& cfg = s.provider->config();
    std::string jwks_url = cfg.jwks_uri ? cfg.jwks_uri->text : "";
    if (cfg.discovery) {
      std::string issuer = cfg.issuer;
      while (!issuer.empty() && issuer.back() == '/') issuer.pop_back();
      where = issuer + "/.well-known/openid-configuration";
      auto d = co_await http_get(where, options, s.tls.get());
      if (!d.ok) co_return d;
      policies::DiscoveryDocument doc;
      if (const auto why = policies::parse_discovery(d.body, doc); !why.empty()) {
        FetchResult r;
        r.kind = "bad_document";
        r.error = "discovery document: " + why;
        co_return r;
      }
      // OpenID Connect Discovery 1.0 section 4.3: the issuer must match exactly.
      if (doc.issuer != cfg.issuer) {
        FetchResult r;
        r.kind = "issuer_mismatch";
        r.error = "discovery document names issuer '" + doc.issuer + "', not '" + cfg.issuer + "'";
        co_return r;
      }
      jwks_url = doc.jwks_uri;
    }
    where = jwks_url;
    co_return co_await http_get(jwks_url, options, s.tls.get());
  }

  // One refresh: returns how long until the next.
  awaitable<milliseconds> refresh(Source& s) {
    const auto& cfg = s.provider->config();
    s.fetching = true;
    std::string where;
    auto r = co_await fetch_remote(s, where);
    bool good = r.ok && accept(s, r.body, where, policies::KeyOrigin::identity_provider);
    if (r.ok && !good) r.kind = "bad_document";
    Metrics::instance().jwks_fetch(s.name, good ? "ok" : r.kind);
    s.fetching = false;
    wake_waiters(s);
    if (good) {
      s.failures = 0;
      s.last_success = Clock::now();
      s.ever_succeeded = true;
      // Refresh a little before the IdP's max-age runs out, within the configured bounds.
      auto next = r.max_age ? milliseconds(*r.max_age) * 9 / 10 : cfg.refresh_interval;
      next = std::clamp(next, cfg.min_refresh_interval, cfg.refresh_interval);
      co_return jittered(next, rng);
    }
    if (!r.ok) log_warn("JWKS fetch failed", {{"provider", s.name}, {"url", where}, {"error", r.error}});
    ++s.failures;
    if (s.ever_succeeded && Clock::now() - s.last_success > cfg.max_stale && s.provider->keys().loaded()) {
      s.provider->keys().publish(nullptr, unix_ms());
      log_error("keys expired: no successful fetch within max_stale", {{"provider", s.name}});
    }
    const auto cap = std::max(milliseconds(1000), std::min<milliseconds>(cfg.min_refresh_interval, cfg.refresh_interval));
    const auto shift = std::min(s.failures - 1, 16u);
    co_return jittered(std::min(cap, milliseconds(std::int64_t{500} << shift)), rng);
  }

  // jwks_file: re-read when its inode, size or modification time changes. A file that
  // vanishes or cannot be read keeps the last keys (a ConfigMap update replaces the file
  // through a symlink swap, so a moment without it is normal) but is reported once per
  // disappearance: an operator who deleted it to revoke its keys must see that it did not.
  void poll_file(Source& s) {
    const auto& path = *s.provider->config().jwks_file;
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (exists && s.has_file_stat && same_file(st, s.file_stat)) return;
    std::ifstream in;
    if (exists) in.open(path, std::ios::binary);
    if (!in.is_open() || !in) {
      if (!s.file_unreadable) {
        s.file_unreadable = true;
        s.has_file_stat = false;  // read it again as soon as it is back, whatever its stat
        log_warn("cannot read jwks_file", {{"provider", s.name}, {"file", path},
                                           {"keys", s.provider->keys().loaded() ? "kept" : "none"}});
        Metrics::instance().jwks_fetch(s.name, "read_error");
      }
      return;
    }
    s.file_unreadable = false;
    s.file_stat = st;
    s.has_file_stat = true;
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    const bool ok = accept(s, text, path, policies::KeyOrigin::operator_owned);
    Metrics::instance().jwks_fetch(s.name, ok ? "ok" : "bad_document");
  }

  // A Source for a provider with a remote or file key source; null when its TLS setup failed.
  std::unique_ptr<Source> make_source(const policies::Provider& p, std::shared_ptr<const Runtime> owner) {
    const auto& cfg = p.config();
    auto s = std::make_unique<Source>();
    s->provider = &p;
    s->owner = std::move(owner);
    s->name = cfg.name;
    s->wake = std::make_unique<net::steady_timer>(ioc);
    if (!cfg.jwks_file) {
      std::string error;
      // Built once per source (loading a CA bundle is not free), hardened like an upstream's.
      config::ClientTls settings;
      if (cfg.ca_file) settings.ca_file = *cfg.ca_file;
      s->tls = make_client_tls(settings, error);
      if (!s->tls) {
        log_error("TLS setup failed", {{"provider", cfg.name}, {"error", error}});
        return nullptr;
      }
    }
    return s;
  }

  awaitable<void> run(Source& s) {
    auto self = shared_from_this();  // keeps Impl alive while the loop runs
    const bool file = s.provider->config().jwks_file.has_value();
    while (!stopped && !s.retired) {
      s.former_owners.clear();  // no refresh is in flight here
      milliseconds next{1000};
      if (file) {
        poll_file(s);
        wake_waiters(s);
      } else {
        next = co_await refresh(s);
      }
      if (stopped || s.retired) break;
      s.wake->expires_after(next);
      co_await s.wake->async_wait(use_tuple);  // also ends early on an unknown-kid request
    }
    // Last use of `s`: a retired source is freed here.
    std::erase_if(retired, [&s](const std::unique_ptr<Source>& r) { return r.get() == &s; });
  }
};

JwksFetcher::JwksFetcher(net::io_context& ioc, std::shared_ptr<const Runtime> runtime)
    : impl_(std::make_shared<Impl>(ioc, std::move(runtime))) {}

JwksFetcher::~JwksFetcher() { stop(); }

void JwksFetcher::start() {
  auto& impl = *impl_;
  for (const auto& p : impl.runtime->engine->providers()) {
    if (!remote_or_file(p->config())) continue;
    if (auto s = impl.make_source(*p, impl.runtime)) impl.sources.push_back(std::move(s));
  }
  for (auto& s : impl.sources) net::co_spawn(impl.ioc, impl.run(*s), net::detached);
}

void JwksFetcher::adopt(std::shared_ptr<const Runtime> runtime) {
  auto& impl = *impl_;
  std::vector<std::unique_ptr<Source>> next;
  std::vector<Source*> started;
  for (const auto& p : runtime->engine->providers()) {
    const auto& cfg = p->config();
    if (!remote_or_file(cfg)) continue;
    const auto kept = std::find_if(impl.sources.begin(), impl.sources.end(), [&](const auto& s) {
      return s && policies::same_key_source(s->provider->config(), cfg);
    });
    if (kept != impl.sources.end()) {
      auto& s = **kept;
      s.provider = p.get();
      s.former_owners.push_back(std::move(s.owner));
      s.owner = runtime;
      next.push_back(std::move(*kept));
    } else if (auto s = impl.make_source(*p, runtime)) {
      started.push_back(s.get());
      next.push_back(std::move(s));
    }
  }
  for (auto& s : impl.sources) {
    if (!s) continue;
    s->retired = true;
    s->wake->cancel();
    impl.wake_waiters(*s);
    impl.retired.push_back(std::move(s));
  }
  impl.sources = std::move(next);
  impl.runtime = std::move(runtime);
  for (auto* s : started) net::co_spawn(impl.ioc, impl.run(*s), net::detached);
}

void JwksFetcher::stop() {
  net::post(impl_->ioc, [impl = impl_] {
    impl->stopped = true;
    for (auto& s : impl->sources) {
      s->wake->cancel();
      impl->wake_waiters(*s);
    }
  });
}

awaitable<bool> JwksFetcher::refetch_for_unknown_kid(const policies::Provider& provider) {
  auto ex = co_await net::this_coro::executor;
  auto timer = std::make_shared<net::steady_timer>(ex, impl_->options.connect_timeout + impl_->options.read_timeout);
  // Written on the fetcher's thread, read here after the wake-up (or the timeout).
  auto fetched = std::make_shared<std::atomic<bool>>(false);
  net::post(impl_->ioc, [impl = impl_, &provider, ex, timer, fetched] {
    Source* s = impl->find(provider);
    if (!s || s->provider->config().jwks_file || impl->stopped) {
      net::post(ex, [timer] { timer->cancel(); });
      return;
    }
    const auto now = Clock::now();
    const auto gap = s->provider->config().min_refresh_interval;
    if (!s->fetching && s->last_kid_fetch && now - *s->last_kid_fetch < gap) {
      net::post(ex, [timer] { timer->cancel(); });  // rate-limited: answer with the current set
      return;
    }
    fetched->store(true);
    s->waiters.emplace_back(ex, timer);
    if (!s->fetching) {
      s->last_kid_fetch = now;
      s->wake->cancel();  // the loop fetches now instead of at its scheduled time
    }
  });
  // Cancelled when the fetch completes (or at once); otherwise the timer bounds the wait. The
  // cancel is posted to this executor, so it cannot run before this wait is registered.
  co_await timer->async_wait(use_tuple);
  co_return fetched->load();
}

}  // namespace jwt_sidecar::proxy
