// Durations as the config writes them: "500ms", "10s", "5m", "24h".
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace jwt_sidecar::config {

// A whole number followed by one unit (ms, s, m, h); no sign, no spaces, no fractions.
// Returns nullopt for anything else, and for values above ~100 years (overflow guard).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace jwt_sidecar::config
