#include "proxy/http1/responses.h"

#include <catch2/catch.hpp>

using namespace jwt_sidecar::proxy;

TEST_CASE("render_error_response: a 401 with its challenge and JSON body", "[responses]") {
  ErrorResponse r;
  r.status = 401;
  r.error = "invalid_token";
  r.description = "token_expired";
  r.challenge = true;
  r.keep_alive = true;
  const std::string body = "{\"error\":\"invalid_token\",\"error_description\":\"token_expired\"}\n";
  CHECK(render_error_response(r) ==
        "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
        "WWW-Authenticate: Bearer realm=\"jwt-sidecar\", error=\"invalid_token\", "
        "error_description=\"token_expired\"\r\nConnection: keep-alive\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
}

TEST_CASE("render_error_response: challenge without error, Retry-After, HEAD, close", "[responses]") {
  ErrorResponse r;
  r.status = 503;
  r.error = "temporarily_unavailable";
  r.description = "keys_unavailable";
  r.retry_after = 5;
  r.head = true;
  const auto out = render_error_response(r);
  CHECK(out.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0) == 0);
  CHECK(out.find("Retry-After: 5\r\n") != std::string::npos);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(out.find("WWW-Authenticate") == std::string::npos);
  // HEAD: the length of the body a GET would get, and no body.
  const std::string body = "{\"error\":\"temporarily_unavailable\",\"error_description\":\"keys_unavailable\"}\n";
  CHECK(out.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
  CHECK(out.substr(out.size() - 4) == "\r\n\r\n");

  ErrorResponse missing;
  missing.status = 401;
  missing.error = "unauthorized";
  missing.description = "token_missing";
  missing.challenge = true;
  missing.challenge_error = false;  // RFC 6750 3.1: no error code when no token was sent
  CHECK(render_error_response(missing).find("WWW-Authenticate: Bearer realm=\"jwt-sidecar\"\r\n") != std::string::npos);
}

TEST_CASE("status_text names every status the proxy sends", "[responses]") {
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 408u, 413u, 431u, 502u, 503u, 504u}) {
    CHECK(status_text(s) != "Error");
  }
  CHECK(status_text(599) == "Error");
}
