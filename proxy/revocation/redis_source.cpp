// The Redis source: the list shared by every replica. One connection subscribes to the change
// channel (and to keyspace notifications of the hash, for servers that have them on), another
// reads the whole hash: at start, on every reconnect, after every announced change (changes
// arriving during a read are folded into the next one) and every resync_interval. While the
// subscription is up the list is current; when it drops, the list ages from that moment
// (max_stale) and the source reconnects with backoff. Nothing here ever blocks a request.
#include <random>

#include "config/revocation_list.h"
#include "proxy/observability/log.h"
#include "proxy/observability/metrics.h"
#include "proxy/revocation/list_source.h"
#include "proxy/revocation/redis_client.h"
#include "proxy/runtime/clock.h"

namespace jwt_sidecar::proxy {
namespace {

constexpr auto kIoTimeout = std::chrono::seconds(5);
constexpr auto kFirstBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::seconds(5);

class RedisSource : public ListSource, public std::enable_shared_from_this<RedisSource> {
 public:
  RedisSource(net::io_context& ioc, config::RedisSource cfg, std::shared_ptr<policies::Revocation> state,
              std::size_t index)
      : ioc_(ioc), cfg_(std::move(cfg)), state_(std::move(state)), index_(index), wake_(ioc) {}

  void start() override {
    net::co_spawn(ioc_, run(shared_from_this()), net::detached);
  }
  void reread() override {
    changed_ = true;
    wake_.cancel();
  }
  void stop() override {
    stopped_ = true;
    if (sub_) sub_->close();
    if (cmd_) cmd_->close();
    wake_.cancel();
  }

 private:
  static awaitable<void> run(std::shared_ptr<RedisSource> self) { co_await self->loop(); }

  awaitable<void> loop() {
    auto backoff = kFirstBackoff;
    std::minstd_rand jitter(std::random_device{}());
    while (!stopped_) {
      const std::string error = co_await session();
      if (stopped_) break;
      state_->set_live(index_, false, unix_seconds());
      Metrics::instance().revocation_sync_failure("redis");
      if (error != last_error_ || ++repeats_ % 50 == 0) {
        log_warn(state_->synced_at(index_) >= 0 ? "revocation list from Redis unavailable; the last list applies for max_stale"
                                                : "revocation list from Redis unavailable; authenticated routes answer 503",
                 {{"source", "redis"}, {"url", cfg_.url}, {"error", error}});
        last_error_ = error;
      }
      if (had_session_) backoff = kFirstBackoff;
      had_session_ = false;
      // Full jitter within [backoff/2, backoff], so replicas that lost Redis together do not
      // come back together.
      const auto ms = backoff.count() / 2 + static_cast<long>(jitter() % static_cast<unsigned>(backoff.count() / 2 + 1));
      wake_.expires_after(std::chrono::milliseconds(ms));
      co_await wake_.async_wait(use_tuple);
      backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::milliseconds>(kMaxBackoff));
    }
    state_->set_live(index_, false, unix_seconds());
  }

  // One connected period: returns why it ended.
  awaitable<std::string> session() {
    std::string error;
    std::string password;
    if (cfg_.password_file) {
      password = read_password_file(*cfg_.password_file, error);
      if (!error.empty()) co_return error;
    }
    std::shared_ptr<SslContext> tls;
    if (cfg_.tls) {
      tls = make_redis_tls(cfg_, error);
      if (!tls) co_return error;
    }
    // Subscribe first: a change made while the hash is read is then announced to us too.
    auto sub = co_await RedisClient::open(cfg_, tls, password, deadline_in(kIoTimeout), error);
    if (!sub) co_return error;
    sub_ = std::shared_ptr<RedisClient>(std::move(sub));
    const auto channels = subscriptions();
    std::vector<std::string> subscribe{"SUBSCRIBE"};
    subscribe.insert(subscribe.end(), channels.begin(), channels.end());
    if (error = co_await sub_->send(subscribe, deadline_in(kIoTimeout)); !error.empty()) co_return end(error);
    for (std::size_t i = 0; i < channels.size(); ++i) {
      auto r = co_await sub_->read(deadline_in(kIoTimeout));
      if (!r.ok()) co_return end("subscribing: " + r.error);
    }
    auto cmd = co_await RedisClient::open(cfg_, tls, password, deadline_in(kIoTimeout), error);
    if (!cmd) co_return end(error);
    cmd_ = std::shared_ptr<RedisClient>(std::move(cmd));
    broken_.clear();
    net::co_spawn(ioc_, listen(shared_from_this(), sub_), net::detached);
    changed_ = true;  // the first full read
    while (!stopped_) {
      if (!broken_.empty()) co_return end(broken_);
      if (changed_) {
        changed_ = false;
        if (error = co_await read_all(); !error.empty()) co_return end(error);
        continue;
      }
      wake_.expires_after(cfg_.resync_interval);
      auto [ec] = co_await wake_.async_wait(use_tuple);
      if (!ec) changed_ = true;  // resync_interval passed: read everything again
    }
    co_return end("stopped");
  }

