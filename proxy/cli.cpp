#include "proxy/cli.h"

#include <iostream>

#include "proxy/commands.h"
#include "proxy/verify_command.h"

#ifndef JWT_SIDECAR_VERSION
#error "JWT_SIDECAR_VERSION must be defined by the build"
#endif

namespace jwt_sidecar::proxy {
namespace {

constexpr const char* kUsage = R"(usage:
  jwt-sidecar --config FILE
      Run the proxy with a YAML config (see config/examples/). SIGTERM/SIGINT drain and exit 0.
  jwt-sidecar check-config FILE
      Validate a config; print every error as file:line:column and exit 1, or exit 0.
  jwt-sidecar demo [--port PORT]
      Self-contained demo: a fresh signing key, an example upstream and the proxy on local
      ports, with tokens and curl lines to try. Runs until Ctrl-C.
  jwt-sidecar verify --jwks FILE [--issuer ISS] [--audience AUD]... [--algorithms A,B]
                     [--clock-skew SECONDS] [--now UNIX] [--max-lifetime SECONDS]
                     [--no-require-exp] TOKEN|-
      Verify one token against a JWK Set file and print the result as one JSON object:
      {"valid":bool,"reason":"...","alg":"...","kid":"...","header":{...},"claims":{...}}
      Exit 0 when valid, 1 when rejected, 2 on a usage or key-file error.
      Default algorithms: every asymmetric one (HS* must be listed explicitly).
  jwt-sidecar --version
  jwt-sidecar --help
)";

}  // namespace

int run_cli(const std::vector<std::string>& args, CliStreams streams) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? streams.err : streams.out) << kUsage;
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    streams.out << "jwt-sidecar " << JWT_SIDECAR_VERSION << "\n";
    return kExitOk;
  }
  if (args[0] == "--config" || args[0].rfind("--config=", 0) == 0) {
    std::string path = args[0].size() > 8 ? args[0].substr(9) : (args.size() > 1 ? args[1] : "");
    if (path.empty()) {
      streams.err << "jwt-sidecar: --config needs a file\n";
      return kExitUsage;
    }
    return run_proxy_command(path, streams);
  }
  if (args[0] == "check-config") return run_check_config_command({args.begin() + 1, args.end()}, streams);
  if (args[0] == "demo") return run_demo_command({args.begin() + 1, args.end()}, streams);
  if (args[0] == "verify") {
    return run_verify_command({args.begin() + 1, args.end()}, streams);
  }
  streams.err << "jwt-sidecar: unknown command '" << args[0] << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace jwt_sidecar::proxy
