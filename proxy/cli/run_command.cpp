#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "config/loader.h"
#include "config/revocation_list.h"
#include "common/json_text.h"
#include "proxy/cli/commands.h"
#include "proxy/keys/key_loading.h"
#include "proxy/observability/log.h"
#include "proxy/runtime/runtime.h"
#include "proxy/server/server.h"

namespace jwt_sidecar::proxy {
namespace {

// Loads and compiles a config; prints every error. Null when there were any.
std::shared_ptr<const Runtime> load_runtime(const std::string& path, std::ostream& err,
                                           std::vector<std::string>* warnings = nullptr) {
  auto loaded = config::load_config_file(path);
  std::vector<config::ConfigError> errors = std::move(loaded.errors);
  std::shared_ptr<const Runtime> rt;
  if (errors.empty() && loaded.config) rt = build_runtime(std::move(*loaded.config), errors, warnings);
  for (const auto& e : errors) err << e.to_string() << "\n";
  if (!errors.empty()) {
    err << path << ": " << errors.size() << (errors.size() == 1 ? " error" : " errors") << "\n";
    return nullptr;
  }
  return rt;
}

}  // namespace

int run_check_config_command(const std::string& config_path, CliStreams streams) {
  std::vector<std::string> file_warnings;
  const auto rt = load_runtime(config_path, streams.err, &file_warnings);
  if (!rt) return kExitRejected;
  // Key files are part of the config for a user: report them too.
  const auto report = load_static_keys(*rt, /*log=*/false);
  for (const auto& w : file_warnings) streams.err << "warning: " << w << "\n";
  for (const auto& w : report.warnings) streams.err << "warning: " << w << "\n";
  for (const auto& e : report.errors) streams.err << e << "\n";
  // So is a revocation file that is there: the proxy would refuse it (and keep no list).
  bool list_errors = false;
  if (const auto& rev = rt->config.revocation; rev && rev->file) {
    std::error_code ec;
    if (!std::filesystem::exists(*rev->file, ec)) {
      streams.err << "warning: revocation file " << *rev->file
                  << " does not exist (the proxy is not ready until it does)\n";
    } else {
      const auto list = config::load_revocation_file(*rev->file);
      for (const auto& e : list.errors) streams.err << e.to_string() << "\n";
      list_errors = !list.errors.empty();
    }
  }
  if (!report.errors.empty() || list_errors) return kExitRejected;
  streams.out << config_path << ": ok (" << rt->config.providers.size() << " providers, "
              << rt->config.routes.size() << " routes)\n";
  return kExitOk;
}

int run_proxy_command(const std::string& config_path, CliStreams streams) {
  // Read before loading: if the file changes in between, the watcher sees it and reloads.
  std::string applied;
  {
    std::ifstream in(config_path, std::ios::binary);
    applied.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto rt = load_runtime(config_path, streams.err);
  if (!rt) return kExitRejected;
  Logger::instance().configure(rt->config.log_level, rt->config.access_log);
  load_static_keys(*rt, /*log=*/true);
  try {
    Server server(rt);
    server.enable_reload(config_path, std::move(applied));
    server.start();
    server.handle_signals();
    const int code = server.wait();
    log_info("stopped");
    return code;
  } catch (const std::exception& e) {
    log_error("startup failed", {{"error", e.what()}});
    streams.err << "jwt-sidecar: " << e.what() << "\n";
    return kExitRejected;
  }
}

}  // namespace jwt_sidecar::proxy
