#include "proxy/cli.h"

#include <iostream>

#include "proxy/verify_command.h"

#ifndef JWT_SIDECAR_VERSION
#error "JWT_SIDECAR_VERSION must be defined by the build"
#endif

namespace jwt_sidecar::proxy {
namespace {

constexpr const char* kUsage = R"(usage:
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
  if (args[0] == "verify") {
    return run_verify_command({args.begin() + 1, args.end()}, streams);
  }
  streams.err << "jwt-sidecar: unknown command '" << args[0] << "'\n" << kUsage;
  return kExitUsage;
}

}  // namespace jwt_sidecar::proxy
