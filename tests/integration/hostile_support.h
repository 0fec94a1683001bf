// What the hostile_*_test.cpp files share: the smuggling probe, the upstream oracle, request
// builders and the route oracle's lenient readings. Each table of attacks lives in the file of
// its class: framing and header bytes, limits and slow clients, route bypass, token transport.
#pragma once

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/fixture.h"

namespace jwt_sidecar::testing::hostile {

using Clock = std::chrono::steady_clock;
// Sent right after each hostile request: a request to a public route, so only framing decides
// whether it reaches the upstream. It may do so only as the next request after one that was
// accepted and read to its end, never out of a refused request's bytes or body.
inline const std::string kSmuggled = "GET /public/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

// What a test expects the upstream to have received for one case.
struct Seen {
  std::string target;
  std::string body;
};

// The upstream requests that arrived after the first `from`.
inline std::vector<SeenRequest> seen_since(const UpstreamServer& upstream, std::size_t from) {
  auto all = upstream.requests();
  return {all.begin() + static_cast<std::ptrdiff_t>(std::min(from, all.size())), all.end()};
}

inline void check_seen(const std::vector<SeenRequest>& got, const std::vector<Seen>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].target == want[i].target);
    CHECK(got[i].body_prefix == want[i].body);
    CHECK(got[i].body_bytes == want[i].body.size());
  }
}

// A request line and Host for `target`, then `rest` (more header lines, the blank line, a body).
inline std::string request(const std::string& method, const std::string& target, const std::string& rest,
                    const std::string& host = "x") {
  return method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + rest;
}

inline std::string decode_error_reason(const Response& r) {
  const auto at = r.body.find("\"error_description\":\"");
  if (at == std::string::npos) return "";
  const auto from = at + 21;
  return r.body.substr(from, r.body.find('"', from) - from);
}

// How a lenient upstream might read a Host value: up to the first ':', '/', '?', '#', '\' or
// space, every trailing dot dropped, lower case. The route oracle uses it to ask "could a
// forwarded request be taken for the denied host by a less strict server?".
inline std::string lenient_host(std::string host) {
  host = host.substr(0, host.find_first_of(":/?#\\ "));
  while (!host.empty() && host.back() == '.') host.pop_back();
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// A forwarded target's path without its query and without ";params" on any segment.
inline std::string path_for_matching(const std::string& target) {
  const auto path = target.substr(0, target.find('?'));
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    const auto slash = path.find('/', i + 1);
    auto segment = path.substr(i, slash == std::string::npos ? std::string::npos : slash - i);
    out += segment.substr(0, segment.find(';'));
    if (slash == std::string::npos) break;
    i = slash;
  }
  return out;
}

inline bool under(const std::string& path, const std::string& prefix) {
  return path == prefix || path.rfind(prefix + "/", 0) == 0;
}

// Whether the peer sent something (or closed) within `wait`: the pacing of a slow client.
inline bool readable_within(const RawClient& client, std::chrono::milliseconds wait) {
  pollfd p{client.fd(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) > 0;
}

// Raises the soft limit on open files to at least `wanted` (the hard limit permitting); the
// proxy started afterwards inherits it.
inline void ensure_open_files(rlim_t wanted) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= wanted) return;
  rl.rlim_cur = std::min(wanted, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
}


}  // namespace jwt_sidecar::testing::hostile
