// The command line (DESIGN.md "Command line"). Kept apart from main() so tests can run it.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace jwt_sidecar::proxy {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRejected = 1;  // verify: token rejected; check-config: config invalid
inline constexpr int kExitUsage = 2;

struct CliStreams {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

int run_cli(const std::vector<std::string>& args, CliStreams streams);

}  // namespace jwt_sidecar::proxy
