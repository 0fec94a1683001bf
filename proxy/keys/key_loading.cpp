#include "proxy/runtime/clock.h"
#include "proxy/keys/key_loading.h"

#include <chrono>
#include <fstream>
#include <iterator>

#include "policies/key_publisher.h"
#include "proxy/observability/log.h"

namespace jwt_sidecar::proxy {

KeyLoadReport load_static_keys(const Runtime& runtime, bool log) {
  KeyLoadReport report;
  auto& problems = report.errors;
  for (const auto& provider : runtime.engine->providers()) {
    const auto& cfg = provider->config();
    if (!cfg.jwks_file) continue;  // inline keys were loaded when the engine was compiled
    const std::string where = config::ConfigError{cfg.jwks_mark, ""}.to_string();
    std::ifstream in(*cfg.jwks_file, std::ios::binary);
    if (!in) {
      report.warnings.push_back(where + "provider '" + cfg.name + "': cannot read jwks_file " + *cfg.jwks_file);
      if (log) log_error("cannot read jwks_file", {{"provider", cfg.name}, {"file", *cfg.jwks_file}});
      continue;
    }
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    const auto r = policies::publish_key_set(provider->keys(), text, policies::KeyOrigin::operator_owned, unix_ms());
    for (const auto& k : r.skipped) {
      if (log) {
        log_warn("key skipped", {{"provider", cfg.name}, {"index", k.index},
                                 {"kid", k.kid.value_or("")}, {"reason", k.reason}});
      }
    }
    if (!r.error.empty()) {
      // At startup and on reload a key file is part of the config: one without usable keys
      // refuses the config (while running, the fetcher applies it: keys/jwks_fetcher.cpp).
      problems.push_back(where + "provider '" + cfg.name + "': " + *cfg.jwks_file + ": " + r.error);
      if (log) log_error(r.published ? "no usable keys" : "bad jwks_file", {{"provider", cfg.name}, {"file", *cfg.jwks_file}, {"error", r.error}});
      continue;
    }
    if (log) log_info("keys loaded", {{"provider", cfg.name}, {"keys", r.keys->size()}});
  }
  return report;
}

}  // namespace jwt_sidecar::proxy
