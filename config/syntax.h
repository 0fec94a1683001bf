// Checks for the small textual languages inside config values: addresses, URLs, sizes, HTTP
// header names and tokens, route paths and hosts. Pure string functions, no YAML, so each rule
// is stated once and the readers only add the key name and the position.
//
// The parse_* functions return "" on success, or a phrase that completes a sentence whose
// subject is the key: "'listen' " + "has a port outside 1-65535".
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace jwt_sidecar::config::detail {

// host:port; IPv6 in brackets. Port 0 ("any free port") only when `allow_port_zero`.
std::string parse_address(std::string_view text, bool allow_port_zero, Address& out);

// http(s)://host[:port][/path]; no user info, query or fragment. Scheme is case-insensitive
// and stored lower-case; a missing port defaults to 80 or 443.
std::string parse_url(std::string_view text, Url& out);

// redis://host[:port][/db] or rediss://...; no user info (the user and the password file are
// keys of their own), query or fragment. Fills url, tls, host, port and db.
std::string parse_redis_url(std::string_view text, RedisSource& out);

// A positive byte count: "16384", or with a binary suffix "16KiB", "10MiB", "1GiB".
std::string parse_size(std::string_view text, std::size_t& out);

// A route host: lower-cased, port stripped, IPv6 kept in brackets as a Host header writes it.
std::string parse_route_host(std::string_view text, std::string& out);

// A route path or prefix: absolute and already normalised, since requests are matched after
// normalisation and anything else could never match.
std::string check_route_path(std::string_view text);

// RFC 9110 token (header names, methods, cookie names).
bool is_http_token(std::string_view text);

// Headers the proxy owns (framing, hop-by-hop, credentials, X-Forwarded-*): a claim written
// into one of them would corrupt the request or let a claim impersonate the proxy.
bool is_reserved_header(std::string_view name);
// Hop-by-hop and framing headers only: the proxy strips or rewrites them, so a token there
// would never be seen. (Authorization and Cookie are fine places to look for a token.)
bool is_framing_or_hop_header(std::string_view name);

// Decoded length of unpadded base64url text; nullopt when it is not canonical base64url.
std::optional<std::size_t> base64url_decoded_size(std::string_view text);

// Renders a duration as the config would write it: "500ms", "30s", "10m", "24h".
std::string format_duration(Duration d);


}  // namespace jwt_sidecar::config::detail
