// load_config(): the top level, limits, tls, YAML syntax, error collection and the examples.
// Providers and routes have their own files.
#include "config/loader.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/config/load_helpers.h"

using namespace jwt_sidecar::config;
using namespace std::chrono_literals;
using jwt_sidecar::config::test::Errors;
using jwt_sidecar::config::test::errors_of;
using jwt_sidecar::config::test::load_ok;

TEST_CASE("a minimal config loads with every default filled in", "[config][loader]") {
  const auto config = load_ok(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
)");
  CHECK(config.file == "test.yaml");
  CHECK(config.listen.host == "127.0.0.1");
  CHECK(config.listen.port == 8080);
  CHECK(config.listen.mark.line == 1);
  CHECK(config.listen.mark.column == 9);
  CHECK(config.upstream.scheme == "http");
  CHECK(config.upstream.host == "127.0.0.1");
  CHECK(config.upstream.port == 8081);
  CHECK(config.upstream.path.empty());
  CHECK(config.upstream.text == "http://127.0.0.1:8081");
  CHECK_FALSE(config.tls);
  CHECK_FALSE(config.admin);
  CHECK(config.threads == 0);
  CHECK(config.token_cache_size == 10000);
  CHECK(config.limits.max_header_bytes == 16384);
  CHECK(config.limits.max_body_bytes == 10485760);
  CHECK(config.limits.max_token_bytes == 8192);
  CHECK(config.limits.header_timeout == 10s);
  CHECK(config.limits.idle_timeout == 60s);
  CHECK(config.limits.upstream_timeout == 30s);
  CHECK(config.limits.drain_timeout == 20s);
  CHECK(config.log_level == LogLevel::info);
  CHECK(config.access_log);
  CHECK(config.providers.empty());
  CHECK(config.routes.empty());
}

TEST_CASE("top-level settings are read into the typed config", "[config][loader]") {
  const auto config = load_ok(R"(listen: "[::1]:0"
tls: {cert_file: /tls/tls.crt, key_file: /tls/tls.key}
upstream: HTTPS://Backend.internal/base
admin: 0.0.0.0:9901
threads: 1024
token_cache_size: 0
log_level: debug
access_log: false
limits:
  max_header_bytes: 32KiB
  max_body_bytes: 2MiB
  max_token_bytes: 4096
  header_timeout: 500ms
  idle_timeout: 5m
  upstream_timeout: 1h
  drain_timeout: 0s
)");
  CHECK(config.listen.host == "::1");
  CHECK(config.listen.port == 0);
  REQUIRE(config.tls);
  CHECK(config.tls->cert_file == "/tls/tls.crt");
  CHECK(config.tls->key_file == "/tls/tls.key");
  CHECK(config.upstream.scheme == "https");
  CHECK(config.upstream.host == "Backend.internal");
  CHECK(config.upstream.port == 443);
  CHECK(config.upstream.path == "/base");
  REQUIRE(config.admin);
  CHECK(config.admin->port == 9901);
  CHECK(config.threads == 1024);
  CHECK(config.token_cache_size == 0);
  CHECK(config.log_level == LogLevel::debug);
  CHECK_FALSE(config.access_log);
  CHECK(config.limits.max_header_bytes == 32768);
  CHECK(config.limits.max_body_bytes == 2097152);
  CHECK(config.limits.max_token_bytes == 4096);
  CHECK(config.limits.header_timeout == 500ms);
  CHECK(config.limits.idle_timeout == 5min);
  CHECK(config.limits.upstream_timeout == 1h);
  CHECK(config.limits.drain_timeout == 0s);
}

TEST_CASE("an unknown key is an error with a did-you-mean suggestion", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstrem: http://127.0.0.1:8081
limits:
  max_body_byte: 10
  Idle_Timeout: 5s
  frobnicate: 1
)") == Errors{
             "1:1: missing required key 'upstream' in the top level",
             "2:1: unknown key 'upstrem' in the top level (did you mean 'upstream'?)",
             "4:3: unknown key 'max_body_byte' in 'limits' (did you mean 'max_body_bytes'?)",
             "5:3: unknown key 'Idle_Timeout' in 'limits' (did you mean 'idle_timeout'?)",
             "6:3: unknown key 'frobnicate' in 'limits'",
         });
}

TEST_CASE("a repeated key is an error, not a silent override", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
listen: 127.0.0.1:9090
)") == Errors{"3:1: duplicate key 'listen' in the top level (first at line 1)"});
}

