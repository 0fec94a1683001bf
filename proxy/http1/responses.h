// Responses the proxy writes itself: every error is JSON, and 401/403 carry an RFC 6750
// WWW-Authenticate challenge. Built as plain bytes; no Beast needed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jwt_sidecar::proxy {

struct ErrorResponse {
  unsigned status = 500;
  std::string_view error;        // body "error" and, for 401/403, the challenge's error=
  std::string_view description;  // a stable reason code
  bool challenge = false;        // WWW-Authenticate: Bearer realm="jwt-sidecar"[, error=...]
  bool challenge_error = true;   // include error= and error_description= in the challenge
  std::optional<unsigned> retry_after;
  bool keep_alive = false;
  bool head = false;             // answer to HEAD: headers only (Content-Length still given)
};

std::string render_error_response(const ErrorResponse& r);
// Its parts, for front ends that frame the answer themselves (HTTP/2): the JSON body and the
// WWW-Authenticate value (when r.challenge).
std::string error_body(const ErrorResponse& r);
std::string challenge_value(const ErrorResponse& r);
std::string_view status_text(unsigned status);

}  // namespace jwt_sidecar::proxy
