// Shared by the revocation integration tests: a proxy with a `revocation:` section, the
// `revoke` command, and what a token gets.
#pragma once

#include <string>
#include <vector>

#include "tests/integration/fixture.h"

namespace jwt_sidecar::testing {

// The standard config (routes /public, /orders, ...) plus `revocation`, given as YAML lines
// below the key, indented by four.
inline std::string revocation_config(std::uint16_t upstream_port, const std::string& jwks_path,
                                     const std::string& revocation_body) {
  return standard_config(upstream_port, jwks_path, "revocation:\n" + revocation_body);
}

struct CliRun {
  int status = -1;
  std::string out, err;
};

// `jwt-sidecar ARGS...`, waited for.
inline CliRun run_sidecar(const std::vector<std::string>& args) {
  Process p(binary_path(), args);
  CliRun r;
  r.status = p.wait(std::chrono::seconds(30));
  p.drain_output();
  for (const auto& line : p.stdout_lines()) r.out += line + "\n";
  r.err = p.stderr_text();
  return r;
}

// The status of GET /orders/1 with `token` (0 when the proxy did not answer).
inline int status_for(std::uint16_t port, const std::string& token_value) {
  try {
    const auto r = http_request(port, "GET", "/orders/1", {{"Authorization", "Bearer " + token_value}});
    return r ? r->status : 0;
  } catch (const std::exception&) {
    return 0;
  }
}

inline double rejections(std::uint16_t admin_port, const std::string& reason) {
  return metric(admin_port, "jwt_sidecar_token_rejections_total{provider=\"corp\",reason=\"" + reason + "\"}")
      .value_or(0);
}

}  // namespace jwt_sidecar::testing