TEST_CASE("listen and upstream are required; an empty file reports both", "[config][loader]") {
  CHECK(errors_of("") == Errors{"1:1: missing required key 'listen' in the top level",
                                "1:1: missing required key 'upstream' in the top level"});
  CHECK(errors_of("# only a comment\nthreads: 2\n") ==
        Errors{"2:1: missing required key 'listen' in the top level",
               "2:1: missing required key 'upstream' in the top level"});
  CHECK(errors_of("- listen\n") ==
        Errors{"1:1: the top level must be a mapping of settings such as listen, upstream, "
               "providers and routes"});
}

TEST_CASE("wrong types name the key and what it must be", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: [http://127.0.0.1:8081]
threads: many
token_cache_size: -1
access_log: yes
log_level: verbose
limits: 100
admin:
providers: [corp]
routes: {default: {}}
)") == Errors{
             "2:11: 'upstream' must be a non-empty string",
             "3:10: 'threads' must be a non-negative integer",
             "4:19: 'token_cache_size' must be a non-negative integer",
             "5:13: 'access_log' must be true or false",
             "6:12: 'log_level' must be one of debug, info, warn, error",
             "7:9: 'limits' must be a mapping",
             // An empty value is reported at its key: yaml-cpp places it on the next line.
             "8:1: 'admin' must be a non-empty string",
             "9:12: 'providers' must be a mapping",
             "10:9: 'routes' must be a list",
         });
}

TEST_CASE("numbers are plain integers within their range", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
threads: 1025
token_cache_size: "5"
log_level: warning
)") == Errors{
             "3:10: 'threads' must be at most 1024",
             "4:19: 'token_cache_size' must be a non-negative integer",
             "5:12: 'log_level' must be one of debug, info, warn, error (did you mean 'warn'?)",
         });
}

TEST_CASE("limits refuse bad sizes and durations", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
limits:
  max_header_bytes: 16KB
  max_body_bytes: 0
  max_token_bytes: -5
  header_timeout: 10
  idle_timeout: 1.5s
  upstream_timeout: 0s
  drain_timeout: 2d
)") == Errors{
             "4:21: 'max_header_bytes' must be a positive number of bytes, such as 16384, 16KiB "
             "or 10MiB",
             "5:19: 'max_body_bytes' must be a positive number of bytes, such as 16384, 16KiB or "
             "10MiB",
             "6:20: 'max_token_bytes' must be a positive number of bytes, such as 16384, 16KiB "
             "or 10MiB",
             "7:19: 'header_timeout' must be a duration such as 500ms, 10s, 5m or 24h",
             "8:17: 'idle_timeout' must be a duration such as 500ms, 10s, 5m or 24h",
             "9:21: 'upstream_timeout' must be greater than 0",
             "10:18: 'drain_timeout' must be a duration such as 500ms, 10s, 5m or 24h",
         });
}

TEST_CASE("addresses are host:port with IPv6 in brackets", "[config][loader]") {
  CHECK(errors_of(R"(listen: localhost
upstream: http://127.0.0.1:8081
admin: "::1:9901"
)") == Errors{
             "1:9: 'listen' must be host:port, such as 0.0.0.0:8080 or [::1]:8080",
             "3:8: 'admin' has an IPv6 address without brackets (write it as [::1]:8080)",
         });
  CHECK(errors_of(R"(listen: 127.0.0.1:65536
upstream: http://127.0.0.1:8081
admin: ":9901"
)") == Errors{
             "1:9: 'listen' has an invalid port '65536' (use 0-65535)",
             "3:8: 'admin' has no host (0.0.0.0:PORT listens on every interface)",
         });
  CHECK(errors_of(R"(listen: "bad host:80"
upstream: http://127.0.0.1:8081
admin: "[::1:80"
)") == Errors{
             "1:9: 'listen' has an invalid host 'bad host'",
             "3:8: 'admin' has an IPv6 address without its closing ']'",
         });
}

