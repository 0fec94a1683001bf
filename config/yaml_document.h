// Parses the one YAML document of a config file.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>

#include "config/yaml_reader.h"

namespace jwt_sidecar::config::detail {

// The root node (null for an empty file), or nullopt after reporting a syntax error or a
// second document. Never throws for bad input.
std::optional<YAML::Node> parse_document(std::string_view text, YamlReader& reader);

}  // namespace jwt_sidecar::config::detail
