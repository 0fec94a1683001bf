// The typed configuration (DESIGN.md "Config schema v1"): plain structs, filled and checked by
// load_config() in config/loader.h. Every element keeps the Mark of where it was written so
// that later stages (policies/ compiles keys and claims) can report file:line:column too.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jwt_sidecar::config {

using Duration = std::chrono::milliseconds;

// Where something was written: 1-based line and column, like a compiler message.
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:column: message"
struct ConfigError {
  Mark mark;
  std::string message;
  std::string to_string() const;
};

// host:port. `host` is an IPv4/IPv6 literal or a name; IPv6 is written [::1]:8080.
struct Address {
  std::string host;
  std::uint16_t port = 0;
  Mark mark;
};

// How the proxy connects to an https:// upstream (the map form of `upstream`, an extension
// of DESIGN.md). Files are read when the config is applied.
struct ClientTls {
  std::string ca_file;      // added to the system CA bundle
  std::string cert_file;    // client certificate (mTLS), with key_file
  std::string key_file;
  std::string server_name;  // SNI and the name checked in the certificate; default: the host
  Mark ca_mark, cert_mark, key_mark;
};

// http://host[:port][/base-path] or https://..., and for upstreams h2c://... (HTTP/2 over
// plain TCP with prior knowledge, RFC 9113 3.3: gRPC services).
struct Url {
  std::string scheme;  // "http", "https" or (upstreams only) "h2c"
  std::string host;
  std::uint16_t port = 0;  // defaulted from the scheme when absent
  std::string path;        // "" or a base path starting with "/", no query or fragment
  std::string text;        // as written
  Mark mark;
  ClientTls client_tls;    // upstreams only
};

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string min_version = "1.2";  // "1.2" or "1.3"
  Mark mark, cert_mark, key_mark;
};

struct Limits {
  std::size_t max_header_bytes = 16384;
  std::size_t max_body_bytes = 10485760;
  std::size_t max_token_bytes = 8192;
  Duration header_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(60);
  Duration upstream_timeout = std::chrono::seconds(30);
  Duration drain_timeout = std::chrono::seconds(20);  // SIGTERM: how long in-flight requests get
  std::uint32_t max_concurrent_streams = 100;         // HTTP/2: open streams per client connection
};

struct TokenSource {
  enum class Kind { header, cookie, query };
  Kind kind = Kind::header;
  std::string name;  // header name ("Authorization": the Bearer scheme), cookie or parameter
  Mark mark;
};

struct Provider {
  std::string name;
  std::string issuer;
  std::vector<std::string> audiences;
  // Exactly one key source.
  std::optional<Url> jwks_uri;
  bool discovery = false;
  std::optional<std::string> jwks_file;
  std::optional<std::string> jwks_inline;  // the inline `jwks` re-serialised as JSON text
  Mark jwks_mark;                          // where the key source was written
  std::optional<std::string> ca_file;
  Duration refresh_interval = std::chrono::minutes(10);
  Duration min_refresh_interval = std::chrono::seconds(30);
  Duration max_stale = std::chrono::hours(24);
  // Algorithm names as written; empty means every asymmetric algorithm. Checked against the
  // supported list by load_config().
  std::vector<std::string> algorithms;
  Mark algorithms_mark;
  Duration clock_skew = std::chrono::seconds(60);
  bool require_exp = true;
  std::optional<Duration> max_lifetime;
  std::vector<TokenSource> token_from;  // defaulted to {header Authorization} when absent
  bool forward_token = true;
  std::vector<std::pair<std::string, std::string>> forward_claims;  // claim -> header name
  std::optional<std::string> forward_payload_header;
  Mark mark;
};

enum class AuthMode { none, optional, required, deny };

// A JSON scalar written in YAML: `equals: true`, `equals: 42`, `equals: "x"`.
struct Scalar {
  enum class Kind { string, boolean, number, null };
  Kind kind = Kind::null;
  std::string string;
  bool boolean = false;
  double number = 0;
};

struct ClaimRequirement {
  std::string claim;  // dotted path: "realm_access.roles"
  enum class Op { equals, any, all, present };
  Op op = Op::present;
  std::vector<Scalar> values;  // equals: one; any/all: one or more; present: none
  bool present = true;         // for Op::present: `present: false` requires absence
  Mark mark;
};

struct RouteMatch {
  std::optional<std::string> path;    // exact
  std::optional<std::string> prefix;  // segment-aware
  std::vector<std::string> methods;   // upper-case; empty means any
  std::optional<std::string> host;    // lower-cased, without port
};

struct Route {
  std::string name;
  RouteMatch match;
  AuthMode auth = AuthMode::required;
  std::vector<std::string> providers;  // empty means any provider
  std::vector<ClaimRequirement> claims;
  std::optional<Url> upstream;         // overrides the top-level upstream
  // `cors_preflight: allow`: an OPTIONS request with Origin and Access-Control-Request-Method
  // passes without a token (a browser's preflight never carries one).
  bool cors_preflight_allow = false;
  Mark mark;
};

// `revocation.redis`: where the shared list lives (DESIGN.md "Revocation").
struct RedisSource {
  std::string url;          // as written: redis://host[:port][/db] or rediss://
  bool tls = false;         // rediss://
  std::string host;
  std::uint16_t port = 6379;
  unsigned db = 0;
  std::optional<std::string> username;       // Redis ACL user
  std::optional<std::string> password_file;  // read when connecting; never logged
  std::optional<std::string> ca_file;        // rediss:// only
  std::string key_prefix = "jwt-sidecar:";
  Duration resync_interval = std::chrono::seconds(60);
  Mark mark;
};

// `revocation:`: at least one source. Lists are read after startup, never by load_config().
struct RevocationConfig {
  std::optional<std::string> file;  // a YAML list (config/revocation_list.h)
  Mark file_mark;
  std::optional<RedisSource> redis;
  Duration max_stale = std::chrono::minutes(5);
  enum class OnStale { reject, allow };
  OnStale on_stale = OnStale::reject;
  Mark mark;
};

// `auth_service`: a second listener answering forward-auth / ext_authz checks (DESIGN.md
// "Auth service").
struct AuthServiceConfig {
  Address listen;
  std::optional<std::string> envoy_path_prefix;  // "/ext_authz": Envoy ext_authz HTTP checks
  enum class Dialect { any, forwarded, original, envoy };
  Dialect dialect = Dialect::any;
  Mark mark;
};

enum class LogLevel { debug, info, warn, error };

struct Config {
  std::string file;  // the path it was loaded from
  Address listen;
  std::optional<TlsFiles> tls;
  Url upstream;
  bool http2 = true;  // HTTP/2 on `listen`: ALPN h2 with tls:, prior-knowledge h2c without
  std::optional<Address> admin;
  unsigned threads = 0;  // 0: one per core
  std::size_t token_cache_size = 10000;
  Limits limits;
  LogLevel log_level = LogLevel::info;
  bool access_log = true;
  std::vector<Provider> providers;  // in the order written
  std::vector<Route> routes;        // first match wins
  std::optional<RevocationConfig> revocation;
  std::optional<AuthServiceConfig> auth_service;
};

}  // namespace jwt_sidecar::config
