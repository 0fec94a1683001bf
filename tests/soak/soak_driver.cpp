// Soak test driver (issue 7): the real jwt-sidecar binary under many keep-alive connections for
// a fixed time, with valid and invalid tokens mixed, every response checked against the one
// right answer for the request that was sent. tests/soak/README.md describes the checks and the
// output; tests/soak/run.sh is the entry point (it raises the fd limit first).
//
// One process holds the three parts, each on its own thread:
//   - a counting upstream (the oracle for "a rejected request never reaches the upstream": the
//     kind of every request is in its path, and the upstream counts what it receives by kind);
//   - the load: N connections, one request outstanding on each, every answer compared with the
//     expected status, error_description, and (forwarded requests) the echo of a per-request id;
//   - the observer (main thread): the proxy's RSS and fds from /proc, its metrics and its log.
// The proxy is a child process (testing::Process), killed if this process dies.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "proxy/io/net.h"
#include "tests/support/process.h"
#include "tests/support/test_keys.h"

namespace {

using namespace jwt_sidecar::proxy;  // net, beast, http, tcp, error_code, awaitable, use_tuple
namespace jt = jwt_sidecar::testing;
using jwt_sidecar::policies::Algorithm;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kIssuer = "https://idp.soak.test";
constexpr const char* kAudience = "soak-api";
constexpr const char* kHost = "soak.test";
constexpr std::size_t kPoolPerWorker = 256;  // README: idle keep-alive connections per worker

// ------------------------------------------------------------------------------ the oracle

enum Kind : int {
  kValid,
  kPublic,
  kExpired,
  kBadSignature,
  kWrongAudience,
  kMissingToken,
  kInsufficient,
  kDenied,
  kUnknownRoute,
  kKindCount
};

// What each kind of request is and the one right answer to it (DESIGN.md "HTTP behaviour",
// README "Status codes and reasons" and "Metrics"). The kind's name is also a path segment, so
// the upstream can tell what it received.
struct KindSpec {
  const char* name;
  const char* prefix;      // of the target; picks the route
  unsigned status;         // the expected status
  const char* reason;      // the expected error_description ("" when forwarded)
  const char* route;       // jwt_sidecar_requests_total labels
  const char* decision;
  const char* rejection;   // jwt_sidecar_token_rejections_total{provider="soak",reason=...}, or ""
  bool forwarded;          // must reach the upstream (and only these may)
};

constexpr std::array<KindSpec, kKindCount> kSpecs{{
    {"valid", "/api/orders", 200, "", "orders", "allow", "", true},
    {"public", "/public", 200, "", "public", "allow", "", true},
    {"expired", "/api/orders", 401, "token_expired", "orders", "reject", "token_expired", false},
    {"bad_signature", "/api/orders", 401, "signature_invalid", "orders", "reject", "signature_invalid", false},
    {"wrong_audience", "/api/orders", 401, "audience_mismatch", "orders", "reject", "audience_mismatch", false},
    {"missing_token", "/api/orders", 401, "token_missing", "orders", "reject", "", false},
    {"insufficient_claims", "/api/orders", 403, "claims_requirement_failed", "orders", "reject",
     "claims_requirement_failed", false},
    {"denied_route", "/admin", 403, "route_denied", "admin", "reject", "", false},
    {"unknown_route", "/nowhere", 404, "no_route", "", "reject", "", false},
}};

// One cycle of the mix (40% valid, 10% public, 50% rejected in seven ways).
constexpr std::array<Kind, 20> kMix{kValid,   kExpired,      kValid, kPublic,  kBadSignature,
                                    kValid,   kInsufficient, kValid, kMissingToken, kValid,
                                    kWrongAudience, kValid,  kDenied, kPublic, kValid,
                                    kBadSignature, kUnknownRoute, kValid, kExpired, kInsufficient};

// ----------------------------------------------------------------------------------- options

struct Options {
  std::string binary;
  int duration = 60;           // seconds of load
  int connections = 1000;
  double warmup = -1;          // seconds; < 0: 15, or a quarter of a shorter duration
  double burst = -1;           // seconds of forwarded-only requests first; < 0: a third of warmup
  int proxy_threads = 2;
  int client_threads = 1;
  int requests_per_connection = 200;  // average; the last one says Connection: close. 0: never
  double rss_limit = 1.10;     // max RSS after warm-up / peak RSS of the warm-up's second half
  bool rss_check = true;
  int settle_timeout = 15;     // seconds for fds and connections to come back after the load
  int request_timeout = 30;    // seconds for one answer
  int progress = 10;           // seconds between progress lines
  int token_cache_size = 1024;
  bool keep = false;
  std::string samples_csv;     // every RSS/fd sample, for plotting a long run
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout, R"(usage: soak_driver --binary PATH [options]

  --duration S               seconds of load (default 60)
  --connections N            keep-alive connections kept busy (default 1000)
  --warmup S                 seconds of load before the RSS reference (the highest RSS of the
                             warm-up's second half) is taken
                             (default 15, or a quarter of a shorter duration)
  --burst S                  seconds at the start of the warm-up with only forwarded requests
                             (valid, public), the proxy's largest footprint (default: a
                             third of the warm-up; 0: the normal mix from the start)
  --rss-limit F              max RSS after warm-up must stay below F x the warm-up RSS (1.10)
  --no-rss-check             report RSS without judging it (sanitizer builds)
  --proxy-threads N          the proxy's worker threads (default 2)
  --client-threads N         load-generator threads (default 1)
  --requests-per-connection N  average requests before a connection is closed and reopened
                             (default 200; 0 keeps each connection for the whole run)
  --token-cache-size N       the proxy's token_cache_size (default 1024)
  --settle-timeout S         seconds allowed for fds/connections to return after the load (15)
  --request-timeout S        seconds allowed for one answer (30)
  --progress S               seconds between progress lines (10)
  --samples FILE             write every sample (seconds, RSS KiB, fds, answers) as CSV
  --keep                     keep the work directory (config, keys, proxy log)
)");
  std::exit(code);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "soak_driver: %s needs a value\n", a.c_str());
        usage(2);
      }
      return argv[++i];
    };
    auto number = [&]() -> double {
      const auto v = value();
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || d < 0) {
        std::fprintf(stderr, "soak_driver: %s: not a number: %s\n", a.c_str(), v.c_str());
        usage(2);
      }
      return d;
    };
    if (a == "--binary") o.binary = value();
    else if (a == "--duration") o.duration = static_cast<int>(number());
    else if (a == "--connections") o.connections = static_cast<int>(number());
    else if (a == "--warmup") o.warmup = number();
    else if (a == "--burst") o.burst = number();
    else if (a == "--rss-limit") o.rss_limit = number();
    else if (a == "--no-rss-check") o.rss_check = false;
    else if (a == "--proxy-threads") o.proxy_threads = static_cast<int>(number());
    else if (a == "--client-threads") o.client_threads = static_cast<int>(number());
    else if (a == "--requests-per-connection") o.requests_per_connection = static_cast<int>(number());
    else if (a == "--token-cache-size") o.token_cache_size = static_cast<int>(number());
    else if (a == "--settle-timeout") o.settle_timeout = static_cast<int>(number());
    else if (a == "--request-timeout") o.request_timeout = static_cast<int>(number());
    else if (a == "--progress") o.progress = static_cast<int>(number());
    else if (a == "--keep") o.keep = true;
    else if (a == "--samples") o.samples_csv = value();
    else if (a == "-h" || a == "--help") usage(0);
    else {
      std::fprintf(stderr, "soak_driver: unknown argument '%s'\n", a.c_str());
      usage(2);
    }
  }
  if (o.binary.empty()) usage(2);
  if (o.duration < 1 || o.connections < 1 || o.proxy_threads < 1 || o.client_threads < 1 || o.progress < 1) {
    std::fprintf(stderr, "soak_driver: --duration, --connections, --proxy-threads, --client-threads and "
                         "--progress must be at least 1\n");
    usage(2);
  }
  if (o.warmup < 0) o.warmup = o.duration >= 60 ? 15.0 : o.duration / 4.0;
  if (o.burst < 0) o.burst = o.warmup / 3;
  if (o.burst > o.warmup) {
    std::fprintf(stderr, "soak_driver: --burst must not be longer than --warmup\n");
    usage(2);
  }
  if (o.warmup >= o.duration) {
    std::fprintf(stderr, "soak_driver: --warmup must be shorter than --duration\n");
    usage(2);
  }
  return o;
}

