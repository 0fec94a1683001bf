#include "proxy/runtime/cpus.h"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "common/ascii.h"

namespace jwt_sidecar::proxy {
namespace {

std::optional<long long> parse_integer(std::string_view s) {
  s = common::trim_ascii(s, " \t\n");
  long long v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<unsigned> quota_cpus(long long quota, long long period) {
  if (quota <= 0 || period <= 0) return std::nullopt;
  const long long cpus = (quota + period - 1) / period;
  return static_cast<unsigned>(std::clamp<long long>(cpus, 1, 1 << 20));
}

std::optional<std::string> read_small_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str().substr(0, 256);
}

}  // namespace

std::optional<unsigned> cpus_from_cpu_max(std::string_view text) {
  text = common::trim_ascii(text, " \t\n");
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto quota = text.substr(0, space);
  if (quota == "max") return std::nullopt;
  const auto q = parse_integer(quota);
  const auto p = parse_integer(text.substr(space + 1));
  if (!q || !p) return std::nullopt;
  return quota_cpus(*q, *p);
}

std::optional<unsigned> cpus_from_cfs(std::string_view quota_text, std::string_view period_text) {
  const auto q = parse_integer(quota_text);
  const auto p = parse_integer(period_text);
  if (!q || !p) return std::nullopt;
  return quota_cpus(*q, *p);
}

unsigned usable_cpus() {
  unsigned n = std::max(1u, std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) n = std::max(1, CPU_COUNT(&set));
  // Inside a container the cgroup namespace makes the container's own cgroup the root.
  std::optional<unsigned> quota;
  if (const auto v2 = read_small_file("/sys/fs/cgroup/cpu.max")) {
    quota = cpus_from_cpu_max(*v2);
  } else if (const auto q = read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    if (const auto p = read_small_file("/sys/fs/cgroup/cpu/cpu.cfs_period_us")) quota = cpus_from_cfs(*q, *p);
  }
  if (quota) n = std::min(n, *quota);
  return std::max(1u, n);
}

}  // namespace jwt_sidecar::proxy
