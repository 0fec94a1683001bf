// The commands besides `verify`: run the proxy, check a config, run the demo.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/cli/cli.h"

namespace jwt_sidecar::proxy {

// Each takes its arguments already parsed (proxy/cli.cpp is the one parser).
int run_proxy_command(const std::string& config_path, CliStreams streams);
int run_check_config_command(const std::string& config_path, CliStreams streams);
int run_demo_command(std::uint16_t port, CliStreams streams);

}  // namespace jwt_sidecar::proxy
