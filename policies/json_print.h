// Printing decoded token parts (for `jwt-sidecar verify`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jwt_sidecar::policies {

// `text` re-serialised without insignificant whitespace when it is one valid JSON object
// (UTF-8, within the nesting limit); nullopt otherwise.
std::optional<std::string> minified_json_object(std::string_view text);

}  // namespace jwt_sidecar::policies
