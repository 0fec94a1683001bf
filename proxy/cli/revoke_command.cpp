#include "proxy/cli/revoke_command.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/json_text.h"
#include "config/loader.h"
#include "config/revocation_list.h"
#include "proxy/io/net.h"
#include "proxy/revocation/redis_client.h"

namespace jwt_sidecar::proxy {
namespace {

using config::RevocationEntry;

std::string entry_json(const RevocationEntry& e) {
  std::string out = "{\"issuer\":";
  common::append_json_string(out, e.issuer);
  out += ",\"";
  out += config::kind_name(e.kind);
  out += "\":";
  common::append_json_string(out, e.value);
  if (e.kind == RevocationEntry::Kind::jti && e.time != 0) out += ",\"expires\":" + std::to_string(e.time);
  if (e.kind == RevocationEntry::Kind::sub) out += ",\"before\":" + std::to_string(e.time);
  return out + "}";
}

bool same_target(const RevocationEntry& a, const RevocationEntry& b) {
  return a.kind == b.kind && a.issuer == b.issuer && a.value == b.value;
}

// The entry the arguments name, or "" with the usage problem.
std::string entry_from(const RevokeArgs& a, RevocationEntry& e) {
  const int kinds = int(a.jti.has_value()) + int(a.sub.has_value()) + int(a.kid.has_value());
  if (!a.issuer || kinds != 1) return "name --issuer and exactly one of --jti, --sub or --kid (or use --list)";
  if (a.expires && !a.jti) return "--expires goes with --jti";
  if (a.before && !a.sub) return "--before goes with --sub";
  if (a.remove && (a.expires || a.before)) return "--remove takes no --expires or --before";
  e.issuer = *a.issuer;
  if (a.jti) {
    e.kind = RevocationEntry::Kind::jti;
    e.value = *a.jti;
    e.time = a.expires.value_or(0);
  } else if (a.sub) {
    e.kind = RevocationEntry::Kind::sub;
    e.value = *a.sub;
    const auto now = a.now.value_or(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch()).count());
    // "before" defaults to now: every token issued until this moment. A token issued within
    // this very second has iat == now and is not covered, so the default reaches one second on.
    e.time = a.before.value_or(now + 1);
  } else {
    e.kind = RevocationEntry::Kind::kid;
    e.value = *a.kid;
  }
  return config::check_entry(e);
}

// The file, rewritten through a temporary file in its directory and a rename, so a reader
// (the proxy, watching it) sees the old list or the new one, never half of one.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const auto dir = std::filesystem::path(path).parent_path();
  std::string tmpl = (dir.empty() ? std::string(".") : dir.string()) + "/.revoked-XXXXXX";
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    error = "cannot create a temporary file next to " + path + ": " + std::strerror(errno);
    return false;
  }
  fchmod(fd, 0644);
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool ok = done == text.size() && fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmpl.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    std::remove(tmpl.c_str());
    return false;
  }
  return true;
}

int with_file(const RevokeArgs& a, const std::string& path, const RevocationEntry* entry, CliStreams s) {
  std::vector<RevocationEntry> entries;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto list = config::load_revocation_file(path);
    if (!list.errors.empty()) {
      for (const auto& e : list.errors) s.err << "jwt-sidecar revoke: " << e.to_string() << "\n";
      return kExitRejected;
    }
    entries = std::move(list.entries);
  }
  if (a.list) {
    for (const auto& e : entries) s.out << entry_json(e) << "\n";
    return kExitOk;
  }
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const auto& e) { return same_target(e, *entry); });
  if (a.remove) {
    if (it == entries.end()) {
      s.err << "jwt-sidecar revoke: " << path << " has no entry " << entry_json(*entry) << "\n";
      return kExitRejected;
    }
    entries.erase(it);
  } else if (it != entries.end()) {
    *it = *entry;
  } else {
    entries.push_back(*entry);
  }
  std::string error;
  if (!write_atomically(path, config::format_revocation_list(entries), error)) {
    s.err << "jwt-sidecar revoke: " << error << "\n";
    return kExitRejected;
  }
  s.out << (a.remove ? "removed " : "revoked ") << entry_json(*entry) << "\n";
  return kExitOk;
}

