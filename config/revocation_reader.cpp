// The `revocation:` section (DESIGN.md "Revocation"). The lists themselves are read later, by
// the sources in proxy/revocation/ (config/revocation_list.h for the file).
#include <algorithm>

#include "common/limits.h"
#include "config/sections.h"
#include "config/syntax.h"

namespace jwt_sidecar::config::detail {
namespace {

const std::vector<std::string_view> kRevocationKeys = {"file", "redis", "max_stale", "on_stale"};
const std::vector<std::string_view> kRedisKeys = {"url",     "username",   "password_file",  "ca_file",
                                                  "key_prefix", "resync_interval"};

std::optional<RedisSource> read_redis(YamlReader& reader, const Entry& entry) {
  const auto map = reader.mapping(entry, "in 'revocation.redis'", kRedisKeys);
  if (!map) return std::nullopt;
  RedisSource redis;
  redis.mark = reader.value_mark(entry);
  const auto* url = map->find("url");
  if (!url) {
    reader.error(redis.mark, "missing required key 'url' in 'revocation.redis'");
    return std::nullopt;
  }
  const auto text = reader.text(*url);
  if (!text) return std::nullopt;
  if (auto problem = parse_redis_url(*text, redis); !problem.empty()) {
    reader.value_error(*url, url->label + " " + problem);
    return std::nullopt;
  }
  if (const auto* f = map->find("username")) assign(redis.username, reader.text(*f));
  if (const auto* f = map->find("password_file")) assign(redis.password_file, reader.text(*f));
  if (const auto* f = map->find("username"); f && !map->find("password_file")) {
    reader.value_error(*f, "'username' needs 'password_file' (Redis authenticates a user with its password)");
  }
  if (const auto* f = map->find("ca_file")) {
    assign(redis.ca_file, reader.text(*f));
    if (!redis.tls) reader.value_error(*f, "'ca_file' needs a rediss:// url (TLS)");
  }
  if (const auto* f = map->find("key_prefix")) {
    if (const auto prefix = reader.text(*f)) {
      const bool printable = std::all_of(prefix->begin(), prefix->end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
      });
      if (!printable || prefix->size() > 128) {
        reader.value_error(*f, "'key_prefix' must be at most 128 visible characters, without spaces");
      } else {
        redis.key_prefix = *prefix;
      }
    }
  }
  if (const auto* f = map->find("resync_interval")) {
    const auto d = reader.duration(*f);
    if (d && d->count() < 1000) {
      reader.value_error(*f, "'resync_interval' must be at least 1s");
    } else {
      assign(redis.resync_interval, d);
    }
  }
  return redis;
}

}  // namespace

void read_revocation(YamlReader& reader, const Entry& entry, std::optional<RevocationConfig>& out) {
  const auto map = reader.mapping(entry, "in 'revocation'", kRevocationKeys);
  if (!map) return;
  RevocationConfig rc;
  rc.mark = reader.value_mark(entry);
  if (const auto* f = map->find("file")) {
    assign(rc.file, reader.text(*f));
    rc.file_mark = reader.value_mark(*f);
  }
  if (const auto* f = map->find("redis")) assign(rc.redis, read_redis(reader, *f));
  if (!map->find("file") && !map->find("redis")) {
    reader.error(rc.mark, "'revocation' needs a source: 'file', 'redis', or both");
  }
  if (const auto* f = map->find("max_stale")) {
    const auto d = reader.duration(*f);
    if (d && std::chrono::duration_cast<std::chrono::seconds>(*d).count() > common::kMaxPolicySeconds) {
      reader.value_error(*f, "'max_stale' must be at most " + format_duration(std::chrono::seconds(common::kMaxPolicySeconds)));
    } else {
      assign(rc.max_stale, d);
    }
  }
  if (const auto* f = map->find("on_stale")) {
    if (const auto v = reader.choice(*f, {"reject", "allow"})) {
      rc.on_stale = *v == "reject" ? RevocationConfig::OnStale::reject : RevocationConfig::OnStale::allow;
    }
  }
  out = std::move(rc);
}

}  // namespace jwt_sidecar::config::detail