  std::vector<std::string> subscriptions() const {
    return {config::revocation_channel(cfg_.key_prefix),
            "__keyspace@" + std::to_string(cfg_.db) + "__:" + config::revocation_hash_key(cfg_.key_prefix)};
  }

  std::string end(std::string error) {
    if (sub_) sub_->close();
    if (cmd_) cmd_->close();
    sub_.reset();
    cmd_.reset();
    return error;
  }

  // Reads the subscriber's messages until it fails; any message means "read again".
  static awaitable<void> listen(std::shared_ptr<RedisSource> self, std::shared_ptr<RedisClient> sub) {
    while (!self->stopped_) {
      auto r = co_await sub->read(Deadline::max());
      if (!r.ok()) {
        if (self->sub_ == sub) {
          self->broken_ = "subscription: " + r.error;
          self->wake_.cancel();
        }
        co_return;
      }
      if (self->sub_ != sub) co_return;
      self->changed_ = true;
      self->wake_.cancel();
    }
  }

  awaitable<std::string> read_all() {
    const auto key = config::revocation_hash_key(cfg_.key_prefix);
    const std::vector<std::string> hgetall{"HGETALL", key};  // named: see redis_client.cpp
    auto r = co_await cmd_->command(hgetall, deadline_in(kIoTimeout * 6));
    if (!r.ok()) co_return "reading " + key + ": " + r.error;
    if (r.reply.type != RedisReply::Type::array || r.reply.elements.size() % 2 != 0) {
      co_return "reading " + key + ": not a hash (see docs/revocation.md for the data model)";
    }
    std::vector<config::RevocationEntry> entries;
    entries.reserve(r.reply.elements.size() / 2);
    std::size_t skipped = 0;
    std::string first_problem;
    for (std::size_t i = 0; i + 1 < r.reply.elements.size(); i += 2) {
      config::RevocationEntry e;
      const auto problem = config::parse_revocation_field(r.reply.elements[i].str, r.reply.elements[i + 1].str, e);
      if (problem.empty()) {
        entries.push_back(std::move(e));
      } else if (skipped++ == 0) {
        first_problem = problem;
      }
    }
    const auto snapshot = std::make_shared<const policies::RevocationSnapshot>(entries);
    const bool first = state_->synced_at(index_) < 0 || !had_session_;
    state_->publish(index_, snapshot, unix_seconds());
    state_->set_live(index_, true, unix_seconds());
    if (skipped) {
      // Field names are entries (issuers and ids), not secrets; still, only the rule is logged.
      log_warn("revocation entries in Redis skipped", {{"source", "redis"}, {"skipped", skipped}, {"error", first_problem}});
    }
    if (first) {
      log_info("revocation list read", {{"source", "redis"}, {"url", cfg_.url}, {"entries", snapshot->size()}});
      last_error_.clear();
      repeats_ = 0;
    }
    had_session_ = true;
    co_return "";
  }

  net::io_context& ioc_;
  config::RedisSource cfg_;
  std::shared_ptr<policies::Revocation> state_;
  std::size_t index_;
  net::steady_timer wake_;  // the one thing loop() waits on: backoff, resync, or a change
  std::shared_ptr<RedisClient> sub_, cmd_;
  bool stopped_ = false;
  bool changed_ = false;
  bool had_session_ = false;
  std::string broken_;
  std::string last_error_;
  unsigned repeats_ = 0;
};

}  // namespace

std::shared_ptr<ListSource> make_redis_source(net::io_context& ioc, config::RedisSource source,
                                              std::shared_ptr<policies::Revocation> state, std::size_t index) {
  return std::make_shared<RedisSource>(ioc, std::move(source), std::move(state), index);
}

}  // namespace jwt_sidecar::proxy
