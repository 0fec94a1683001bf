#include "proxy/io/resolve.h"

#include <netdb.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace jwt_sidecar::proxy {
namespace {

// getaddrinfo() cannot be interrupted, and Asio's resolver runs every lookup of an io_context
// on one private thread that its shutdown joins: one lookup that never returns would hold up
// every later one and the process's exit. So each lookup runs on a detached thread of its own
// and the caller waits on a timer that either the deadline or the answer ends. A lookup the
// caller stopped waiting for finishes (or hangs) on its own and is dropped.
constexpr int kMaxLookupsInFlight = 64;
std::atomic<int> lookups_in_flight{0};

error_code lookup_error(int rc) {
  switch (rc) {
    case EAI_NONAME: return net::error::host_not_found;
    case EAI_AGAIN: return net::error::host_not_found_try_again;
    case EAI_SERVICE: return net::error::service_not_found;
    case EAI_MEMORY: return net::error::no_memory;
    default: return net::error::no_recovery;
  }
}

// What the lookup thread shares with the waiting coroutine. It holds no I/O object: the last
// reference may go on the lookup thread, long after the io_context is gone.
struct Lookup {
  explicit Lookup(net::any_io_executor ex) : executor(std::move(ex)) {}
  net::any_io_executor executor;
  std::mutex mu;
  bool abandoned = false;  // the caller stopped waiting (returned, or its frame was destroyed)
  // In the caller's frame; used on the caller's executor only, and only while not abandoned.
  net::steady_timer* wake = nullptr;
  std::optional<Resolved>* answer = nullptr;
};

void run_lookup(const std::shared_ptr<Lookup>& lookup, const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &list);
  Resolved r;
  if (rc == 0) {
    r.endpoints = tcp::resolver::results_type::create(list, host, port);
    freeaddrinfo(list);
  } else {
    r.ec = lookup_error(rc);
  }
  lookups_in_flight.fetch_sub(1, std::memory_order_relaxed);
  // Posted under the lock: a caller still waiting cannot be destroyed meanwhile, so its
  // io_context still exists.
  std::lock_guard lock(lookup->mu);
  if (lookup->abandoned) return;
  net::post(lookup->executor, [lookup, r = std::move(r)]() mutable {
    if (lookup->abandoned) return;  // set on this same executor
    *lookup->answer = std::move(r);
    lookup->wake->cancel();
  });
}

}  // namespace

awaitable<Resolved> resolve_until(const std::string& host, const std::string& port, Deadline deadline) {
  // An address literal needs no lookup.
  error_code aec;
  const auto address = net::ip::make_address(host, aec);
  if (!aec) {
    unsigned long number = 0;
    const auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec == std::errc() && p == port.data() + port.size() && number <= 65535) {
      co_return Resolved{{}, tcp::resolver::results_type::create(
                                 tcp::endpoint(address, static_cast<unsigned short>(number)), host, port)};
    }
  }
  if (lookups_in_flight.fetch_add(1, std::memory_order_relaxed) >= kMaxLookupsInFlight) {
    lookups_in_flight.fetch_sub(1, std::memory_order_relaxed);
    co_return Resolved{net::error::host_not_found_try_again, {}};  // the resolver is not answering
  }
  const auto ex = co_await net::this_coro::executor;
  net::steady_timer wake(ex, deadline);
  std::optional<Resolved> answer;
  auto lookup = std::make_shared<Lookup>(ex);
  lookup->wake = &wake;
  lookup->answer = &answer;
  // Marks the lookup abandoned however this frame ends (returned, or destroyed at shutdown).
  struct Abandon {
    Lookup& l;
    ~Abandon() {
      std::lock_guard lock(l.mu);
      l.abandoned = true;
    }
  } abandon{*lookup};
  try {
    std::thread(run_lookup, lookup, host, port).detach();
  } catch (const std::system_error&) {
    lookups_in_flight.fetch_sub(1, std::memory_order_relaxed);
    co_return Resolved{net::error::no_memory, {}};
  }
  co_await wake.async_wait(use_tuple);
  if (answer) co_return std::move(*answer);
  co_return Resolved{beast::error::timeout, {}};
}

}  // namespace jwt_sidecar::proxy