// ---------------------------------------------------------------------------------- helpers

std::atomic<bool> g_interrupted{false};
extern "C" void on_signal(int) { g_interrupted.store(true); }

double mib(std::uint64_t kib) { return static_cast<double>(kib) / 1024.0; }

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[4096];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

std::string with_commas(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string s;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s.push_back(',');
    s.push_back(digits[i]);
  }
  return s;
}

// A bounded list of example failures, shared by threads.
class Examples {
 public:
  void add(std::string s) {
    std::lock_guard lock(mu_);
    ++count_;
    if (items_.size() < 20) items_.push_back(std::move(s));
  }
  std::vector<std::string> items() const {
    std::lock_guard lock(mu_);
    return items_;
  }
  std::uint64_t count() const {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> items_;
  std::uint64_t count_ = 0;
};

// ------------------------------------------------------------------------------------ tokens

struct Tokens {
  // Valid tokens: index i has sub "user-<i>". The first `hot` are used three times in four and
  // stay in the token cache; the rest churn it.
  std::vector<std::string> valid;
  std::size_t hot = 0;
  std::vector<std::string> expired, bad_signature, wrong_audience, insufficient;
};

std::string claims_json(int i, std::int64_t iat, std::int64_t exp, std::string_view aud, std::string_view scope,
                        std::string_view roles) {
  return fmt(R"({"iss":"%s","sub":"user-%d","aud":"%.*s","iat":%lld,"exp":%lld,"jti":"soak-%d","scope":"%.*s","roles":%.*s})",
             kIssuer, i, static_cast<int>(aud.size()), aud.data(), static_cast<long long>(iat),
             static_cast<long long>(exp), i, static_cast<int>(scope.size()), scope.data(),
             static_cast<int>(roles.size()), roles.data());
}

// One character in the middle of the signature changed: still base64url of the same length, so
// the token parses and the signature check itself must refuse it.
std::string corrupt_signature(std::string token) {
  const auto dot = token.rfind('.');
  const auto at = dot + 1 + (token.size() - dot - 1) / 2;
  token[at] = token[at] == 'A' ? 'B' : 'A';
  return token;
}

Tokens make_tokens(const jt::TestKey& es, const jt::TestKey& rs, const jt::TestKey& forger, std::int64_t now,
                   std::int64_t valid_for) {
  const std::string es_header = R"({"alg":"ES256","typ":"JWT","kid":"es-1"})";
  const std::string rs_header = R"({"alg":"RS256","typ":"JWT","kid":"rs-1"})";
  const std::string good_scope = "orders:read orders:write";
  const std::string good_roles = R"(["ops"])";
  const std::int64_t exp = now + valid_for;
  Tokens t;
  t.hot = 320;
  const int cold = 2048;
  for (int i = 0; i < static_cast<int>(t.hot) + cold; ++i) {
    // Every eighth token RS256 (RSA signing is slow: ~300 of them), the rest ES256.
    const bool rsa = i % 8 == 7;
    const auto payload = claims_json(i, now - 10, exp, kAudience, good_scope, good_roles);
    t.valid.push_back(rsa ? jt::make_token(rs, Algorithm::RS256, rs_header, payload)
                          : jt::make_token(es, Algorithm::ES256, es_header, payload));
  }
  for (int i = 0; i < 16; ++i) {
    t.expired.push_back(jt::make_token(es, Algorithm::ES256, es_header,
                                       claims_json(100000 + i, now - 7200, now - 3600, kAudience, good_scope, good_roles)));
    t.wrong_audience.push_back(jt::make_token(es, Algorithm::ES256, es_header,
                                              claims_json(200000 + i, now - 10, exp, "other-api", good_scope, good_roles)));
    // Half lack the scope, half the role: both are "claims" failures, 403.
    t.insufficient.push_back(jt::make_token(
        es, Algorithm::ES256, es_header,
        i % 2 ? claims_json(300000 + i, now - 10, exp, kAudience, "orders:write", good_roles)
              : claims_json(300000 + i, now - 10, exp, kAudience, good_scope, R"(["viewer"])")));
  }
  for (int i = 0; i < 64; ++i) {
    const auto payload = claims_json(400000 + i, now - 10, exp, kAudience, good_scope, good_roles);
    switch (i % 3) {
      case 0:  // a real signature, one character changed
        t.bad_signature.push_back(corrupt_signature(jt::make_token(es, Algorithm::ES256, es_header, payload)));
        break;
      case 1:
        t.bad_signature.push_back(corrupt_signature(jt::make_token(rs, Algorithm::RS256, rs_header, payload)));
        break;
      default:  // a well-formed signature by another key under the trusted kid
        t.bad_signature.push_back(jt::make_token(forger, Algorithm::ES256, es_header, payload));
        break;
    }
  }
  return t;
}

// --------------------------------------------------------------------------------- upstream

// The oracle for what reached the upstream: counts by kind (from the path), checks that a
// forwarded valid request carries exactly the identity of its own token, and echoes the
// request's x-soak-id so that the client can tell its answer from someone else's.
class CountingUpstream {
 public:
  CountingUpstream() : acceptor_(ioc_, {net::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
  }
  ~CountingUpstream() { stop(); }

  void start() {
    net::co_spawn(ioc_, accept_loop(), net::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  void stop() {
    ioc_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::uint16_t port() const { return port_; }

  std::array<std::atomic<std::uint64_t>, kKindCount> received{};
  std::atomic<std::uint64_t> unclassified{0}, identity_errors{0}, echo_errors{0}, accepted{0};
  std::atomic<std::int64_t> open{0};
  Examples examples;

  std::uint64_t total() const {
    std::uint64_t n = unclassified.load();
    for (const auto& r : received) n += r.load();
    return n;
  }

 private:
  awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec == net::error::operation_aborted) break;
      if (ec) continue;
      ++accepted;
      net::co_spawn(ioc_, serve(std::move(socket)), net::detached);
    }
  }

  // "/<prefix...>/<kind>/<n>": the kind, and n.
  static std::pair<int, std::string_view> classify(std::string_view target) {
    const auto last = target.rfind('/');
    if (last == std::string_view::npos || last == 0) return {-1, {}};
    const auto before = target.rfind('/', last - 1);
    if (before == std::string_view::npos) return {-1, {}};
    const auto kind = target.substr(before + 1, last - before - 1);
    for (int k = 0; k < kKindCount; ++k) {
      if (kind == kSpecs[static_cast<std::size_t>(k)].name) return {k, target.substr(last + 1)};
    }
    return {-1, {}};
  }

  awaitable<void> serve(tcp::socket socket) {
    ++open;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string out;
    while (true) {
      http::request_parser<http::empty_body> parser;
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec) break;
      const auto& req = parser.get();
      const std::string_view target(req.target().data(), req.target().size());
      const auto [kind, number] = classify(target);
      if (kind < 0) {
        ++unclassified;
        examples.add("upstream received an unclassified request: " + std::string(target));
      } else {
        ++received[static_cast<std::size_t>(kind)];
        if (!kSpecs[static_cast<std::size_t>(kind)].forwarded) {
          examples.add("upstream received a " + std::string(kSpecs[static_cast<std::size_t>(kind)].name) +
                       " request, which the proxy must reject: " + std::string(target));
        }
      }
      std::size_t ids = 0, users = 0;
      std::string_view id, user;
      for (const auto& f : req) {
        const std::string_view value(f.value().data(), f.value().size());
        if (beast::iequals(f.name_string(), "x-soak-id")) {
          ++ids;
          id = value;
        } else if (beast::iequals(f.name_string(), "x-user-id")) {
          ++users;
          user = value;
        }
      }
      if (ids != 1) {
        ++echo_errors;
        examples.add(fmt("upstream: %zu x-soak-id fields on %s", ids, std::string(target).c_str()));
      }
      if (kind == kValid && (users != 1 || user != "user-" + std::string(number))) {
        ++identity_errors;
        examples.add(fmt("upstream: %s arrived with %zu x-user-id fields (last: '%s'), expected exactly "
                         "'user-%s'", std::string(target).c_str(), users, std::string(user).c_str(),
                         std::string(number).c_str()));
      }
      out.clear();
      out.append("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nx-soak-echo: ");
      out.append(id);
      out.append(req.keep_alive() ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
      out.append("{\"ok\":true}\n");
      auto [wec, wn] = co_await net::async_write(stream, net::buffer(out), use_tuple);
      if (wec || !req.keep_alive()) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    --open;
  }

  net::io_context ioc_{1};
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// ------------------------------------------------------------------------------- the proxy

// What the proxy's log says, counted as the lines arrive (testing::Process hands each stdout
// line here first): access lines by status, warn and error lines. Only the other lines are
// kept, and at most 2,000 of them, so millions of access lines never pile up in memory.
struct ProxyLog {
  std::atomic<std::uint64_t> access_lines{0}, warn_lines{0}, error_lines{0};
  std::array<std::atomic<std::uint64_t>, 600> access_by_status{};
  std::atomic<std::size_t> kept{0};

  bool keep(std::string_view l) {
    if (l.find("\"msg\":\"request\"") != std::string_view::npos) {
      ++access_lines;
      const auto at = l.find("\"status\":");
      unsigned s = 0;
      if (at != std::string_view::npos) std::from_chars(l.data() + at + 9, l.data() + l.size(), s);
      ++access_by_status[s < 600 ? s : 0];
      return false;
    }
    if (l.find("\"level\":\"warn\"") != std::string_view::npos) ++warn_lines;
    if (l.find("\"level\":\"error\"") != std::string_view::npos) ++error_lines;
    return kept++ < 2000;
  }
};

// ------------------------------------------------------------------- /proc: RSS and fds

std::uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string l;
  while (std::getline(in, l)) {
    if (l.rfind("VmRSS:", 0) == 0) return std::strtoull(l.c_str() + 6, nullptr, 10);
  }
  return 0;
}

int fd_count(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return -1;
  int n = 0;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

// The proxy's fds by what they are: sockets of client connections (local port = the listener),
// sockets to the upstream (remote port = the upstream's), and everything else (listeners,
// epoll, eventfds, pipes, files), which must come back to its baseline exactly.
struct FdCensus {
  int total = 0, client = 0, upstream = 0, upstream_close_wait = 0, other = 0;
};

FdCensus fd_census(pid_t pid, std::uint16_t listen_port, std::uint16_t upstream_port) {
  struct Sock {
    unsigned local_port, remote_port, state;
  };
  std::unordered_map<std::uint64_t, Sock> by_inode;
  for (const char* table : {"tcp", "tcp6"}) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/net/" + table);
    std::string l;
    std::getline(in, l);  // header
    while (std::getline(in, l)) {
      std::istringstream f(l);
      std::string sl, local, remote, st, txrx, trtm, retr, uid, timeout;
      std::uint64_t inode = 0;
      f >> sl >> local >> remote >> st >> txrx >> trtm >> retr >> uid >> timeout >> inode;
      if (!inode) continue;
      const auto port_of = [](const std::string& a) {
        const auto c = a.rfind(':');
        return c == std::string::npos ? 0u : static_cast<unsigned>(std::strtoul(a.c_str() + c + 1, nullptr, 16));
      };
      by_inode[inode] = {port_of(local), port_of(remote), static_cast<unsigned>(std::strtoul(st.c_str(), nullptr, 16))};
    }
  }
  FdCensus c;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return c;
  while (const dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    ++c.total;
    char target[256];
    const auto n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
    std::uint64_t inode = 0;
    if (n > 0) {
      target[n] = '\0';
      std::sscanf(target, "socket:[%" SCNu64 "]", &inode);
    }
    const auto it = inode ? by_inode.find(inode) : by_inode.end();
    if (it == by_inode.end()) {
      ++c.other;
    } else if (it->second.local_port == listen_port && it->second.state != 0x0A /* LISTEN */) {
      ++c.client;
    } else if (it->second.remote_port == upstream_port) {
      ++c.upstream;
      if (it->second.state == 0x08 /* CLOSE_WAIT */) ++c.upstream_close_wait;
    } else {
      ++c.other;
    }
  }
  closedir(d);
  return c;
}

// ---------------------------------------------------------------------- the admin endpoints

// One GET over a fresh connection (Connection: close); the status and the body, or nullopt.
std::optional<std::pair<int, std::string>> admin_get(std::uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string raw;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: admin\r\nConnection: close\r\n\r\n";
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  const auto end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return std::nullopt;
  return std::make_pair(std::atoi(raw.c_str() + 9), raw.substr(end + 4));
}

using MetricMap = std::map<std::string, double>;

// "name{labels} value" lines of the Prometheus text format, keyed by "name{labels}".
std::optional<MetricMap> scrape(std::uint16_t admin_port) {
  const auto r = admin_get(admin_port, "/metrics");
  if (!r || r->first != 200) return std::nullopt;
  MetricMap m;
  std::istringstream in(r->second);
  std::string l;
  while (std::getline(in, l)) {
    if (l.empty() || l[0] == '#') continue;
    const auto sp = l.rfind(' ');
    if (sp == std::string::npos) continue;
    m[l.substr(0, sp)] = std::strtod(l.c_str() + sp + 1, nullptr);
  }
  return m;
}

// The non-zero differences `after - before` of one family, by label set.
std::map<std::string, std::uint64_t> family_delta(const MetricMap& before, const MetricMap& after,
                                                  const std::string& family) {
  std::map<std::string, std::uint64_t> out;
  const auto prefix = family + "{";
  for (const auto& [key, value] : after) {
    if (key.rfind(prefix, 0) != 0) continue;
    const auto it = before.find(key);
    const double d = value - (it == before.end() ? 0.0 : it->second);
    if (d != 0) out[key.substr(prefix.size(), key.size() - prefix.size() - 1)] = static_cast<std::uint64_t>(d);
  }
  return out;
}

std::string code_of(const std::string& labels) {
  const auto at = labels.find("code=\"");
  if (at == std::string::npos) return "?";
  return labels.substr(at + 6, labels.find('"', at + 6) - at - 6);
}

// -------------------------------------------------------------------------------- the load

struct Stats {
  struct PerKind {
    std::atomic<std::uint64_t> sent{0}, answered{0}, right{0}, wrong_status{0}, wrong_detail{0}, no_answer{0};
    std::array<std::atomic<std::uint64_t>, 600> statuses{};
  };
  std::array<PerKind, kKindCount> kinds;
  std::array<std::atomic<std::uint64_t>, 600> by_status{};
  std::array<std::atomic<std::uint64_t>, 48> latency_log2_us{};  // bucket b: < 2^b µs
  std::atomic<std::uint64_t> connects{0}, connect_errors{0}, unexpected_close{0}, close_not_honoured{0};
  Examples examples;

  std::uint64_t answered() const {
    std::uint64_t n = 0;
    for (const auto& k : kinds) n += k.answered.load(std::memory_order_relaxed);
    return n;
  }
  std::uint64_t sum(std::atomic<std::uint64_t> PerKind::*field) const {
    std::uint64_t n = 0;
    for (const auto& k : kinds) n += (k.*field).load();
    return n;
  }
};

struct LoadPlan {
  tcp::endpoint endpoint;
  SteadyClock::time_point deadline;
  SteadyClock::time_point burst_until;  // before it: forwarded kinds only
  const Tokens* tokens = nullptr;
  int requests_per_connection = 0;
  seconds request_timeout{30};
  std::vector<Kind> fixed;  // non-empty: exactly these requests on one connection (preflight)
  std::atomic<bool>* stop = nullptr;
};

inline void bump(std::atomic<std::uint64_t>& a) { a.fetch_add(1, std::memory_order_relaxed); }

// The start of a body, on one line, for a message.
std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, 200);
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// Checks one answer; "" when it is the one right answer, else what is wrong.
std::string judge(Kind kind, const http::response<http::string_body>& res, std::string_view id) {
  const auto& spec = kSpecs[static_cast<std::size_t>(kind)];
  const auto echo_field = res["x-soak-echo"];
  const std::string_view echo(echo_field.data(), echo_field.size());
  if (spec.forwarded) {
    if (echo != id) {
      return fmt("forwarded answer carries x-soak-echo '%s', expected '%.*s' (an answer to another request)",
                 std::string(echo).c_str(), static_cast<int>(id.size()), id.data());
    }
    return "";
  }
  if (res.count("x-soak-echo")) return "the proxy's rejection carries the upstream's x-soak-echo";
  const std::string want = std::string("\"error_description\":\"") + spec.reason + "\"";
  if (res.body().find(want) == std::string::npos) {
    return fmt("body %s, expected error_description \"%s\"", excerpt(res.body()).c_str(), spec.reason);
  }
  return "";
}

awaitable<void> run_connection(const LoadPlan& plan, Stats& st, std::uint32_t conn) {
  auto ex = co_await net::this_coro::executor;
  const auto& tok = *plan.tokens;
  std::uint64_t seq = 0;
  std::string req, id;
  const bool preflight = !plan.fixed.empty();
  auto more = [&] {
    if (preflight) return seq < plan.fixed.size();
    return SteadyClock::now() < plan.deadline && !plan.stop->load(std::memory_order_relaxed);
  };
  while (more()) {
    tcp::socket socket(ex);
    auto [cec] = co_await socket.async_connect(plan.endpoint, use_tuple);
    if (cec) {
      bump(st.connect_errors);
      st.examples.add("connect failed: " + cec.message());
      if (preflight) break;
      net::steady_timer t(ex, milliseconds(100));
      co_await t.async_wait(use_tuple);
      continue;
    }
    bump(st.connects);
    socket.set_option(tcp::no_delay(true), cec);
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    // Connections are closed and reopened after about requests_per_connection requests
    // (staggered, so they do not all reconnect at once), the last with Connection: close.
    std::uint64_t limit = UINT64_MAX, on_this = 0;
    if (!preflight && plan.requests_per_connection > 0) {
      const auto n = static_cast<std::uint64_t>(plan.requests_per_connection);
      limit = n / 2 + 1 + (static_cast<std::uint64_t>(conn) * 7919 + seq) % n;
    }
    bool open = true;
    while (open && more()) {
      const Kind kind = preflight                               ? plan.fixed[seq]
                        : SteadyClock::now() < plan.burst_until ? (seq % 5 == 4 ? kPublic : kValid)
                                                                : kMix[(conn * 7 + seq) % kMix.size()];
      const auto& spec = kSpecs[static_cast<std::size_t>(kind)];
      const bool last = ++on_this >= limit;
      id = std::to_string(conn) + "." + std::to_string(seq);
      // The path names the kind (for the upstream); valid tokens also their index.
      std::size_t token_index = 0;
      const std::string* token = nullptr;
      const std::uint64_t pick = conn * 131 + seq;
      switch (kind) {
        case kValid:
        case kDenied:
        case kUnknownRoute:
          token_index = seq % 4 == 3 ? tok.hot + pick % (tok.valid.size() - tok.hot) : pick % tok.hot;
          token = &tok.valid[token_index];
          break;
        case kExpired: token = &tok.expired[pick % tok.expired.size()]; break;
        case kBadSignature: token = &tok.bad_signature[pick % tok.bad_signature.size()]; break;
        case kWrongAudience: token = &tok.wrong_audience[pick % tok.wrong_audience.size()]; break;
        case kInsufficient: token = &tok.insufficient[pick % tok.insufficient.size()]; break;
        case kPublic:
        case kMissingToken:
        case kKindCount: break;
      }
      req.clear();
      req.append("GET ").append(spec.prefix).append("/").append(spec.name).append("/");
      req.append(std::to_string(kind == kValid ? token_index : seq));
      req.append(" HTTP/1.1\r\nHost: ").append(kHost).append("\r\nx-soak-id: ").append(id).append("\r\n");
      if (token) req.append("Authorization: Bearer ").append(*token).append("\r\n");
      // A forged identity header: the proxy must replace it with the token's sub.
      if (kind == kValid) req.append("x-user-id: mallory\r\n");
      if (last) req.append("Connection: close\r\n");
      req.append("\r\n");

      auto& pk = st.kinds[static_cast<std::size_t>(kind)];
      bump(pk.sent);
      const auto t0 = SteadyClock::now();
      stream.expires_after(plan.request_timeout);
      auto [wec, wn] = co_await net::async_write(stream, net::buffer(req), use_tuple);
      http::response_parser<http::string_body> parser;
      parser.body_limit(1 << 16);
      error_code rec = wec;
      if (!rec) std::tie(rec, std::ignore) = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (rec) {
        bump(pk.no_answer);
        st.examples.add(fmt("%s request %s: no answer: %s", spec.name, id.c_str(), rec.message().c_str()));
        open = false;
        ++seq;
        break;
      }
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count();
      std::size_t b = 0;
      while (b + 1 < st.latency_log2_us.size() && (std::int64_t{1} << b) <= us) ++b;
      bump(st.latency_log2_us[b]);
      const auto& res = parser.get();
      const unsigned status = res.result_int();
      bump(pk.answered);
      bump(pk.statuses[status < 600 ? status : 0]);
      bump(st.by_status[status < 600 ? status : 0]);
      if (status != spec.status) {
        bump(pk.wrong_status);
        st.examples.add(fmt("WRONG DECISION: %s request %s (%s) got %u, expected %u; body %s", spec.name, id.c_str(),
                            req.substr(0, req.find(' ', 4)).c_str(), status, spec.status,
                            excerpt(res.body()).c_str()));
      } else if (auto why = judge(kind, res, id); !why.empty()) {
        bump(pk.wrong_detail);
        st.examples.add(fmt("wrong answer detail: %s request %s: %s", spec.name, id.c_str(), why.c_str()));
      } else {
        bump(pk.right);
      }
      ++seq;
      if (last) {
        // Asked to close: the answer must say so and the proxy must close.
        bool closed = !res.keep_alive() && buffer.size() == 0;
        if (closed) {
          std::array<char, 256> sink;
          stream.expires_after(seconds(10));
          auto [eec, en] = co_await stream.async_read_some(net::buffer(sink), use_tuple);
          closed = eec == net::error::eof;
        }
        if (!closed) {
          bump(st.close_not_honoured);
          st.examples.add(fmt("request %s asked for Connection: close; %s", id.c_str(),
                              res.keep_alive() ? "the answer offered keep-alive"
                                               : "the answer said close, but the connection was not closed "
                                                 "(or more bytes came) within 10 s"));
        }
        open = false;
      } else if (!res.keep_alive()) {
        bump(st.unexpected_close);
        st.examples.add(fmt("%s request %s: the proxy closed a keep-alive connection (status %u)", spec.name,
                            id.c_str(), status));
        open = false;
      }
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  }
}

// Runs `connections` connections under `plan` on `threads` threads until they finish.
void run_load(const LoadPlan& plan, Stats& st, int connections, int threads) {
  std::vector<std::unique_ptr<net::io_context>> ioc;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) ioc.push_back(std::make_unique<net::io_context>(1));
  for (int c = 0; c < connections; ++c) {
    net::co_spawn(*ioc[static_cast<std::size_t>(c % threads)], run_connection(plan, st, static_cast<std::uint32_t>(c)),
                  net::detached);
  }
  for (int t = 0; t < threads; ++t) workers.emplace_back([&ioc, t] { ioc[static_cast<std::size_t>(t)]->run(); });
  for (auto& w : workers) w.join();
}

// ------------------------------------------------------------------------------------- main

struct Sample {
  double t;  // seconds since the load started
  std::uint64_t rss_kib;
  int fds;
  std::uint64_t answered;
};

std::uint16_t port_after(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\":\"");
  if (at == std::string::npos) return 0;
  const auto start = at + key.size() + 4;
  const auto value = line.substr(start, line.find('"', start) - start);
  const auto colon = value.rfind(':');
  return colon == std::string::npos ? 0 : static_cast<std::uint16_t>(std::atoi(value.c_str() + colon + 1));
}

int run(const Options& opt) {
  std::vector<std::string> violations;
  auto fail = [&](std::string s) {
    std::printf("FAIL: %s\n", s.c_str());
    violations.push_back(std::move(s));
  };

  // --- fds: we hold a client socket per connection and the upstream's end of each proxy
  // connection; the proxy (our child, same limits) a client socket and an upstream socket.
  const rlim_t need = static_cast<rlim_t>(opt.connections) * 2 + kPoolPerWorker * static_cast<rlim_t>(opt.proxy_threads) + 256;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < need) {
    rl.rlim_cur = std::min(need, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < need) {
    std::fprintf(stderr, "soak_driver: %d connections need %llu file descriptors, the hard limit is %llu "
                         "(raise it, or use fewer --connections)\n",
                 opt.connections, static_cast<unsigned long long>(need), static_cast<unsigned long long>(rl.rlim_max));
    return 2;
  }

  char tmpl[] = "/tmp/jwt-sidecar-soak-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  const std::string work = tmpl;
  struct Cleanup {
    std::string dir;
    bool keep;
    ~Cleanup() {
      if (keep) {
        std::printf("kept: %s\n", dir.c_str());
      } else {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
      }
    }
  } cleanup{work, opt.keep};

  // --- keys and tokens, made now; valid tokens outlive the run by an hour.
  const auto setup_start = SteadyClock::now();
  const auto es = jt::TestKey::ec("P-256");
  const auto rs = jt::TestKey::rsa(2048);
  const auto forger = jt::TestKey::ec("P-256");
  const std::int64_t now = std::time(nullptr);
  const Tokens tokens = make_tokens(es, rs, forger, now, opt.duration + 3600 + 600);
  {
    std::ofstream(work + "/jwks.json") << jt::jwks_of({es.jwk("es-1", R"("alg":"ES256","use":"sig")"),
                                                       rs.jwk("rs-1", R"("alg":"RS256","use":"sig")")});
  }

  CountingUpstream upstream;
  const std::string config = fmt(R"(# written by tests/soak/soak_driver
listen: 127.0.0.1:0
admin: 127.0.0.1:0
upstream: http://127.0.0.1:%u
threads: %d
token_cache_size: %d
log_level: info
access_log: true
providers:
  soak:
    issuer: %s
    audiences: [%s]
    jwks_file: %s/jwks.json
    algorithms: [ES256, RS256]
    forward_claims: {sub: x-user-id}
routes:
  - name: public
    match: {prefix: /public}
    auth: none
  - name: admin
    match: {prefix: /admin}
    auth: deny
  - name: orders
    match: {prefix: /api/orders, methods: [GET, HEAD]}
    providers: [soak]
    claims:
      scope: {all: ["orders:read"]}
      roles: {any: [ops, admin]}
)",
                                 upstream.port(), opt.proxy_threads, opt.token_cache_size, kIssuer, kAudience,
                                 work.c_str());
  { std::ofstream(work + "/config.yaml") << config; }

