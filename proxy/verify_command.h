// `jwt-sidecar verify`: one token, one key file, one JSON verdict.
#pragma once

#include <string>
#include <vector>

#include "proxy/cli.h"

namespace jwt_sidecar::proxy {

int run_verify_command(const std::vector<std::string>& args, CliStreams streams);

}  // namespace jwt_sidecar::proxy