awaitable<int> redis_operation(const RevokeArgs& a, const config::RedisSource& r, const RevocationEntry* entry,
                               CliStreams s) {
  std::string error;
  std::string password;
  if (r.password_file) {
    password = read_password_file(*r.password_file, error);
    if (!error.empty()) {
      s.err << "jwt-sidecar revoke: " << error << "\n";
      co_return kExitRejected;
    }
  }
  std::shared_ptr<SslContext> tls;
  if (r.tls) tls = make_redis_tls(r, error);
  if (r.tls && !tls) {
    s.err << "jwt-sidecar revoke: " << error << "\n";
    co_return kExitRejected;
  }
  const auto deadline = deadline_in(std::chrono::seconds(10));
  auto client = co_await RedisClient::open(r, tls, password, deadline, error);
  if (!client) {
    s.err << "jwt-sidecar revoke: " << error << "\n";
    co_return kExitRejected;
  }
  const auto key = config::revocation_hash_key(r.key_prefix);
  if (a.list) {
    const std::vector<std::string> hgetall{"HGETALL", key};
    auto reply = co_await client->command(hgetall, deadline);
    if (!reply.ok()) {
      s.err << "jwt-sidecar revoke: reading " << key << ": " << reply.error << "\n";
      co_return kExitRejected;
    }
    const auto& items = reply.reply.elements;
    for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
      RevocationEntry e;
      if (const auto problem = config::parse_revocation_field(items[i].str, items[i + 1].str, e); !problem.empty()) {
        s.err << "jwt-sidecar revoke: skipped field " << common::json_string(items[i].str) << ": " << problem << "\n";
        continue;
      }
      s.out << entry_json(e) << "\n";
    }
    co_return kExitOk;
  }
  const auto field = config::revocation_field(*entry);
  const std::vector<std::string> change = a.remove ? std::vector<std::string>{"HDEL", key, field}
                                                   : std::vector<std::string>{"HSET", key, field,
                                                                              config::revocation_field_value(*entry)};
  auto written = co_await client->command(change, deadline);
  if (!written.ok()) {
    s.err << "jwt-sidecar revoke: writing " << key << ": " << written.error << "\n";
    co_return kExitRejected;
  }
  if (a.remove && written.reply.integer == 0) {
    s.err << "jwt-sidecar revoke: " << key << " has no entry " << entry_json(*entry) << "\n";
    co_return kExitRejected;
  }
  const std::vector<std::string> publish{"PUBLISH", config::revocation_channel(r.key_prefix), field};
  if (auto announced = co_await client->command(publish, deadline); !announced.ok()) {
    // Written but not announced: the sidecars see it at their next resync.
    s.err << "jwt-sidecar revoke: written, but announcing the change failed (the sidecars apply it at their "
             "next resync): " << announced.error << "\n";
    co_return kExitRejected;
  }
  s.out << (a.remove ? "removed " : "revoked ") << entry_json(*entry) << "\n";
  co_return kExitOk;
}

}  // namespace

int run_revoke_command(const RevokeArgs& a, CliStreams s) {
  RevocationEntry entry;
  if (!a.list) {
    if (const auto problem = entry_from(a, entry); !problem.empty()) {
      s.err << "jwt-sidecar revoke: " << problem << "\n";
      return kExitUsage;
    }
  } else if (a.issuer || a.jti || a.sub || a.kid || a.expires || a.before || a.remove) {
    s.err << "jwt-sidecar revoke: --list goes alone (with --config)\n";
    return kExitUsage;
  }
  auto loaded = config::load_config_file(a.config_path);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) s.err << e.to_string() << "\n";
    return kExitRejected;
  }
  const auto& revocation = loaded.config->revocation;
  if (!revocation) {
    s.err << "jwt-sidecar revoke: " << a.config_path << " has no 'revocation' section\n";
    return kExitRejected;
  }
  if (!revocation->redis) return with_file(a, *revocation->file, a.list ? nullptr : &entry, s);
  net::io_context ioc;
  int rc = kExitRejected;
  net::co_spawn(ioc, redis_operation(a, *revocation->redis, a.list ? nullptr : &entry, s),
                [&](std::exception_ptr e, int result) {
                  rc = e ? kExitRejected : result;
                  ioc.stop();  // the streams' deadline timers would otherwise keep run() going
                });
  ioc.run();
  return rc;
}

}  // namespace jwt_sidecar::proxy
