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

// The bytes of a file of at most `max_bytes`; nullopt with `problem` ("cannot open: ...", "is a
// directory", "the file is larger than 4 MiB") otherwise.
std::optional<std::string> read_file_text(const std::string& path, std::size_t max_bytes, std::string& problem);

}  // namespace jwt_sidecar::config::detail
