// Where finished log lines go: each thread appends to its own batch, and one writer thread
// collects every batch about kFlushInterval apart and writes it to the log's file descriptor.
// A worker therefore never blocks on stdout, never contends with the other workers for a
// lock, and wakes the writer rarely (a wake-up costs a futex call and two context switches,
// more than formatting a line).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace jwt_sidecar::proxy {

class LogSink {
 public:
  // Per-thread limits. A batch holding kFlushBytes wakes the writer at once; past kThreadCap,
  // droppable lines are refused (the caller counts them).
  static constexpr std::size_t kThreadCap = 1u << 20;
  static constexpr std::size_t kFlushBytes = 128u << 10;
  static constexpr auto kFlushInterval = std::chrono::milliseconds(25);

  // `fd` is read at each write, so the log can be pointed elsewhere while running.
  explicit LogSink(const std::atomic<int>& fd);
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  // Appends a whole line (with its newline) to the calling thread's batch. A droppable line
  // (an access line) is refused, returning false, when that batch is full: stdout is slower
  // than the traffic. Other lines are rare, always kept, and written at once.
  bool push(std::string_view line, bool droppable);

  // Writes what is queued and stops the writer; true when it finished within `patience`. A
  // reader that never reads (a stalled pipe) must not keep the process from exiting: the
  // writer is then left blocked in write(2) and detached, and the caller must leak the sink.
  bool finish(std::chrono::milliseconds patience);

  // One thread's lines. Shared by that thread and the writer; a thread that ends marks its
  // batch retired, and the writer forgets it once it has written what it held.
  struct Batch {
    std::mutex mu;
    std::string lines;
    std::atomic<bool> retired{false};
  };

 private:
  Batch& this_thread_batch();
  void wake(bool urgent);
  void run();
  bool anything_queued();
  void write_batches(std::string& out);

  const std::atomic<int>& fd_;
  const std::uint64_t id_;  // tells a thread's batch for this sink from one for an earlier sink
  std::mutex batches_mu_;
  std::vector<std::shared_ptr<Batch>> batches_;

  std::mutex mu_;  // guards the flags below and the condition variables
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::atomic<bool> idle_{false};  // the writer sleeps without a deadline
  bool woken_ = false;             // a line arrived while it was idle: gather one interval
  bool urgent_ = false;            // write now: an operational line, or a full batch
  bool stopping_ = false;
  bool done_ = false;
  std::thread writer_;  // last: starts once the members above exist
};

}  // namespace jwt_sidecar::proxy
