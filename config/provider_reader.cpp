// `providers`: who issues the tokens and where their keys come from.
#include <algorithm>

#include "common/algorithm_names.h"
#include "common/limits.h"

#include "common/ascii.h"
#include "config/loader.h"
#include "config/sections.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {
namespace {

using namespace std::chrono_literals;

// Beyond common::kMaxPolicySeconds (a year), a "skew" is no longer clock drift but a way of
// accepting expired tokens, and a "lifetime" no limit at all.
constexpr Duration kMaxPolicyDuration = std::chrono::seconds(common::kMaxPolicySeconds);

const std::vector<std::string_view> kProviderKeys = {
    "issuer",        "audiences",        "jwks_uri",
    "discovery",     "jwks_file",        "jwks",
    "ca_file",       "refresh_interval", "min_refresh_interval",
    "max_stale",     "algorithms",       "clock_skew",
    "require_exp",   "max_lifetime",     "token_from",
    "forward_token", "forward_claims",   "forward_payload_header"};

std::string provider_phrase(const Provider& provider) { return "provider " + quote(provider.name); }

void read_audiences(YamlReader& reader, const Entry& entry, Provider& provider) {
  const auto elements = reader.sequence(entry);
  if (!elements) return;
  if (elements->empty()) {
    reader.value_error(entry, "'audiences' must not be empty (omit it to accept any audience)");
  }
  for (const auto& element : *elements) push(provider.audiences, reader.text(element));
}

void read_algorithms(YamlReader& reader, const Entry& entry, Provider& provider) {
  provider.algorithms_mark = reader.value_mark(entry);
  const auto elements = reader.sequence(entry);
  if (!elements) return;
  if (elements->empty()) {
    reader.value_error(entry,
                       "'algorithms' must not be empty (omit it to allow every "
                       "asymmetric algorithm)");
  }
  const auto& names = common::kAlgorithmNames;
  const std::vector<std::string_view> candidates(names.begin(), names.end());
  for (const auto& element : *elements) {
    const auto name = reader.text(element);
    if (!name) continue;
    if (common::ascii_lowered(*name) == "none") {
      reader.value_error(
          element, "algorithm " + quote(*name) + " is never allowed: it accepts unsigned tokens");
    } else if (std::find(names.begin(), names.end(), *name) == names.end()) {
      const auto hint = did_you_mean(*name, candidates);
      reader.value_error(element, "unsupported algorithm " + quote(*name) +
                                      (hint.empty() ? " (supported: HS256, HS384, HS512, RS256, "
                                                      "RS384, RS512, PS256, PS384, PS512, ES256, "
                                                      "ES384, ES512, EdDSA)"
                                                    : hint));
    } else {
      provider.algorithms.push_back(*name);
    }
  }
}

// Exactly one of jwks_uri, discovery: true, jwks_file, jwks. Read in file order so that the
// second source is the one reported.
void read_key_source(YamlReader& reader, const Mapping& map, Provider& provider) {
  std::vector<const Entry*> sources;
  for (const auto& entry : map.entries()) {
    const auto& key = entry.key.Scalar();
    if (key == "jwks_uri") {
      assign(provider.jwks_uri, read_url(reader, entry));
    } else if (key == "discovery") {
      const auto on = reader.flag(entry);
      assign(provider.discovery, on);
      if (on && !*on) continue;  // `discovery: false` is no source at all
    } else if (key == "jwks_file") {
      assign(provider.jwks_file, reader.text(entry));
    } else if (key == "jwks") {
      read_inline_jwks(reader, entry, provider);
    } else {
      continue;
    }
    sources.push_back(&entry);
  }
  if (sources.empty()) {
    reader.error(provider.mark, provider_phrase(provider) +
                                    " has no key source: set exactly one of jwks_uri, "
                                    "discovery: true, jwks_file or jwks");
    return;
  }
  provider.jwks_mark = reader.mark(sources.front()->key);
  for (std::size_t i = 1; i < sources.size(); ++i) {
    reader.error(sources[i]->key, provider_phrase(provider) + " has two key sources, " +
                                      sources.front()->label + " and " + sources[i]->label +
                                      ": keep exactly one");
  }
}

void check_discovery(YamlReader& reader, const Mapping& map, const Provider& provider) {
  const auto* entry = map.find("discovery");
  Url ignored;
  if (!provider.discovery || provider.issuer.empty() ||
      parse_url(provider.issuer, ignored).empty()) {
    return;
  }
  std::string message = "'discovery: true' needs an issuer that is an http:// or https:// URL; ";
  reader.value_error(*entry, message + quote(provider.issuer) + " is not");
}

void read_refresh(YamlReader& reader, const Mapping& map, Provider& provider) {
  const auto* refresh = map.find("refresh_interval");
  const auto* min_refresh = map.find("min_refresh_interval");
  if (const auto* stale = map.find("max_stale")) {
    assign(provider.max_stale, reader.duration(*stale));
  }
  for (const auto* entry : {refresh, min_refresh}) {
    if (!entry) continue;
    auto value = reader.duration(*entry);
    if (!value) continue;
    if (value->count() == 0) {
      reader.value_error(*entry, entry->label + " must be greater than 0");
      continue;
    }
    (entry == refresh ? provider.refresh_interval : provider.min_refresh_interval) = *value;
  }
  if (provider.min_refresh_interval > provider.refresh_interval) {
    const Entry& at = min_refresh ? *min_refresh : *refresh;
    reader.value_error(at, "'min_refresh_interval' (" +
                               format_duration(provider.min_refresh_interval) +
                               ") must not be longer than 'refresh_interval' (" +
                               format_duration(provider.refresh_interval) + ")");
  }
}

void read_token_rules(YamlReader& reader, const Mapping& map, Provider& provider) {
  if (const auto* entry = map.find("clock_skew")) {
    const auto skew = reader.duration(*entry);
    if (skew && *skew > kMaxPolicyDuration) {
      reader.value_error(*entry, "'clock_skew' must be at most " + format_duration(kMaxPolicyDuration) + " (a year)");
    } else {
      assign(provider.clock_skew, skew);
    }
  }
  if (const auto* entry = map.find("max_lifetime")) {
    const auto lifetime = reader.duration(*entry);
    if (lifetime && lifetime->count() == 0) {
      reader.value_error(*entry, "'max_lifetime' must be greater than 0");
    } else if (lifetime && *lifetime > kMaxPolicyDuration) {
      reader.value_error(*entry, "'max_lifetime' must be at most " + format_duration(kMaxPolicyDuration) + " (a year)");
    } else {
      assign(provider.max_lifetime, lifetime);
    }
  }
  if (const auto* entry = map.find("require_exp")) {
    assign(provider.require_exp, reader.flag(*entry));
  }
}

void read_provider(YamlReader& reader, const Entry& entry, Provider& provider) {
  provider.name = entry.key.Scalar();
  provider.mark = reader.mark(entry.key);
  if (!is_simple_name(provider.name)) {
    reader.error(entry.key, "provider name " + quote(provider.name) +
                                " may only use letters, digits, '-', '_' and '.'");
  }
  const auto map = reader.mapping(entry, "in " + provider_phrase(provider), kProviderKeys);
  if (!map) return;
  if (const auto* issuer = map->find("issuer")) {
    assign(provider.issuer, reader.text(*issuer));
  } else {
    reader.error(provider.mark, "missing required key 'issuer' in " + provider_phrase(provider));
  }
  if (const auto* audiences = map->find("audiences")) read_audiences(reader, *audiences, provider);
  if (const auto* algorithms = map->find("algorithms")) {
    read_algorithms(reader, *algorithms, provider);
  }
  read_key_source(reader, *map, provider);
  check_discovery(reader, *map, provider);
  if (const auto* ca_file = map->find("ca_file")) assign(provider.ca_file, reader.text(*ca_file));
  read_refresh(reader, *map, provider);
  read_token_rules(reader, *map, provider);
  read_token_from(reader, *map, provider);
  read_forwarding(reader, *map, provider);
}

}  // namespace

void read_providers(YamlReader& reader, const Entry& entry, std::vector<Provider>& out) {
  const auto map = reader.mapping(entry, "in 'providers'", {});
  if (!map) return;
  for (const auto& provider_entry : map->entries()) {
    Provider provider;
    Entry labelled = provider_entry;
    labelled.label = "provider " + quote(provider_entry.key.Scalar());
    read_provider(reader, labelled, provider);
    // Tokens are matched to providers by "iss": two providers with one issuer would make the
    // choice depend on the order of the file.
    for (const auto& other : out) {
      if (!provider.issuer.empty() && other.issuer == provider.issuer) {
        reader.error(provider_entry.key, "provider " + quote(provider.name) + ": issuer " + quote(provider.issuer) +
                                             " is already used by provider " + quote(other.name) +
                                             "; tokens are matched to providers by issuer, so each needs its own");
      }
    }
    out.push_back(std::move(provider));
  }
}

}  // namespace jwt_sidecar::config::detail
