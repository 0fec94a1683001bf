// The commands besides `verify`: run the proxy, check a config, run the demo.
#pragma once

#include <string>
#include <vector>

#include "proxy/cli.h"

namespace jwt_sidecar::proxy {

int run_proxy_command(const std::string& config_path, CliStreams streams);
int run_check_config_command(const std::vector<std::string>& args, CliStreams streams);
int run_demo_command(const std::vector<std::string>& args, CliStreams streams);

}  // namespace jwt_sidecar::proxy
