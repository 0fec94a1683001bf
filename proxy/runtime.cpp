#include "proxy/runtime.h"


namespace jwt_sidecar::proxy {
namespace {

std::string base_path(const config::Url& url) {
  std::string p = url.path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

std::shared_ptr<const Runtime> build_runtime(config::Config config,
                                             std::vector<config::ConfigError>& errors) {
  auto rt = std::make_shared<Runtime>();
  const auto before = errors.size();
  // Compile from the Runtime's own copy: the engine may keep references into it.
  rt->config = std::move(config);
  const config::Config& cfg = rt->config;
  rt->engine = policies::PolicyEngine::compile(cfg, errors);

  auto add_upstream = [&](const config::Url& url) -> std::size_t {
    for (std::size_t i = 0; i < rt->upstreams.size(); ++i) {
      if (rt->upstreams[i].key == url.host + ":" + std::to_string(url.port) &&
          rt->upstream_paths[i] == base_path(url)) {
        return i;
      }
    }
    UpstreamTarget target{url.host + ":" + std::to_string(url.port), url.host, std::to_string(url.port)};
    if (url.scheme != "http") {
      errors.push_back({url.mark, "https:// upstreams are not supported yet; use http://"});
    }
    rt->upstreams.push_back(std::move(target));
    rt->upstream_paths.push_back(base_path(url));
    return rt->upstreams.size() - 1;
  };
  add_upstream(cfg.upstream);
  for (const auto& route : cfg.routes) {
    rt->route_upstream.push_back(route.upstream ? add_upstream(*route.upstream) : 0);
  }
  if (errors.size() != before || !rt->engine) return nullptr;
  return rt;
}

}  // namespace jwt_sidecar::proxy
