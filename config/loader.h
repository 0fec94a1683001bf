// YAML -> Config. The only place that includes yaml-cpp.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace jwt_sidecar::config {

struct LoadResult {
  std::optional<Config> config;      // set only when `errors` is empty
  std::vector<ConfigError> errors;   // every problem found, in file order
};

// Parses and validates. Never throws for bad input: every problem becomes a ConfigError with
// file:line:column. `file` is used in the marks (and read, for load_config_file).
LoadResult load_config(std::string_view yaml_text, const std::string& file);
LoadResult load_config_file(const std::string& path);


}  // namespace jwt_sidecar::config
