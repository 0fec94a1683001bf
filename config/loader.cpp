// load_config(): the top level of schema v1. Parsing is in yaml_document.cpp, the sections in
// provider_reader.cpp, provider_tokens.cpp, inline_jwks.cpp and route_reader.cpp, the value
// readers in yaml_reader.cpp and value_readers.cpp.
#include "config/loader.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "config/sections.h"
#include "config/syntax.h"
#include "config/yaml_document.h"
#include "config/yaml_reader.h"

namespace jwt_sidecar::config {
namespace {

using detail::assign;
using detail::Entry;
using detail::Mapping;
using detail::YamlReader;

// Far above any real config; stops check-config from swallowing a log file by mistake.
constexpr std::size_t kMaxFileBytes = 4u << 20;
constexpr std::uint64_t kMaxThreads = 1024;

const std::vector<std::string_view> kTopKeys = {
    "listen", "tls",       "upstream",   "http2",     "admin",   "threads", "token_cache_size",
    "limits", "log_level", "access_log", "providers", "routes",   "revocation", "auth_service"};
const std::vector<std::string_view> kLimitKeys = {
    "max_header_bytes", "max_body_bytes",   "max_token_bytes", "header_timeout",
    "idle_timeout",     "upstream_timeout", "drain_timeout",   "max_concurrent_streams"};
const std::vector<std::string_view> kLogLevels = {"debug", "info", "warn", "error"};

std::optional<std::size_t> read_size(YamlReader& reader, const Entry& entry) {
  const auto text = reader.text(entry);
  if (!text) return std::nullopt;
  std::size_t size = 0;
  if (auto problem = detail::parse_size(*text, size); !problem.empty()) {
    reader.value_error(entry, entry.label + " " + problem);
    return std::nullopt;
  }
  return size;
}

void read_limits(YamlReader& reader, const Entry& entry, Limits& limits) {
  const auto map = reader.mapping(entry, "in 'limits'", kLimitKeys);
  if (!map) return;
  const std::pair<std::string_view, std::size_t Limits::*> sizes[] = {
      {"max_header_bytes", &Limits::max_header_bytes},
      {"max_body_bytes", &Limits::max_body_bytes},
      {"max_token_bytes", &Limits::max_token_bytes}};
  for (const auto& [name, member] : sizes) {
    if (const auto* field = map->find(name)) assign(limits.*member, read_size(reader, *field));
  }
  if (const auto* field = map->find("max_concurrent_streams")) {
    // RFC 9113 6.5.2: the setting is 32 bits; 0 would refuse every stream.
    const auto streams = reader.count(*field, 1u << 20);
    if (streams && *streams == 0) {
      reader.value_error(*field, field->label + " must be at least 1");
    } else if (streams) {
      limits.max_concurrent_streams = static_cast<std::uint32_t>(*streams);
    }
  }
  // A zero drain timeout is a choice (close at once); a zero I/O timeout would fail every request.
  const std::tuple<std::string_view, Duration Limits::*, bool> timeouts[] = {
      {"header_timeout", &Limits::header_timeout, false},
      {"idle_timeout", &Limits::idle_timeout, false},
      {"upstream_timeout", &Limits::upstream_timeout, false},
      {"drain_timeout", &Limits::drain_timeout, true}};
  for (const auto& [name, member, zero_ok] : timeouts) {
    const auto* field = map->find(name);
    if (!field) continue;
    const auto value = reader.duration(*field);
    if (value && value->count() == 0 && !zero_ok) {
      reader.value_error(*field, field->label + " must be greater than 0");
    } else {
      assign(limits.*member, value);
    }
  }
}

void read_tls(YamlReader& reader, const Entry& entry, std::optional<TlsFiles>& out) {
  const auto map = reader.mapping(entry, "in 'tls'", {"cert_file", "key_file", "min_version"});
  if (!map) return;
  TlsFiles tls;
  tls.mark = reader.value_mark(entry);
  for (const auto& [name, member, mark] :
       {std::tuple{"cert_file", &TlsFiles::cert_file, &TlsFiles::cert_mark},
        std::tuple{"key_file", &TlsFiles::key_file, &TlsFiles::key_mark}}) {
    if (const auto* field = map->find(name)) {
      assign(tls.*member, reader.text(*field));
      tls.*mark = reader.value_mark(*field);
    } else {
      reader.error(tls.mark, "missing required key " + detail::quote(name) + " in 'tls'");
    }
  }
  if (const auto* field = map->find("min_version")) {
    if (const auto v = reader.text(*field)) {
      if (*v == "1.2" || *v == "1.3") {
        tls.min_version = *v;
      } else {
        reader.value_error(*field, "min_version must be \"1.2\" or \"1.3\", not " + detail::quote(*v));
      }
    }
  }
  out = std::move(tls);
}

void read_required(YamlReader& reader, const Mapping& map, const Mark& top, Config& config) {
  if (const auto* listen = map.find("listen")) {
    assign(config.listen, detail::read_address(reader, *listen, true));
  } else {
    reader.error(top, "missing required key 'listen' in the top level");
  }
  if (const auto* upstream = map.find("upstream")) {
    assign(config.upstream, detail::read_upstream(reader, *upstream));
  } else {
    reader.error(top, "missing required key 'upstream' in the top level");
  }
}

void read_process(YamlReader& reader, const Mapping& map, Config& config) {
  if (const auto* admin = map.find("admin")) {
    assign(config.admin, detail::read_address(reader, *admin, true));
  }
  if (const auto* tls = map.find("tls")) read_tls(reader, *tls, config.tls);
  if (const auto* threads = map.find("threads")) {
    assign(config.threads, reader.count(*threads, kMaxThreads));
  }
  if (const auto* cache = map.find("token_cache_size")) {
    assign(config.token_cache_size, reader.count(*cache, std::numeric_limits<std::size_t>::max()));
  }
  if (const auto* limits = map.find("limits")) read_limits(reader, *limits, config.limits);
  if (const auto* level = map.find("log_level")) {
    if (const auto name = reader.choice(*level, kLogLevels)) {
      config.log_level = *name == "debug"  ? LogLevel::debug
                         : *name == "info" ? LogLevel::info
                         : *name == "warn" ? LogLevel::warn
                                           : LogLevel::error;
    }
  }
  if (const auto* access_log = map.find("access_log")) {
    assign(config.access_log, reader.flag(*access_log));
  }
  if (const auto* http2 = map.find("http2")) assign(config.http2, reader.flag(*http2));
}

void read_top_level(YamlReader& reader, const YAML::Node& root, Config& config) {
  if (!root.IsMap() && !root.IsNull()) {
    reader.error(root,
                 "the top level must be a mapping of settings such as listen, upstream, "
                 "providers and routes");
    return;
  }
  // An empty file is an empty mapping: it reports what is missing, like any other.
  Mapping map;
  if (root.IsMap()) {
    map = *reader.mapping(Entry{root, root, "the top level"}, "in the top level", kTopKeys);
  }
  read_required(reader, map, reader.mark(root), config);
  read_process(reader, map, config);
  // Providers before routes whatever the file order: routes refer to providers by name.
  if (const auto* providers = map.find("providers")) {
    detail::read_providers(reader, *providers, config.providers);
  }
  if (const auto* routes = map.find("routes")) {
    detail::read_routes(reader, *routes, config.providers, config.routes);
  }
  if (const auto* revocation = map.find("revocation")) detail::read_revocation(reader, *revocation, config.revocation);
  if (const auto* auth = map.find("auth_service")) detail::read_auth_service(reader, *auth, config.auth_service);
}

}  // namespace

std::string ConfigError::to_string() const {
  // Line 0: the file as a whole (unreadable, too large), where a position would mislead.
  if (mark.line <= 0) return mark.file + ": " + message;
  return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": " +
         message;
}

LoadResult load_config(std::string_view yaml_text, const std::string& file) {
  LoadResult result;
  YamlReader reader(file, result.errors);
  Config config;
  config.file = file;
  if (const auto root = detail::parse_document(yaml_text, reader)) {
    try {
      read_top_level(reader, *root, config);
    } catch (const YAML::Exception& e) {
      // The readers avoid every throwing yaml-cpp call; this keeps the no-throw promise of
      // loader.h should one slip through.
      reader.error(reader.mark(e.mark), "cannot read the config: " + e.msg);
    }
  }
  std::stable_sort(
      result.errors.begin(), result.errors.end(), [](const ConfigError& a, const ConfigError& b) {
        return std::pair(a.mark.line, a.mark.column) < std::pair(b.mark.line, b.mark.column);
      });
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::string problem;
  const auto text = detail::read_file_text(path, kMaxFileBytes, problem);
  if (!text) {
    LoadResult result;
    // Line 0: the file as a whole, where a position would mislead.
    result.errors.push_back(ConfigError{Mark{path, 0, 0}, std::move(problem)});
    return result;
  }
  return load_config(*text, path);
}

}  // namespace jwt_sidecar::config
