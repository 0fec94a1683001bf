// `routes`: which requests a rule covers and what it demands of their tokens.
#include <algorithm>
#include <map>

#include <cmath>

#include "config/sections.h"
#include "config/syntax.h"
#include "config/yaml_json.h"

namespace jwt_sidecar::config::detail {
namespace {

const std::vector<std::string_view> kRouteKeys = {"name",   "match",    "auth",          "providers",
                                                  "claims", "upstream", "cors_preflight"};
const std::vector<std::string_view> kMatchKeys = {"path", "prefix", "methods", "host"};
const std::vector<std::string_view> kClaimOps = {"equals", "any", "all", "present"};
const std::vector<std::string_view> kAuthModes = {"none", "optional", "required", "deny"};

// What route readers need from the rest of the file.
struct RouteContext {
  std::vector<std::string_view> provider_names;
  std::string phrase;  // "route 'orders'", or "route #3" when it has no usable name
};

std::string route_phrase(const YAML::Node& node, std::size_t index) {
  const auto name = find_member(node, "name");
  if (name.IsScalar() && !name.Scalar().empty()) return "route " + quote(name.Scalar());
  return "route #" + std::to_string(index + 1);
}

std::optional<std::string> read_route_path(YamlReader& reader, const Entry& entry) {
  auto text = reader.text(entry);
  if (!text) return std::nullopt;
  if (auto problem = check_route_path(*text); !problem.empty()) {
    reader.value_error(entry, entry.label + " " + problem);
    return std::nullopt;
  }
  return text;
}

// Methods are case-sensitive in HTTP ("get" is not GET), so lower case is refused rather than
// silently upper-cased.
void read_methods(YamlReader& reader, const Entry& entry, RouteMatch& match) {
  const auto elements = reader.sequence(entry);
  if (!elements) return;
  if (elements->empty()) {
    reader.value_error(entry, "'methods' must not be empty (omit it to match any method)");
  }
  for (const auto& element : *elements) {
    const auto method = reader.text(element);
    if (!method) continue;
    std::string upper = *method;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    if (!is_http_token(*method)) {
      reader.value_error(element, quote(*method) + " is not an HTTP method");
    } else if (upper != *method) {
      reader.value_error(element, "method " + quote(*method) +
                                      " must be upper-case: HTTP methods are case-sensitive "
                                      "(did you mean " +
                                      quote(upper) + "?)");
    } else if (std::find(match.methods.begin(), match.methods.end(), upper) ==
               match.methods.end()) {
      match.methods.push_back(upper);
    }
  }
}

void read_match(YamlReader& reader, const Entry& entry, const RouteContext& context,
                RouteMatch& match) {
  const auto map = reader.mapping(entry, "in 'match' of " + context.phrase, kMatchKeys);
  if (!map) return;
  if (entry.value.size() == 0) {
    reader.value_error(entry, "'match' of " + context.phrase +
                                  " needs at least one of path, prefix, methods or host");
  }
  bool have_path = false;
  for (const auto& field : map->entries()) {
    const auto& key = field.key.Scalar();
    if (key == "path" || key == "prefix") {
      if (have_path) {
        reader.error(field.key,
                     "'match' of " + context.phrase + " cannot have both 'path' and 'prefix'");
        continue;
      }
      have_path = true;
      assign(key == "path" ? match.path : match.prefix, read_route_path(reader, field));
    } else if (key == "methods") {
      read_methods(reader, field, match);
    } else if (const auto text = reader.text(field)) {
      std::string host;
      if (auto problem = parse_route_host(*text, host); !problem.empty()) {
        reader.value_error(field, "'host' " + problem);
      } else {
        match.host = host;
      }
    }
  }
}

bool is_single_value(const YAML::Node& node) { return node.IsScalar() || node.IsNull(); }

// A claim value, or nullopt (reported): a number must be a finite double, since an infinity
// ("1e400") could never equal a claim and would make the requirement fail for every token.
std::optional<Scalar> read_claim_value(YamlReader& reader, const Entry& entry) {
  auto scalar = to_scalar(entry.value);
  if (scalar.kind == Scalar::Kind::number && !std::isfinite(scalar.number)) {
    reader.value_error(entry, entry.label + " " + quote(entry.value.Scalar()) +
                                  " is outside the range of a number a token can carry");
    return std::nullopt;
  }
  return scalar;
}

bool read_claim_values(YamlReader& reader, const Entry& op, ClaimRequirement& requirement) {
  const auto elements = reader.sequence(op);
  if (!elements) return false;
  if (elements->empty()) {
    reader.value_error(op, op.label + " must list at least one value");
    return false;
  }
  for (const auto& element : *elements) {
    if (!is_single_value(element.value)) {
      reader.value_error(element, element.label + " must be a string, number, true, false or null");
      return false;
    }
    auto value = read_claim_value(reader, element);
    if (!value) return false;
    requirement.values.push_back(std::move(*value));
  }
  requirement.op = op.key.Scalar() == "any" ? ClaimRequirement::Op::any : ClaimRequirement::Op::all;
  return true;
}

std::optional<ClaimRequirement> read_claim(YamlReader& reader, const Entry& claim,
                                           const RouteContext& context) {
  const auto& name = claim.key.Scalar();
  if (!is_claim_path(name)) {
    reader.error(claim.key, "claim name " + quote(name) + " " + kClaimPathRule);
    return std::nullopt;
  }
  if (!claim.value.IsMap() || claim.value.size() != 1) {
    reader.value_error(
        claim, "claim " + quote(name) + " must have exactly one of equals, any, all or present");
    return std::nullopt;
  }
  const auto map =
      reader.mapping(claim, "in claim " + quote(name) + " of " + context.phrase, kClaimOps);
  if (!map || map->entries().empty()) return std::nullopt;
  const Entry& op = map->entries().front();
  ClaimRequirement requirement;
  requirement.claim = name;
  requirement.mark = reader.mark(claim.key);
  if (op.key.Scalar() == "present") {
    const auto present = reader.flag(op);
    if (!present) return std::nullopt;
    requirement.op = ClaimRequirement::Op::present;
    requirement.present = *present;
  } else if (op.key.Scalar() == "equals") {
    if (!is_single_value(op.value)) {
      reader.value_error(op, "'equals' must be a string, number, true, false or null");
      return std::nullopt;
    }
    requirement.op = ClaimRequirement::Op::equals;
    auto value = read_claim_value(reader, op);
    if (!value) return std::nullopt;
    requirement.values.push_back(std::move(*value));
  } else if (!read_claim_values(reader, op, requirement)) {
    return std::nullopt;
  }
  return requirement;
}

void read_route_providers(YamlReader& reader, const Entry& entry, const RouteContext& context,
                          Route& route) {
  const auto elements = reader.sequence(entry);
  if (!elements) return;
  for (const auto& element : *elements) {
    const auto name = reader.text(element);
    if (!name) continue;
    const auto& known = context.provider_names;
    if (std::find(known.begin(), known.end(), *name) == known.end()) {
      reader.value_error(element, context.phrase + " names unknown provider " + quote(*name) +
                                      did_you_mean(*name, known));
      continue;
    }
    route.providers.push_back(*name);
  }
}

AuthMode auth_mode(std::string_view text) {
  if (text == "none") return AuthMode::none;
  if (text == "optional") return AuthMode::optional;
  if (text == "deny") return AuthMode::deny;
  return AuthMode::required;
}

// Settings that the route's auth mode would silently ignore are errors.
void check_auth(YamlReader& reader, const Mapping& map, const RouteContext& context,
                const Route& route) {
  if (route.auth == AuthMode::none || route.auth == AuthMode::deny) {
    const auto mode = route.auth == AuthMode::none ? "none" : "deny";
    for (const auto* key : {"providers", "claims", "cors_preflight"}) {
      if (const auto* entry = map.find(key)) {
        reader.error(entry->key,
                     context.phrase + " cannot have " + entry->label + " with auth " + mode);
      }
    }
  } else if (context.provider_names.empty()) {
    reader.error(route.mark, context.phrase + " needs a token but no providers are configured");
  }
  // With optional auth a request without a token passes, so claims would only ever stop the
  // callers that do present one: the requirement would be weaker than no token at all.
  if (route.auth == AuthMode::optional) {
    if (const auto* entry = map.find("claims")) {
      reader.error(entry->key, context.phrase +
                                   " cannot have claims with auth optional: a request without a "
                                   "token would pass them; use auth required");
    }
  }
}

void read_name_and_match(YamlReader& reader, const Mapping& map, const RouteContext& context,
                         Route& route) {
  if (const auto* name = map.find("name")) {
    assign(route.name, reader.text(*name));
    if (!route.name.empty() && !is_simple_name(route.name)) {
      reader.value_error(*name, "route name " + quote(route.name) +
                                    " may only use letters, digits, '-', '_' and '.'");
    }
  } else {
    reader.error(route.mark, "missing required key 'name' in " + context.phrase);
  }
  if (const auto* match = map.find("match")) {
    read_match(reader, *match, context, route.match);
  } else {
    reader.error(route.mark, "missing required key 'match' in " + context.phrase);
  }
}

void read_route(YamlReader& reader, const Entry& element, const RouteContext& context,
                Route& route) {
  route.mark = reader.value_mark(element);
  const auto map = reader.mapping(element, "in " + context.phrase, kRouteKeys);
  if (!map) return;
  read_name_and_match(reader, *map, context, route);
  bool auth_known = true;
  if (const auto* auth = map->find("auth")) {
    const auto mode = reader.choice(*auth, kAuthModes);
    auth_known = mode.has_value();
    if (mode) route.auth = auth_mode(*mode);
  }
  if (const auto* providers = map->find("providers")) {
    read_route_providers(reader, *providers, context, route);
  }
  if (const auto* claims = map->find("claims")) {
    if (const auto requirements = reader.mapping(*claims, "in 'claims'", {})) {
      for (const auto& claim : requirements->entries()) {
        push(route.claims, read_claim(reader, claim, context));
      }
    }
  }
  if (const auto* upstream = map->find("upstream")) {
    assign(route.upstream, read_upstream(reader, *upstream));
  }
  if (const auto* cors = map->find("cors_preflight")) {
    if (const auto v = reader.choice(*cors, {"allow", "authenticate"})) route.cors_preflight_allow = *v == "allow";
  }
  if (auth_known) check_auth(reader, *map, context, route);
}

}  // namespace

void read_routes(YamlReader& reader, const Entry& entry, const std::vector<Provider>& providers,
                 std::vector<Route>& out) {
  const auto elements = reader.sequence(entry);
  if (!elements) return;
  RouteContext context;
  for (const auto& provider : providers) context.provider_names.push_back(provider.name);
  std::map<std::string, int> name_lines;
  for (std::size_t i = 0; i < elements->size(); ++i) {
    const auto& element = (*elements)[i];
    context.phrase = route_phrase(element.value, i);
    Route route;
    read_route(reader, element, context, route);
    if (!route.name.empty()) {
      const auto name_node = find_member(element.value, "name");
      const auto [it, inserted] = name_lines.emplace(route.name, reader.mark(name_node).line);
      if (!inserted) {
        reader.error(name_node, "route name " + quote(route.name) + " is already used at line " +
                                    std::to_string(it->second));
      }
    }
    out.push_back(std::move(route));
  }
}

}  // namespace jwt_sidecar::config::detail
