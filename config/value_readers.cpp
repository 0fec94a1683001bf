// The value readers shared by the sections (config/sections.h).
#include <algorithm>

#include "common/ascii.h"
#include "config/sections.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {

YAML::Node find_member(const YAML::Node& map, std::string_view name) {
  if (!map.IsMap()) return YAML::Node();
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == name) return it->second;
  }
  return YAML::Node();
}

std::optional<Url> read_url(YamlReader& reader, const Entry& entry) {
  const auto text = reader.text(entry);
  if (!text) return std::nullopt;
  Url url;
  if (auto problem = parse_url(*text, url); !problem.empty()) {
    reader.value_error(entry, entry.label + " " + problem);
    return std::nullopt;
  }
  url.mark = reader.value_mark(entry);
  return url;
}

namespace {

// An upstream URL: http://, https:// or h2c:// (HTTP/2 with prior knowledge over plain TCP).
std::optional<Url> read_upstream_url(YamlReader& reader, const Entry& entry) {
  const auto text = reader.text(entry);
  if (!text) return std::nullopt;
  Url url;
  const bool h2c = text->size() > 6 && common::ascii_lowered(std::string_view(*text).substr(0, 6)) == "h2c://";
  const auto problem = parse_url(h2c ? "http://" + text->substr(6) : *text, url);
  if (!problem.empty()) {
    const auto phrase = problem.rfind("must be an http", 0) == 0 ? "must be an http://, https:// or h2c:// URL" : problem;
    reader.value_error(entry, entry.label + " " + phrase);
    return std::nullopt;
  }
  if (h2c) {
    url.scheme = "h2c";
    url.text = *text;
  }
  url.mark = reader.value_mark(entry);
  return url;
}

}  // namespace

std::optional<Url> read_upstream(YamlReader& reader, const Entry& entry) {
  if (!entry.value.IsMap()) return read_upstream_url(reader, entry);
  const auto map = reader.mapping(entry, "in 'upstream'", {"url", "ca_file", "cert_file", "key_file", "server_name"});
  if (!map) return std::nullopt;
  const auto* url_entry = map->find("url");
  if (!url_entry) {
    reader.error(reader.value_mark(entry), "missing required key 'url' in 'upstream'");
    return std::nullopt;
  }
  auto url = read_upstream_url(reader, *url_entry);
  if (!url) return std::nullopt;
  auto& tls = url->client_tls;
  bool any_tls = false;
  for (const auto& [name, member, mark] :
       {std::tuple{"ca_file", &ClientTls::ca_file, &ClientTls::ca_mark},
        std::tuple{"cert_file", &ClientTls::cert_file, &ClientTls::cert_mark},
        std::tuple{"key_file", &ClientTls::key_file, &ClientTls::key_mark},
        std::tuple{"server_name", &ClientTls::server_name, &ClientTls::ca_mark}}) {
    if (const auto* field = map->find(name)) {
      if (auto text = reader.text(*field)) {
        tls.*member = *text;
        if (std::string_view(name) != "server_name") tls.*mark = reader.value_mark(*field);
        any_tls = true;
      }
    }
  }
  if (any_tls && url->scheme != "https") {
    reader.error(url->mark, "ca_file, cert_file, key_file and server_name need an https:// upstream url");
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    reader.error(reader.value_mark(entry), "cert_file and key_file go together in 'upstream' (client certificate)");
  }
  return url;
}

std::optional<Address> read_address(YamlReader& reader, const Entry& entry, bool allow_port_zero) {
  const auto text = reader.text(entry);
  if (!text) return std::nullopt;
  Address address;
  if (auto problem = parse_address(*text, allow_port_zero, address); !problem.empty()) {
    reader.value_error(entry, entry.label + " " + problem);
    return std::nullopt;
  }
  address.mark = reader.value_mark(entry);
  return address;
}

std::optional<std::string> read_header_name(YamlReader& reader, const Entry& entry, HeaderUse use) {
  auto name = reader.text(entry);
  if (!name) return std::nullopt;
  if (!is_http_token(*name)) {
    reader.value_error(entry, quote(*name) + " is not a valid HTTP header name");
    return std::nullopt;
  }
  // The proxy drops every request header whose name has '_' before forwarding, since WSGI,
  // CGI and PHP read '_' and '-' as one character: such a name could never arrive.
  if (name->find('_') != std::string::npos) {
    reader.value_error(entry, "header " + quote(*name) +
                                  " contains '_': request headers with '_' in their name are dropped "
                                  "before forwarding (WSGI, CGI and PHP read it as '-'); use '-'");
    return std::nullopt;
  }
  if (use == HeaderUse::token_source && is_framing_or_hop_header(*name)) {
    reader.value_error(entry, "header " + quote(*name) +
                                  " is a hop-by-hop or framing header and cannot carry a token");
    return std::nullopt;
  }
  if (use == HeaderUse::forwarded && is_reserved_header(*name)) {
    reader.value_error(entry, "header " + quote(*name) +
                                  " is managed by the proxy (framing, hop-by-hop, credentials "
                                  "or X-Forwarded-*) and cannot be set from a token");
    return std::nullopt;
  }
  return name;
}

bool is_simple_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool is_claim_path(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '.') return false;
  return name.find("..") == std::string_view::npos;
}

}  // namespace jwt_sidecar::config::detail
