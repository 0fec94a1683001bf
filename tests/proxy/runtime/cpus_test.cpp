#include "proxy/runtime/cpus.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

using jwt_sidecar::proxy::cpus_from_cfs;
using jwt_sidecar::proxy::cpus_from_cpu_max;
using jwt_sidecar::proxy::usable_cpus;

TEST_CASE("a cgroup v2 cpu.max quota gives the CPUs it allows, rounded up") {
  CHECK(cpus_from_cpu_max("max 100000\n") == std::nullopt);
  CHECK(cpus_from_cpu_max("100000 100000\n") == 1u);
  CHECK(cpus_from_cpu_max("150000 100000\n") == 2u);  // a 1500m limit still gets 2 workers
  CHECK(cpus_from_cpu_max("50000 100000") == 1u);     // 500m: one worker, never zero
  CHECK(cpus_from_cpu_max("400000 100000") == 4u);
  CHECK(cpus_from_cpu_max("") == std::nullopt);
  CHECK(cpus_from_cpu_max("100000") == std::nullopt);
  CHECK(cpus_from_cpu_max("abc 100000") == std::nullopt);
  CHECK(cpus_from_cpu_max("100000 0") == std::nullopt);
  CHECK(cpus_from_cpu_max("-5 100000") == std::nullopt);
}

TEST_CASE("a cgroup v1 CFS quota gives the CPUs it allows; -1 is no limit") {
  CHECK(cpus_from_cfs("-1\n", "100000\n") == std::nullopt);
  CHECK(cpus_from_cfs("200000\n", "100000\n") == 2u);
  CHECK(cpus_from_cfs("250000", "100000") == 3u);
  CHECK(cpus_from_cfs("x", "100000") == std::nullopt);
}

TEST_CASE("usable_cpus is at least 1 and at most the machine's CPUs") {
  const unsigned n = usable_cpus();
  CHECK(n >= 1);
  CHECK(n <= std::max(1u, std::thread::hardware_concurrency()));
}
