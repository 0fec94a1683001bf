#include "proxy/observability/log_sink.h"

#include <unistd.h>

#include <cerrno>

namespace jwt_sidecar::proxy {
namespace {

std::atomic<std::uint64_t> next_sink_id{1};

// The calling thread's batch and the sink it belongs to. When the thread ends, its batch is
// marked retired; the sink still holds it until its last lines are written.
struct ThreadBatch {
  std::uint64_t sink_id = 0;
  std::shared_ptr<LogSink::Batch> batch;
  ~ThreadBatch() {
    if (batch) batch->retired.store(true, std::memory_order_release);
  }
};
thread_local ThreadBatch this_thread;

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

LogSink::LogSink(const std::atomic<int>& fd) : fd_(fd), id_(next_sink_id.fetch_add(1)), writer_([this] { run(); }) {}

LogSink::~LogSink() { finish(std::chrono::seconds(2)); }

LogSink::Batch& LogSink::this_thread_batch() {
  if (this_thread.sink_id != id_) {
    if (this_thread.batch) this_thread.batch->retired.store(true, std::memory_order_release);
    this_thread.batch = std::make_shared<Batch>();
    this_thread.sink_id = id_;
    std::lock_guard lock(batches_mu_);
    batches_.push_back(this_thread.batch);
  }
  return *this_thread.batch;
}

bool LogSink::push(std::string_view line, bool droppable) {
  Batch& b = this_thread_batch();
  bool full = false;
  {
    std::lock_guard lock(b.mu);
    if (droppable && b.lines.size() + line.size() > kThreadCap) return false;
    const bool was_below = b.lines.size() < kFlushBytes;
    b.lines.append(line);
    full = was_below && b.lines.size() >= kFlushBytes;
  }
  // The writer reads idle_ after its last look at the batches and looks once more after setting
  // it (see run), so a line appended here is either seen there or wakes it here.
  if (!droppable || full) {
    wake(true);
  } else if (idle_.load() && idle_.exchange(false)) {
    wake(false);
  }
  return true;
}

void LogSink::wake(bool urgent) {
  {
    std::lock_guard lock(mu_);
    (urgent ? urgent_ : woken_) = true;
  }
  wake_.notify_one();
}

bool LogSink::finish(std::chrono::milliseconds patience) {
  if (!writer_.joinable()) return true;
  std::unique_lock lock(mu_);
  stopping_ = true;
  wake_.notify_one();
  if (!finished_.wait_for(lock, patience, [&] { return done_; })) {
    writer_.detach();
    return false;
  }
  lock.unlock();
  writer_.join();
  return true;
}

bool LogSink::anything_queued() {
  std::lock_guard lock(batches_mu_);
  for (const auto& b : batches_) {
    std::lock_guard batch_lock(b->mu);
    if (!b->lines.empty()) return true;
  }
  return false;
}

// Moves every thread's lines into `out` (one lock per batch, held for a copy) and writes them
// with one write(2); batches of threads that have ended are dropped once empty.
void LogSink::write_batches(std::string& out) {
  {
    std::lock_guard lock(batches_mu_);
    for (auto it = batches_.begin(); it != batches_.end();) {
      Batch& b = **it;
      const bool retired = b.retired.load(std::memory_order_acquire);
      {
        std::lock_guard batch_lock(b.mu);
        out.append(b.lines);
        b.lines.clear();
        if (b.lines.capacity() > kFlushBytes * 2) b.lines.shrink_to_fit();
      }
      it = retired ? batches_.erase(it) : it + 1;
    }
  }
  if (!out.empty()) write_all(fd_.load(std::memory_order_relaxed), out);
  out.clear();
  if (out.capacity() > kThreadCap) out.shrink_to_fit();
}

// Idle (nothing was queued after the last write): sleep until a line arrives. Busy: sleep one
// interval, or less when a line is urgent, then write everything gathered.
void LogSink::run() {
  std::string out;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    idle_.store(true);
    lock.unlock();
    const bool queued = anything_queued();
    lock.lock();
    if (!queued) wake_.wait(lock, [&] { return woken_ || urgent_ || stopping_; });
    idle_.store(false);
    woken_ = false;
    wake_.wait_for(lock, kFlushInterval, [&] { return urgent_ || stopping_; });
    urgent_ = false;
    lock.unlock();
    write_batches(out);
    lock.lock();
  }
  lock.unlock();
  write_batches(out);  // what came before finish()
  lock.lock();
  done_ = true;
  finished_.notify_all();
}

}  // namespace jwt_sidecar::proxy
