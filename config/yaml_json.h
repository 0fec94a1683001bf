// YAML values as JSON: the inline `jwks` is handed to the JWKS parser as JSON text, and claim
// values become typed Scalars.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/config.h"

namespace jwt_sidecar::config::detail {

// Appends `node` as compact JSON to `out`. Returns "" or a phrase saying why it cannot be
// converted ("is nested too deeply"). Aliases may point at their own ancestors or multiply a
// small file into a huge tree, so depth and output size are bounded.
std::string yaml_to_json(const YAML::Node& node, std::string& out);

// A scalar node as a claim value; the caller has checked that it is a scalar or null.
Scalar to_scalar(const YAML::Node& node);

}  // namespace jwt_sidecar::config::detail