TEST_CASE("URLs are http or https with a host and no query, fragment or user info",
          "[config][loader]") {
  const auto upstream_error = [](const std::string& url) {
    const auto errors = errors_of("listen: 127.0.0.1:8080\nupstream: " + url + "\n");
    return errors.size() == 1 ? errors.front() : "(" + std::to_string(errors.size()) + ")";
  };
  CHECK(upstream_error("ftp://h") == "2:11: 'upstream' must be an http://, https:// or h2c:// URL");
  CHECK(upstream_error("127.0.0.1:8081") == "2:11: 'upstream' must be an http://, https:// or h2c:// URL");
  CHECK(upstream_error("http://") == "2:11: 'upstream' has no host");
  CHECK(upstream_error("http://h:0") == "2:11: 'upstream' has an invalid port '0' (use 1-65535)");
  CHECK(upstream_error("http://h:99999/") ==
        "2:11: 'upstream' has an invalid port '99999' (use 1-65535)");
  CHECK(upstream_error("http://h:/") == "2:11: 'upstream' has an invalid port '' (use 1-65535)");
  CHECK(upstream_error("http://h/x?y=1") == "2:11: 'upstream' must not have a query or fragment");
  CHECK(upstream_error("http://h/#top") == "2:11: 'upstream' must not have a query or fragment");
  CHECK(upstream_error("http://u:p@h/") ==
        "2:11: 'upstream' must not contain user info (keep credentials out of URLs)");
  CHECK(upstream_error("http://h_h!/") == "2:11: 'upstream' has an invalid host 'h_h!'");
  CHECK(load_ok("listen: 127.0.0.1:8080\nupstream: http://[::1]:8081/api\n").upstream.host == "::1");
}

TEST_CASE("HTTP/2 settings: h2c:// upstreams, http2, max_concurrent_streams", "[config][loader][http2]") {
  const auto h2c = load_ok("listen: 127.0.0.1:8080\nupstream: h2c://127.0.0.1:50051/base\n");
  CHECK(h2c.upstream.scheme == "h2c");
  CHECK(h2c.upstream.port == 50051);
  CHECK(h2c.upstream.path == "/base");
  CHECK(h2c.upstream.text == "h2c://127.0.0.1:50051/base");
  CHECK(load_ok("listen: 127.0.0.1:8080\nupstream: H2C://svc\n").upstream.port == 80);
  CHECK(h2c.http2);
  CHECK(h2c.limits.max_concurrent_streams == 100);
  const auto off = load_ok("listen: 127.0.0.1:8080\nupstream: http://h\nhttp2: false\n"
                           "limits: {max_concurrent_streams: 7}\n");
  CHECK_FALSE(off.http2);
  CHECK(off.limits.max_concurrent_streams == 7);
  CHECK(errors_of("listen: 127.0.0.1:8080\nupstream: http://h\nlimits: {max_concurrent_streams: 0}\n") ==
        Errors{"3:34: 'max_concurrent_streams' must be at least 1"});
  CHECK(errors_of("listen: 127.0.0.1:8080\nupstream: h2c://h\nhttp2: maybe\n").size() == 1);
  // h2c is for upstreams only: TLS settings need https://, and a JWKS URL cannot be h2c.
  CHECK(errors_of("listen: 127.0.0.1:8080\nupstream: {url: h2c://h, ca_file: /ca.pem}\n").size() == 1);
  CHECK(errors_of("listen: 127.0.0.1:8080\nupstream: h2c://h:0\n") ==
        Errors{"2:11: 'upstream' has an invalid port '0' (use 1-65535)"});
}

TEST_CASE("tls needs both files", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8443
upstream: http://127.0.0.1:8081
tls:
  cert_file: /tls/tls.crt
  ca_file: /tls/ca.pem
)") == Errors{
             "4:3: missing required key 'key_file' in 'tls'",
             "5:3: unknown key 'ca_file' in 'tls'",
         });
}

TEST_CASE("a YAML syntax error is one error at its position", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: [http://127.0.0.1:8081
threads: 2
)") == Errors{"3:8: YAML syntax error: end of sequence flow not found"});
  CHECK(errors_of("listen: a: b\n") == Errors{"1:10: YAML syntax error: illegal map value"});
}

TEST_CASE("a stream yaml-cpp cannot start a document with is a syntax error",
          "[config][loader]") {
  // yaml-cpp 0.7 reads this as an empty document without consuming the ',', and its LoadAll()
  // would loop forever.
  CHECK(errors_of(",listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:8081\n") ==
        Errors{"1:1: YAML syntax error: unexpected ','"});
}

