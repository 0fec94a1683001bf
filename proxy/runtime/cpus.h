// How many worker threads `threads: 0` means: the CPUs this process may use, which in a
// container is usually fewer than the node has.
#pragma once

#include <optional>
#include <string_view>

namespace jwt_sidecar::proxy {

// CPUs in this process's affinity mask (a cpuset), capped by its cgroup's CPU quota rounded
// up (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us: a Kubernetes CPU limit).
// At least 1.
unsigned usable_cpus();

// The quota in CPUs, rounded up, from the text of a cgroup v2 cpu.max file ("150000 100000"
// gives 2); nullopt for "max" (no limit) or anything unreadable.
std::optional<unsigned> cpus_from_cpu_max(std::string_view text);

// The same from cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us files (quota -1: no limit).
std::optional<unsigned> cpus_from_cfs(std::string_view quota_text, std::string_view period_text);

}  // namespace jwt_sidecar::proxy
