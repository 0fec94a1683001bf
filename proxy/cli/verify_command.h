// `jwt-sidecar verify`: one token, one key file, one JSON verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/cli/cli.h"

namespace jwt_sidecar::proxy {

// As the command line gave them (proxy/cli.cpp parses; ranges are checked there).
struct VerifyArgs {
  std::string jwks_file;
  std::string token;  // "-" means standard input
  std::optional<std::string> issuer;
  std::vector<std::string> audiences;
  std::optional<std::string> algorithms;  // "RS256,ES256"
  std::int64_t clock_skew = 60;
  std::optional<std::int64_t> max_lifetime;
  std::optional<std::int64_t> now;
  bool no_require_exp = false;
  std::optional<std::string> revoked_file;  // a revocation list (DESIGN.md "Revocation")
};

int run_verify_command(const VerifyArgs& args, CliStreams streams);

}  // namespace jwt_sidecar::proxy
