// LogSink against a real pipe: every line arrives whole and in its thread's order, idle lines
// are written without more traffic, and a reader that stops reading costs dropped lines, never
// a blocked caller.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proxy/observability/log_sink.h"

using jwt_sidecar::proxy::LogSink;

namespace {

struct Pipe {
  int read_end = -1, write_end = -1;
  Pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    ::close(read_end);
    ::close(write_end);
  }
  // Reads until `bytes` have arrived or nothing comes for `quiet`; returns what was read.
  std::string read_until(std::size_t bytes, int quiet_ms) const {
    std::string got;
    char buf[65536];
    while (got.size() < bytes) {
      pollfd p{read_end, POLLIN, 0};
      if (::poll(&p, 1, quiet_ms) <= 0) break;
      const auto n = ::read(read_end, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
};

}  // namespace

TEST_CASE("log sink: lines from several threads arrive whole, each thread's in order", "[log]") {
  Pipe pipe;
  std::atomic<int> fd{pipe.write_end};
  const int kThreads = 4, kLines = 2000;
  std::size_t expected_bytes = 0;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kLines; ++i) expected_bytes += ("t" + std::to_string(t) + " " + std::to_string(i) + "\n").size();
  std::string got;
  std::thread reader([&] { got = pipe.read_until(expected_bytes, 10000); });
  {
    LogSink sink(fd);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          CHECK(sink.push("t" + std::to_string(t) + " " + std::to_string(i) + "\n", true));
        }
      });
    }
    for (auto& th : threads) th.join();  // these threads end with lines still queued
    CHECK(sink.finish(std::chrono::seconds(10)));
  }
  reader.join();
  REQUIRE(got.size() == expected_bytes);
  std::map<int, int> next;  // thread -> the line number it must show next
  std::istringstream in(got);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    int t = -1, i = -1;
    REQUIRE(std::sscanf(line.c_str(), "t%d %d", &t, &i) == 2);
    CHECK(i == next[t]);
    next[t] = i + 1;
    ++count;
  }
  CHECK(count == kThreads * kLines);
}

TEST_CASE("log sink: a line on an idle sink is written without further traffic", "[log]") {
  Pipe pipe;
  std::atomic<int> fd{pipe.write_end};
  LogSink sink(fd);
  for (int round = 0; round < 3; ++round) {  // idle again between rounds
    const std::string line = "access " + std::to_string(round) + "\n";
    REQUIRE(sink.push(line, true));
    CHECK(pipe.read_until(line.size(), 10000) == line);
  }
  REQUIRE(sink.push("operational\n", false));
  CHECK(pipe.read_until(12, 10000) == "operational\n");
}

TEST_CASE("log sink: a reader that stops reading costs dropped access lines, never a blocked caller", "[log]") {
  Pipe pipe;  // 64 KiB of pipe buffer, then every write(2) blocks
  std::atomic<int> fd{pipe.write_end};
  LogSink sink(fd);
  const std::string line(199, 'x');
  std::size_t accepted = 0, refused = 0;
  // Far more than the pipe, the writer's batch and this thread's batch hold together: the
  // writer blocks in write(2), this thread's batch fills up, and the rest is refused at once.
  for (std::size_t i = 0; i < 8 * LogSink::kThreadCap / 200; ++i) {
    if (sink.push(line + "\n", true)) {
      ++accepted;
    } else {
      ++refused;
    }
  }
  CHECK(refused > 0);
  CHECK(accepted * 200 <= 2 * LogSink::kThreadCap + (64u << 10) + 200);
  // The reader comes back: everything accepted is written, nothing refused is.
  std::string got;
  std::thread reader([&] { got = pipe.read_until(accepted * 200, 10000); });
  CHECK(sink.finish(std::chrono::seconds(10)));
  reader.join();
  CHECK(got.size() == accepted * 200);
}
