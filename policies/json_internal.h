// simdjson helpers shared by policies/*.cpp. Internal: include only from .cpp files in
// policies/, so the large simdjson header stays out of everything else.
#pragma once

#include <simdjson.h>

#include "policies/jws.h"

#include <cstdint>
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

// What the thread parser holds: the root of its last document and the number of that parse.
// A ParsedJws remembers the number of its payload's parse, so that a request's payload is
// parsed once however many steps read it (registered claims, route claims, claim headers).
struct LastParse {
  std::uint64_t number = 0;
  simdjson::dom::element root;
};
const LastParse& thread_last_parse();

// The root of `jws`'s payload: the thread parser's document when that is still the one
// parse_jws() made for it on this thread, else a fresh parse (a cached token). The payload was
// checked (an object, no repeated member names) when the token was first verified.
bool payload_root(const ParsedJws& jws, simdjson::dom::element& root);

// True when some object anywhere in `value` repeats a member name (after unescaping, so
// "alg" and "\u0061lg" are the same name). simdjson keeps duplicates; RFC 7515 section 4
// and RFC 7519 section 4 say to reject them.
bool has_duplicate_members(simdjson::dom::element value);

}  // namespace jwt_sidecar::policies::json
