// What a forward-auth or ext_authz check asks about: the original request, read from the
// check in one of three dialects (DESIGN.md "Auth service"):
//   forwarded  X-Forwarded-Method, X-Forwarded-Uri, X-Forwarded-Host, X-Forwarded-Proto
//              (Traefik ForwardAuth, Caddy forward_auth, nginx set up like oauth2-proxy's docs)
//   original   X-Original-Method and X-Original-URL (absolute; wins over X-Original-URI) or
//              X-Original-URI (path and query; the host from X-Forwarded-Host, else Host)
//              (nginx auth_request, ingress-nginx)
//   envoy      the check itself under envoy_path_prefix: its method, its Host, its target
//              without the prefix (Envoy ext_authz HTTP service, Istio CUSTOM authorization)
// Pure string work, no sockets: the listener hands the check's header fields over.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"

namespace jwt_sidecar::proxy {

struct CheckField {
  std::string_view name;   // as received (compared case-insensitively)
  std::string_view value;
};

struct CheckRequest {
  std::string_view method;  // the check's own
  std::string_view target;  // the check's own request-target
  std::span<const CheckField> fields;
};

struct OriginalRequest {
  config::AuthServiceConfig::Dialect dialect = config::AuthServiceConfig::Dialect::any;
  std::string_view method;
  std::string_view host;    // the original Host ("" when the check gives none)
  std::string target;       // origin-form: "/path?query", to be normalised like a proxied one
};

// The original request, or nullopt with `reason` set to one of original_request_missing,
// original_request_ambiguous, original_method_missing, invalid_method, original_uri_invalid,
// invalid_host_header (400 each).
// `settings.dialect` other than `any` pins one dialect and ignores the other two's headers.
std::optional<OriginalRequest> read_original_request(const CheckRequest& check,
                                                     const config::AuthServiceConfig& settings,
                                                     std::string_view& reason);

// Whether the check's target lies under `prefix` (segment-aware: "/ext_authz" matches
// "/ext_authz" and "/ext_authz/..." and "/ext_authz?...", not "/ext_authzX").
bool under_prefix(std::string_view target, std::string_view prefix);

}  // namespace jwt_sidecar::proxy