TEST_CASE("a second YAML document is refused", "[config][loader]") {
  CHECK(errors_of(R"(listen: 127.0.0.1:8080
upstream: http://127.0.0.1:8081
---
listen: 127.0.0.1:9090
)") == Errors{"3:1: a config file holds one YAML document; this is a second one"});
}

TEST_CASE("every error in a file is reported, in file order", "[config][loader]") {
  // Providers are read before routes whatever the order in the file; the report is sorted.
  CHECK(errors_of(R"(routes:
  - name: orders
    match: {prefix: /orders}
    providers: [corpp]
listen: 127.0.0.1:http
upstream: http://127.0.0.1:8081
threads: -1
providers:
  corp:
    isuer: https://idp.example.test
    jwks_uri: https://idp.example.test/jwks.json
    algorithms: [RS256, none]
)") == Errors{
             "4:17: route 'orders' names unknown provider 'corpp' (did you mean 'corp'?)",
             "5:9: 'listen' has an invalid port 'http' (use 0-65535)",
             "7:10: 'threads' must be a non-negative integer",
             "9:3: missing required key 'issuer' in provider 'corp'",
             "10:5: unknown key 'isuer' in provider 'corp' (did you mean 'issuer'?)",
             "12:25: algorithm 'none' is never allowed: it accepts unsigned tokens",
         });
}

TEST_CASE("errors print as file:line:column: message", "[config][loader]") {
  const auto result = load_config("listen: 127.0.0.1:8080\nupstrem: x\n", "/etc/jwt/sidecar.yaml");
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[1].to_string() ==
        "/etc/jwt/sidecar.yaml:2:1: unknown key 'upstrem' in the top level (did you mean "
        "'upstream'?)");
  const ConfigError whole_file{Mark{"missing.yaml", 0, 0}, "cannot open"};
  CHECK(whole_file.to_string() == "missing.yaml: cannot open");
}

TEST_CASE("load_config_file reads the file and reports one it cannot read", "[config][loader]") {
  const auto missing = load_config_file("/nonexistent/jwt-sidecar.yaml");
  REQUIRE(missing.errors.size() == 1);
  CHECK(missing.errors[0].to_string() ==
        "/nonexistent/jwt-sidecar.yaml: cannot open: No such file or directory");
  CHECK_FALSE(missing.config);

  const auto path = (std::filesystem::temp_directory_path() /
                     ("jwt-sidecar-loader-test-" + std::to_string(::getpid()) + ".yaml"))
                        .string();
  std::ofstream(path) << "listen: 127.0.0.1:8080\nupstream: http://127.0.0.1:8081\nthreads: x\n";
  const auto bad = load_config_file(path);
  std::remove(path.c_str());
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0].to_string() == path + ":3:10: 'threads' must be a non-negative integer");
}

TEST_CASE("the annotated sidecar example loads cleanly", "[config][loader][examples]") {
  const auto result = load_config_file(JWT_SIDECAR_TEST_DATA "/../../config/examples/sidecar.yaml");
  for (const auto& error : result.errors) UNSCOPED_INFO(error.to_string());
  REQUIRE(result.errors.empty());
  const auto& config = *result.config;
  CHECK(config.upstream.host == "127.0.0.1");
  REQUIRE(config.providers.size() == 1);
  CHECK(config.providers[0].issuer == "https://idp.example.test");
  CHECK(config.providers[0].audiences == std::vector<std::string>{"orders-api"});
  CHECK(config.providers[0].jwks_uri);
  REQUIRE(config.routes.size() == 3);
  CHECK(config.routes[0].auth == AuthMode::none);
  CHECK(config.routes[1].claims.size() == 1);
  CHECK(config.routes[2].match.prefix == "/");
  CHECK(config.routes[2].auth == AuthMode::required);
}

TEST_CASE("the edge-gateway example loads cleanly", "[config][loader][examples]") {
  const auto result =
      load_config_file(JWT_SIDECAR_TEST_DATA "/../../config/examples/edge-gateway.yaml");
  for (const auto& error : result.errors) UNSCOPED_INFO(error.to_string());
  REQUIRE(result.errors.empty());
  const auto& config = *result.config;
  REQUIRE(config.providers.size() == 2);
  CHECK(config.providers[0].discovery);
  CHECK(config.providers[1].jwks_file == "/etc/jwt-sidecar/partner/jwks.json");
  CHECK(config.tls);
  std::size_t own_upstreams = 0;
  bool has_deny = false, has_optional = false, has_host = false;
  for (const auto& route : config.routes) {
    own_upstreams += route.upstream ? 1 : 0;
    has_deny = has_deny || route.auth == AuthMode::deny;
    has_optional = has_optional || route.auth == AuthMode::optional;
    has_host = has_host || route.match.host.has_value();
  }
  CHECK(config.routes.size() >= 5);
  CHECK(own_upstreams >= 3);
  CHECK(has_deny);
  CHECK(has_optional);
  CHECK(has_host);
}

