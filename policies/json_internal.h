// simdjson helpers shared by policies/*.cpp. Internal: include only from .cpp files in
// policies/, so the large simdjson header stays out of everything else.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace jwt_sidecar::policies::json {

// Token headers and claims sets nest far less than this; anything deeper is hostile.
inline constexpr std::size_t kMaxDepth = 32;

// One DOM parser per thread, reused (simdjson doc/performance.md): no allocation once warm.
simdjson::dom::parser& thread_parser();

// Parses text that already has SIMDJSON_PADDING readable bytes after it.
simdjson::simdjson_result<simdjson::dom::element> parse_padded(simdjson::dom::parser& parser,
                                                               std::string_view padded);

// True when some object anywhere in `value` repeats a member name (after unescaping, so
// "alg" and "\u0061lg" are the same name). simdjson keeps duplicates; RFC 7515 section 4
// and RFC 7519 section 4 say to reject them.
bool has_duplicate_members(simdjson::dom::element value);

}  // namespace jwt_sidecar::policies::json
