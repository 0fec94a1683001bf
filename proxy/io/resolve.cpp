#include "proxy/io/resolve.h"

#include <memory>

namespace jwt_sidecar::proxy {

awaitable<Resolved> resolve_until(const std::string& host, const std::string& port, Deadline deadline) {
  auto ex = co_await net::this_coro::executor;
  // Shared with the timer's handler, which may run after this coroutine has returned (the
  // timer fired just as the lookup completed).
  struct Lookup {
    explicit Lookup(const net::any_io_executor& e) : resolver(e) {}
    tcp::resolver resolver;
    bool timed_out = false;
  };
  auto lookup = std::make_shared<Lookup>(ex);
  net::steady_timer timer(ex, deadline);
  timer.async_wait([lookup](const error_code& ec) {
    if (ec) return;  // cancelled: the lookup finished first
    lookup->timed_out = true;
    lookup->resolver.cancel();  // the lookup completes with operation_aborted
  });
  auto [ec, endpoints] = co_await lookup->resolver.async_resolve(host, port, use_tuple);
  timer.cancel();
  if (lookup->timed_out) co_return Resolved{beast::error::timeout, {}};
  co_return Resolved{ec, std::move(endpoints)};
}

}  // namespace jwt_sidecar::proxy
