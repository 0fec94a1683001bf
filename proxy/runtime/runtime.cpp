#include "proxy/runtime/runtime.h"

#include <sys/stat.h>

#include <atomic>
#include <cerrno>

#include "proxy/io/tls.h"

namespace jwt_sidecar::proxy {
namespace {

bool missing(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) != 0 && errno == ENOENT;
}

// check-config runs where the certificates may not be (a CI job, a laptop): a file that does
// not exist there is a warning; one that exists but is unusable is an error.
bool report_missing(std::vector<std::string>* warnings, const config::Mark& at,
                    std::initializer_list<const std::string*> paths) {
  if (!warnings) return false;
  bool any = false;
  for (const auto* p : paths) {
    if (missing(*p)) {
      warnings->push_back(config::ConfigError{at, "file " + *p + " does not exist here; it must at startup"}.to_string());
      any = true;
    }
  }
  return any;
}

std::string base_path(const config::Url& url) {
  std::string p = url.path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

std::uint64_t next_runtime_generation() {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::shared_ptr<const Runtime> build_runtime(config::Config config,
                                             std::vector<config::ConfigError>& errors,
                                             std::vector<std::string>* warnings,
                                             const Runtime* previous) {
  auto rt = std::make_shared<Runtime>();
  const auto before = errors.size();
  // Compile from the Runtime's own copy: the engine may keep references into it.
  rt->config = std::move(config);
  const config::Config& cfg = rt->config;
  rt->engine = policies::PolicyEngine::compile(cfg, errors, previous ? previous->engine.get() : nullptr);

  auto add_upstream = [&](const config::Url& url) -> std::size_t {
    const bool https = url.scheme == "https";
    const auto& tls = url.client_tls;
    // Every https upstream gets its own context and pool key: two routes naming the same
    // host with different CAs or client certificates must not share connections.
    const bool h2c = url.scheme == "h2c";
    auto key = (https ? "https://" : h2c ? "h2c://" : "") + url.host + ":" + std::to_string(url.port);
    if (https) key += "#" + std::to_string(rt->upstreams.size());
    for (std::size_t i = 0; i < rt->upstreams.size() && !https; ++i) {
      if (rt->upstreams[i].key == key && rt->upstream_paths[i] == base_path(url)) return i;
    }
    UpstreamTarget target{key, url.host, std::to_string(url.port), nullptr, {}, h2c};
    if (https) {
      std::string error;
      const config::Mark* where = &url.mark;
      if (!report_missing(warnings, url.mark, {&tls.ca_file, &tls.cert_file, &tls.key_file})) {
        target.tls = make_client_tls(tls, error, &where);
        if (!target.tls) errors.push_back({*where, error});
        if (target.tls) offer_h2_alpn(*target.tls);
      }
      target.server_name = tls.server_name.empty() ? url.host : tls.server_name;
    }
    rt->upstreams.push_back(std::move(target));
    rt->upstream_paths.push_back(base_path(url));
    return rt->upstreams.size() - 1;
  };
  add_upstream(cfg.upstream);
  if (cfg.tls && !report_missing(warnings, cfg.tls->mark, {&cfg.tls->cert_file, &cfg.tls->key_file})) {
    std::string error;
    rt->server_tls = make_server_tls(*cfg.tls, error);
    if (!rt->server_tls) errors.push_back({cfg.tls->mark, error});
  }
  for (const auto& route : cfg.routes) {
    rt->route_upstream.push_back(route.upstream ? add_upstream(*route.upstream) : 0);
  }
  if (errors.size() != before || !rt->engine) return nullptr;
  return rt;
}

}  // namespace jwt_sidecar::proxy
