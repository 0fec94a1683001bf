#include "proxy/clock.h"
#include "proxy/key_loading.h"

#include <chrono>
#include <fstream>
#include <iterator>

#include "policies/json_text.h"
#include "policies/jwk.h"
#include "proxy/log.h"

namespace jwt_sidecar::proxy {
namespace {

}  // namespace

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
    auto loaded = policies::load_jwks(text);
    if (!loaded.error.empty()) {
      problems.push_back(where + "provider '" + cfg.name + "': " + *cfg.jwks_file + ": " + loaded.error);
      if (log) log_error("bad jwks_file", {{"provider", cfg.name}, {"file", *cfg.jwks_file}, {"error", loaded.error}});
      continue;
    }
    for (const auto& s : loaded.skipped) {
      if (log) {
        log_warn("key skipped", {{"provider", cfg.name}, {"index", s.index},
                                 {"kid", s.kid.value_or("")}, {"reason", s.reason}});
      }
    }
    if (loaded.keys->empty()) {
      problems.push_back(where + "provider '" + cfg.name + "': " + *cfg.jwks_file + " has no usable keys");
      if (log) log_error("no usable keys", {{"provider", cfg.name}, {"file", *cfg.jwks_file}});
      continue;
    }
    provider->keys().publish(loaded.keys, unix_ms());
    if (log) log_info("keys loaded", {{"provider", cfg.name}, {"keys", loaded.keys->size()}});
  }
  return report;
}

}  // namespace jwt_sidecar::proxy
