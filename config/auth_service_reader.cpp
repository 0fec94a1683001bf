// The `auth_service:` section (DESIGN.md "Auth service").
#include "config/sections.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {

void read_auth_service(YamlReader& reader, const Entry& entry, std::optional<AuthServiceConfig>& out) {
  const auto map = reader.mapping(entry, "in 'auth_service'", {"listen", "envoy_path_prefix", "dialect"});
  if (!map) return;
  AuthServiceConfig a;
  a.mark = reader.value_mark(entry);
  if (const auto* listen = map->find("listen")) {
    assign(a.listen, read_address(reader, *listen, true));
  } else {
    reader.error(a.mark, "missing required key 'listen' in 'auth_service'");
  }
  if (const auto* prefix = map->find("envoy_path_prefix")) {
    if (const auto text = reader.text(*prefix)) {
      // Requests are matched after normalisation, so the prefix must be a normalised path
      // (and not "/", which would take every check for Envoy's).
      if (auto problem = check_route_path(*text); !problem.empty()) {
        reader.value_error(*prefix, "'envoy_path_prefix' " + problem);
      } else if (*text == "/") {
        reader.value_error(*prefix, "'envoy_path_prefix' must not be \"/\" (every check would be Envoy's)");
      } else {
        a.envoy_path_prefix = text->back() == '/' ? text->substr(0, text->size() - 1) : *text;
      }
    }
  }
  if (const auto* dialect = map->find("dialect")) {
    if (const auto d = reader.choice(*dialect, {"forwarded", "original", "envoy"})) {
      a.dialect = *d == "forwarded" ? AuthServiceConfig::Dialect::forwarded
                  : *d == "original" ? AuthServiceConfig::Dialect::original
                                     : AuthServiceConfig::Dialect::envoy;
      if (a.dialect == AuthServiceConfig::Dialect::envoy && !map->find("envoy_path_prefix")) {
        reader.value_error(*dialect, "'dialect: envoy' needs 'envoy_path_prefix'");
      }
    }
  }
  out = std::move(a);
}

}  // namespace jwt_sidecar::config::detail
