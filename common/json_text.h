// Writing JSON text: error bodies, log lines and CLI output.
#pragma once

#include <string>
#include <string_view>

namespace jwt_sidecar::common {

// Appends `s` as a JSON string literal, quotes included. Control characters are escaped, so
// the result is always a single line; well-formed UTF-8 is copied as it is, and every byte that
// is not part of a well-formed sequence is escaped as \u00XX, so the result is valid JSON
// whatever the input (a raw path, a header value).
void append_json_string(std::string& out, std::string_view s);
std::string json_string(std::string_view s);

}  // namespace jwt_sidecar::common

