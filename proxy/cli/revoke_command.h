// `jwt-sidecar revoke` (DESIGN.md "Revocation"): adds, removes and lists revocation entries in
// the config's Redis (announcing each change), or, with only a file, rewrites the file
// atomically. Exit 0 done, 1 failed (message on stderr), 2 usage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "proxy/cli/cli.h"

namespace jwt_sidecar::proxy {

// As the command line gave them (proxy/cli.cpp parses).
struct RevokeArgs {
  std::string config_path;
  std::optional<std::string> issuer, jti, sub, kid;
  std::optional<std::int64_t> expires, before;
  bool remove = false;
  bool list = false;
  std::optional<std::int64_t> now;  // for --before's default; tests pass it
};

int run_revoke_command(const RevokeArgs& args, CliStreams streams);

}  // namespace jwt_sidecar::proxy