  ProxyLog log;
  jwt_sidecar::testing::Process proxy(opt.binary, {"--config", work + "/config.yaml"},
                                      [&log](std::string_view l) { return log.keep(l); });
  upstream.start();
  const auto listening = proxy.wait_for_line("\"msg\":\"listening\"", seconds(20));
  if (!listening) {
    std::printf("FAIL: the proxy did not start:\n%s\n", proxy.stderr_text().c_str());
    return 1;
  }
  const auto port = port_after(*listening, "address");
  const auto admin_port = port_after(*listening, "admin");
  const pid_t pid = proxy.pid();
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    const auto r = admin_get(admin_port, "/readyz");
    ready = r && r->first == 200;
    if (!ready) std::this_thread::sleep_for(milliseconds(50));
  }
  if (!ready) {
    std::printf("FAIL: the proxy did not become ready (/readyz) within 10 s\n");
    return 1;
  }
  const auto setup_s = std::chrono::duration<double>(SteadyClock::now() - setup_start).count();
  std::printf("== jwt-sidecar soak: %d s of load (warm-up %.0f s, the first %.0f s forwarded requests only), "
              "%d connections, %d proxy threads, %d client thread(s)\n",
              opt.duration, opt.warmup, opt.burst, opt.connections, opt.proxy_threads, opt.client_threads);
  std::printf("proxy pid %d on 127.0.0.1:%u (admin %u), upstream 127.0.0.1:%u; %zu valid tokens (%zu hot), "
              "token_cache_size %d; setup %.1f s\n",
              static_cast<int>(pid), port, admin_port, upstream.port(), tokens.valid.size(), tokens.hot,
              opt.token_cache_size, setup_s);
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  LoadPlan plan;
  plan.endpoint = {net::ip::make_address("127.0.0.1"), port};
  plan.tokens = &tokens;
  plan.requests_per_connection = opt.requests_per_connection;
  plan.request_timeout = seconds(opt.request_timeout);
  plan.stop = &stop;

  // --- preflight: one request of each kind, every detail checked, before any load: a failure
  // here means the oracle or the config is wrong (or the proxy is), and soaking is pointless.
  {
    Stats pre;
    LoadPlan p = plan;
    for (int k = 0; k < kKindCount; ++k) p.fixed.push_back(static_cast<Kind>(k));
    run_load(p, pre, 1, 1);
    if (pre.sum(&Stats::PerKind::right) != kKindCount) {
      std::printf("FAIL: preflight (one request of each kind) went wrong:\n");
      for (const auto& e : pre.examples.items()) std::printf("  %s\n", e.c_str());
      return 1;
    }
    std::printf("preflight: %d kinds, each answered as expected\n", kKindCount);
  }

  // --- baseline, once the preflight connection is gone.
  auto settled = [&](FdCensus& c, double& active) {
    c = fd_census(pid, port, upstream.port());
    const auto m = scrape(admin_port);
    active = m && m->count("jwt_sidecar_connections_active") ? m->at("jwt_sidecar_connections_active") : -1;
    return c.client == 0 && active == 0 && log.access_lines.load() >= static_cast<std::uint64_t>(kKindCount);
  };
  FdCensus base;
  double active = -1;
  for (int i = 0; i < 100 && !settled(base, active); ++i) std::this_thread::sleep_for(milliseconds(50));
  // The fewest fds of a few looks: a file the proxy reads now and then (it checks its config
  // and key files every second), or the admin connection just used, is not part of it.
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    const auto c = fd_census(pid, port, upstream.port());
    if (c.client == 0 && c.other < base.other) base = c;
  }
  const auto metrics_before = scrape(admin_port);
  if (!metrics_before) {
    std::printf("FAIL: cannot read /metrics on the admin port\n");
    return 1;
  }
  const std::uint64_t access_before = log.access_lines.load();
  std::array<std::uint64_t, 600> access_status_before{};
  for (std::size_t s = 0; s < 600; ++s) access_status_before[s] = log.access_by_status[s].load();
  std::array<std::uint64_t, kKindCount> upstream_before{};
  for (std::size_t k = 0; k < kKindCount; ++k) upstream_before[k] = upstream.received[k].load();
  const std::uint64_t upstream_unclassified_before = upstream.unclassified.load();
  const std::uint64_t rss_base = rss_kib(pid);
  std::printf("baseline: %d fds (%d other than upstream sockets, %d pooled upstream), RSS %.1f MiB, "
              "connections_active %.0f\n",
              base.total, base.other, base.upstream, mib(rss_base), active);
  std::fflush(stdout);

  // --- the load, observed from here.
  Stats st;
  const auto load_start = SteadyClock::now();
  plan.deadline = load_start + seconds(opt.duration);
  plan.burst_until = load_start + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(opt.burst));
  std::atomic<bool> load_done{false};
  std::thread load([&] {
    run_load(plan, st, opt.connections, opt.client_threads);
    load_done = true;
  });

  std::vector<Sample> samples;
  // The RSS reference is the highest sample of the warm-up's second half: with buffers that
  // come and go with the requests in flight, RSS swings by a few percent under steady load,
  // and growth means rising above the level the warm-up already reached, not above one sample.
  std::uint64_t rss_warm = 0, rss_warm_peak = 0, last_answered = 0;
  double last_progress = 0;
  bool proxy_died = false;
  int fd_max = 0;
  while (!load_done.load()) {
    std::this_thread::sleep_for(milliseconds(250));
    const double t = std::chrono::duration<double>(SteadyClock::now() - load_start).count();
    if (!proxy.running()) {
      proxy_died = true;
      stop = true;
      break;
    }
    if (g_interrupted.load()) stop = true;
    const Sample s{t, rss_kib(pid), fd_count(pid), st.answered()};
    samples.push_back(s);
    fd_max = std::max(fd_max, s.fds);
    if (t >= opt.warmup / 2 && t < opt.warmup) rss_warm_peak = std::max(rss_warm_peak, s.rss_kib);
    if (!rss_warm && t >= opt.warmup) rss_warm = std::max(rss_warm_peak, s.rss_kib);
    if (t - last_progress >= opt.progress && t < opt.duration + 1) {
      const auto answered = st.answered();
      const auto m = scrape(admin_port);
      std::printf("  t=%4.0fs  %s answers (%.0f/s)  wrong %" PRIu64 "  RSS %.1f MiB  fds %d  connections_active %.0f  "
                  "upstream conns %" PRId64 "\n",
                  t, with_commas(answered).c_str(), static_cast<double>(answered - last_answered) / (t - last_progress),
                  st.sum(&Stats::PerKind::wrong_status), mib(s.rss_kib), s.fds,
                  m && m->count("jwt_sidecar_connections_active") ? m->at("jwt_sidecar_connections_active") : -1.0,
                  upstream.open.load());
      std::fflush(stdout);
      last_answered = answered;
      last_progress = t;
    }
  }
  load.join();
  const double load_s = std::chrono::duration<double>(SteadyClock::now() - load_start).count();
  // The last sample before the deadline, while every connection was still busy.
  std::uint64_t rss_end_load = 0;
  for (const auto& s : samples) {
    if (s.t < opt.duration) rss_end_load = s.rss_kib;
  }
  if (!opt.samples_csv.empty()) {
    std::ofstream csv(opt.samples_csv);
    csv << "seconds,rss_kib,fds,answers\n";
    for (const auto& s : samples) csv << fmt("%.2f,%" PRIu64 ",%d,%" PRIu64 "\n", s.t, s.rss_kib, s.fds, s.answered);
  }

  if (proxy_died) {
    fail(fmt("the proxy exited during the load (status %d); stderr:\n%s", proxy.wait(seconds(1)),
             proxy.stderr_text().c_str()));
  }
  if (g_interrupted.load()) fail("interrupted (SIGINT/SIGTERM): the load was cut short");

  // --- after the load: every client connection closed by us; the proxy must close its ends,
  // and everything but its pooled upstream connections must be back to the baseline.
  const std::uint64_t answered = st.answered();
  FdCensus after;
  MetricMap metrics_after;
  const auto settle_start = SteadyClock::now();
  double settle_s = 0;
  bool fds_ok = false;
  while (!proxy_died) {
    after = fd_census(pid, port, upstream.port());
    const auto m = scrape(admin_port);
    if (m) metrics_after = *m;
    active = m && m->count("jwt_sidecar_connections_active") ? m->at("jwt_sidecar_connections_active") : -1;
    fds_ok = after.client == 0 && after.other == base.other && active == 0 &&
             after.upstream == upstream.open.load() && log.access_lines.load() - access_before >= answered;
    settle_s = std::chrono::duration<double>(SteadyClock::now() - settle_start).count();
    if (fds_ok || settle_s > opt.settle_timeout) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  // A last scrape, taken after connections_active was seen at 0: every request's count is in.
  if (fds_ok) {
    if (const auto m = scrape(admin_port)) metrics_after = *m;
  }
  const std::uint64_t rss_after = rss_kib(pid);

  // --- 1. every answer.
  const auto wrong = st.sum(&Stats::PerKind::wrong_status);
  const auto wrong_detail = st.sum(&Stats::PerKind::wrong_detail);
  const auto no_answer = st.sum(&Stats::PerKind::no_answer);
  std::printf("\n%-20s %8s %12s %12s %8s %8s %8s  %s\n", "kind", "expected", "sent", "right", "wrong", "detail",
              "no-ans", "statuses seen");
  for (std::size_t k = 0; k < kKindCount; ++k) {
    const auto& pk = st.kinds[k];
    std::string seen;
    for (std::size_t s = 0; s < 600; ++s) {
      if (const auto n = pk.statuses[s].load()) seen += fmt("%s%zu:%s", seen.empty() ? "" : " ", s, with_commas(n).c_str());
    }
    std::printf("%-20s %8u %12s %12s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "  %s\n", kSpecs[k].name, kSpecs[k].status,
                with_commas(pk.sent.load()).c_str(), with_commas(pk.right.load()).c_str(), pk.wrong_status.load(),
                pk.wrong_detail.load(), pk.no_answer.load(), seen.c_str());
  }
  std::uint64_t lat_total = 0;
  for (const auto& b : st.latency_log2_us) lat_total += b.load();
  auto percentile = [&](double p) {
    std::uint64_t acc = 0;
    for (std::size_t b = 0; b < st.latency_log2_us.size(); ++b) {
      acc += st.latency_log2_us[b].load();
      if (static_cast<double>(acc) >= p * static_cast<double>(lat_total)) return (std::uint64_t{1} << b) / 1000.0;
    }
    return 0.0;
  };
  std::printf("\nrequests: %s answered in %.1f s = %.0f req/s; connections opened %s; latency p50 < %.1f ms, "
              "p99 < %.1f ms\n",
              with_commas(answered).c_str(), load_s, static_cast<double>(answered) / load_s,
              with_commas(st.connects.load()).c_str(), percentile(0.5), percentile(0.99));
  std::printf("wrong decisions: %" PRIu64 "; wrong details (reason, echo): %" PRIu64 "; no answer: %" PRIu64
              "; connect errors: %" PRIu64 "; unexpected closes: %" PRIu64 "; Connection: close not honoured: %" PRIu64
              "\n",
              wrong, wrong_detail, no_answer, st.connect_errors.load(), st.unexpected_close.load(),
              st.close_not_honoured.load());
  if (wrong) fail(fmt("%" PRIu64 " wrong decisions (status other than the expected one)", wrong));
  if (wrong_detail) fail(fmt("%" PRIu64 " answers with the right status but a wrong reason or echo", wrong_detail));
  if (no_answer) fail(fmt("%" PRIu64 " requests got no answer (timeout, reset or close)", no_answer));
  if (st.connect_errors.load()) fail(fmt("%" PRIu64 " connects failed", st.connect_errors.load()));
  if (st.unexpected_close.load()) fail(fmt("%" PRIu64 " keep-alive connections closed by the proxy", st.unexpected_close.load()));
  if (st.close_not_honoured.load()) fail(fmt("%" PRIu64 " Connection: close requests not closed", st.close_not_honoured.load()));
  if (answered == 0) fail("no request was answered");
  for (const auto& e : st.examples.items()) std::printf("  example: %s\n", e.c_str());

  // --- 2. what reached the upstream.
  {
    std::uint64_t leaked = 0, forwarded = 0, expected_forwarded = 0;
    std::string detail;
    for (std::size_t k = 0; k < kKindCount; ++k) {
      const auto got = upstream.received[k].load() - upstream_before[k];
      if (kSpecs[k].forwarded) {
        forwarded += got;
        expected_forwarded += st.kinds[k].right.load() + st.kinds[k].wrong_detail.load();
        detail += fmt(" %s %s", kSpecs[k].name, with_commas(got).c_str());
      } else {
        leaked += got;
      }
    }
    const auto unclassified = upstream.unclassified.load() - upstream_unclassified_before;
    std::printf("upstream: received %s (%s), expected %s; rejected kinds reaching it: %" PRIu64
                "; unclassified: %" PRIu64 "; identity errors: %" PRIu64 "; echo errors: %" PRIu64 "\n",
                with_commas(forwarded).c_str(), detail.substr(1).c_str(), with_commas(expected_forwarded).c_str(),
                leaked, unclassified, upstream.identity_errors.load(), upstream.echo_errors.load());
    if (leaked) fail(fmt("%" PRIu64 " requests the proxy must reject reached the upstream", leaked));
    if (unclassified) fail(fmt("%" PRIu64 " unclassified requests reached the upstream", unclassified));
    if (forwarded != expected_forwarded) {
      fail(fmt("the upstream received %" PRIu64 " forwardable requests, the client got %" PRIu64 " forwarded answers",
               forwarded, expected_forwarded));
    }
    if (upstream.identity_errors.load()) fail(fmt("%" PRIu64 " forwarded requests with a wrong x-user-id", upstream.identity_errors.load()));
    if (upstream.echo_errors.load()) fail(fmt("%" PRIu64 " forwarded requests without exactly one x-soak-id", upstream.echo_errors.load()));
    for (const auto& e : upstream.examples.items()) std::printf("  example: %s\n", e.c_str());
  }

  // --- 3. the proxy's own accounts: metrics and access log against the client's counts.
  if (metrics_after.empty()) {
    fail("cannot read /metrics after the load");
  } else {
    std::map<std::string, std::uint64_t> want_requests, want_rejections, got_by_code, want_by_code;
    for (std::size_t k = 0; k < kKindCount; ++k) {
      const auto n = st.kinds[k].answered.load();
      if (!n) continue;
      // The soak's clients speak HTTP/1.1: the protocol label is the series' last.
      want_requests[fmt("route=\"%s\",decision=\"%s\",code=\"%u\",protocol=\"http/1.1\"", kSpecs[k].route,
                        kSpecs[k].decision, kSpecs[k].status)] += n;
      if (*kSpecs[k].rejection) want_rejections[fmt("provider=\"soak\",reason=\"%s\"", kSpecs[k].rejection)] += n;
    }
    for (std::size_t s = 0; s < 600; ++s) {
      if (const auto n = st.by_status[s].load()) want_by_code[std::to_string(s)] = n;
    }
    const auto requests = family_delta(*metrics_before, metrics_after, "jwt_sidecar_requests_total");
    const auto rejections = family_delta(*metrics_before, metrics_after, "jwt_sidecar_token_rejections_total");
    for (const auto& [labels, n] : requests) got_by_code[code_of(labels)] += n;
    auto show = [](const std::map<std::string, std::uint64_t>& m) {
      std::string s;
      for (const auto& [k, v] : m) s += "\n      {" + k + "} " + std::to_string(v);
      return s.empty() ? std::string(" (none)") : s;
    };
    const bool by_code_ok = got_by_code == want_by_code;
    const bool requests_ok = requests == want_requests;
    const bool rejections_ok = rejections == want_rejections;
    std::printf("metrics: requests_total by code %s the client's answers; by route/decision/code %s; "
                "token_rejections_total %s; connections_active %.0f\n",
                by_code_ok ? "agrees with" : "DISAGREES with", requests_ok ? "as expected" : "NOT as expected",
                rejections_ok ? "as expected" : "NOT as expected", active);
    if (!by_code_ok) {
      std::string got, want;
      for (const auto& [c, n] : got_by_code) got += fmt(" %s:%" PRIu64, c.c_str(), n);
      for (const auto& [c, n] : want_by_code) want += fmt(" %s:%" PRIu64, c.c_str(), n);
      fail("jwt_sidecar_requests_total by code (metrics:" + got + ") != the client's answers (" + want.substr(1) + ")");
    }
    if (!requests_ok) fail("jwt_sidecar_requests_total delta:" + show(requests) + "\n    expected:" + show(want_requests));
    if (!rejections_ok) {
      fail("jwt_sidecar_token_rejections_total delta:" + show(rejections) + "\n    expected:" + show(want_rejections));
    }
    const auto hit = metrics_after["jwt_sidecar_token_cache_hits_total"] - metrics_before->at("jwt_sidecar_token_cache_hits_total");
    const auto miss = metrics_after["jwt_sidecar_token_cache_misses_total"] - metrics_before->at("jwt_sidecar_token_cache_misses_total");
    std::printf("token cache: %s hits, %s misses (%.0f%% hits)\n", with_commas(static_cast<std::uint64_t>(hit)).c_str(),
                with_commas(static_cast<std::uint64_t>(miss)).c_str(), hit + miss > 0 ? 100.0 * hit / (hit + miss) : 0.0);
  }
  if (active != 0) fail(fmt("jwt_sidecar_connections_active is %.0f after every client connection closed (%.0f s)", active, settle_s));
  {
    const auto lines = log.access_lines.load() - access_before;
    bool by_status_ok = true;
    for (std::size_t s = 0; s < 600; ++s) {
      if (log.access_by_status[s].load() - access_status_before[s] != st.by_status[s].load()) by_status_ok = false;
    }
    std::printf("access log: %s lines, %s\n", with_commas(lines).c_str(),
                by_status_ok ? "agrees with the client's answers by status" : "DISAGREES with the client's answers by status");
    if (!by_status_ok) {
      std::string got, want;
      for (std::size_t s = 0; s < 600; ++s) {
        if (const auto n = log.access_by_status[s].load() - access_status_before[s]) got += fmt(" %zu:%" PRIu64, s, n);
        if (const auto n = st.by_status[s].load()) want += fmt(" %zu:%" PRIu64, s, n);
      }
      fail("access log lines by status (" + (got.empty() ? std::string("none") : got.substr(1)) +
           ") != the client's answers (" + (want.empty() ? std::string("none") : want.substr(1)) + ")");
    }
  }

  // --- 4. file descriptors.
  {
    const int pool_limit = static_cast<int>(kPoolPerWorker) * opt.proxy_threads;
    std::printf("fds: baseline %d; max during load %d; after %d = %d other (baseline %d) + %d client sockets + %d "
                "pooled upstream connections (%d in CLOSE_WAIT; pool limit %d, upstream sees %" PRId64
                " open); settled in %.1f s\n",
                base.total, fd_max, after.total, after.other, base.other, after.client, after.upstream,
                after.upstream_close_wait, pool_limit, upstream.open.load(), settle_s);
    if (after.client != 0) fail(fmt("%d client sockets still open in the proxy %.0f s after every client closed", after.client, settle_s));
    if (after.other != base.other) {
      fail(fmt("the proxy holds %d fds other than upstream sockets, %d at the baseline (a leak if higher)",
               after.other, base.other));
    }
    if (after.upstream > pool_limit) fail(fmt("%d upstream sockets stay open, more than the pool's %d", after.upstream, pool_limit));
    if (after.upstream != upstream.open.load()) {
      fail(fmt("the proxy holds %d upstream sockets, the upstream has %" PRId64 " open", after.upstream, upstream.open.load()));
    }
  }

  // --- 5. RSS.
  {
    std::uint64_t rss_max = 0;
    double t_max = 0;
    for (const auto& s : samples) {
      if (s.t >= opt.warmup && s.rss_kib > rss_max) {
        rss_max = s.rss_kib;
        t_max = s.t;
      }
    }
    const double growth = rss_warm ? static_cast<double>(rss_max) / static_cast<double>(rss_warm) - 1 : 0;
    std::printf("rss: baseline %.1f MiB; warm-up peak (%.0f s) %.1f MiB; max after warm-up %.1f MiB at %.0f s "
                "(%+.1f%%, limit %+.1f%%%s); end of load %.1f MiB; after close %.1f MiB\n",
                mib(rss_base), opt.warmup, mib(rss_warm), mib(rss_max), t_max, growth * 100, (opt.rss_limit - 1) * 100,
                opt.rss_check ? "" : ", not checked", mib(rss_end_load), mib(rss_after));
    if (opt.rss_check && !proxy_died && !g_interrupted.load()) {
      if (!rss_warm) {
        fail("no RSS sample after the warm-up");
      } else if (static_cast<double>(rss_max) >= opt.rss_limit * static_cast<double>(rss_warm)) {
        fail(fmt("RSS grew from %.1f MiB (warm-up peak) to %.1f MiB (%+.1f%%, limit %+.1f%%)", mib(rss_warm),
                 mib(rss_max), growth * 100, (opt.rss_limit - 1) * 100));
      }
    }
  }

  // --- 6. the proxy's log and its exit.
  {
    proxy.drain_output();
    const auto lines = proxy.stdout_lines();
    std::printf("proxy log: %" PRIu64 " warn and %" PRIu64 " error lines\n", log.warn_lines.load(), log.error_lines.load());
    int shown = 0;
    for (const auto& l : lines) {
      if ((l.find("\"level\":\"warn\"") != std::string::npos || l.find("\"level\":\"error\"") != std::string::npos) &&
          shown++ < 10) {
        std::printf("  %s\n", l.c_str());
      }
    }
    if (log.error_lines.load()) fail(fmt("the proxy logged %" PRIu64 " error lines", log.error_lines.load()));
    if (!proxy_died) {
      kill(pid, SIGTERM);
      const int status = proxy.wait(seconds(30));
      std::printf("proxy exit after SIGTERM: %d\n", status);
      if (status != 0) fail(fmt("the proxy exited with %d after SIGTERM (expected 0)", status));
    }
    if (opt.keep) {
      std::ofstream out(work + "/proxy.log");
      proxy.drain_output();
      for (const auto& l : proxy.stdout_lines()) out << l << '\n';
      out << "--- stderr\n" << proxy.stderr_text();
    }
  }

  std::printf("\n%s: %s requests, %.0f req/s, %" PRIu64 " wrong decisions, %zu violation(s)\n",
              violations.empty() ? "PASS" : "FAIL", with_commas(answered).c_str(),
              static_cast<double>(answered) / load_s, wrong, violations.size());
  return violations.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, on_signal);
  ::signal(SIGTERM, on_signal);
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto opt = parse_options(argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak_driver: %s\n", e.what());
    return 2;
  }
}
