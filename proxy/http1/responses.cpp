#include "proxy/http1/responses.h"

#include "common/json_text.h"

namespace jwt_sidecar::proxy {

std::string_view status_text(unsigned status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

std::string error_body(const ErrorResponse& r) {
  std::string body = "{\"error\":";
  common::append_json_string(body, r.error);
  body += ",\"error_description\":";
  common::append_json_string(body, r.description);
  body += "}\n";
  return body;
}

std::string challenge_value(const ErrorResponse& r) {
  // RFC 6750 3: the reason codes are plain snake_case, so no quoting issues arise.
  std::string out = "Bearer realm=\"jwt-sidecar\"";
  if (r.challenge_error) {
    out += ", error=\"";
    out += r.error;
    out += "\", error_description=\"";
    out += r.description;
    out += '"';
  }
  return out;
}

std::string render_error_response(const ErrorResponse& r) {
  const std::string body = error_body(r);

  std::string out;
  out.reserve(256 + body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += status_text(r.status);
  out += "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n";
  if (r.challenge) out += "WWW-Authenticate: " + challenge_value(r) + "\r\n";
  if (r.retry_after) out += "Retry-After: " + std::to_string(*r.retry_after) + "\r\n";
  out += r.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  if (!r.head) out += body;
  return out;
}

}  // namespace jwt_sidecar::proxy
