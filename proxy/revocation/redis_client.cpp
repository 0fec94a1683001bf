#include "proxy/revocation/redis_client.h"

#include <hiredis/hiredis.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fstream>
#include <sstream>

#include "proxy/io/connect.h"
#include "proxy/io/tls.h"

namespace jwt_sidecar::proxy {
namespace {

// Far above a list of 100,000 entries (about 10 MiB as a reply); a server sending more is
// treated as broken rather than buffered without end.
constexpr std::size_t kMaxReplyBytes = 256u << 20;
constexpr std::size_t kReadChunk = 64u << 10;

RedisReply convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING: out.type = RedisReply::Type::string; break;
    case REDIS_REPLY_ARRAY: out.type = RedisReply::Type::array; break;
    case REDIS_REPLY_INTEGER: out.type = RedisReply::Type::integer; break;
    case REDIS_REPLY_STATUS: out.type = RedisReply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = RedisReply::Type::error; break;
    default: out.type = RedisReply::Type::nil; break;
  }
  if (r.str && (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)) {
    out.str.assign(r.str, r.len);
  }
  out.integer = r.integer;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(convert(*r.element[i]));
  }
  return out;
}

std::string io_error(std::string_view what, const error_code& ec) {
  if (ec == beast::error::timeout) return std::string(what) + ": timed out";
  return std::string(what) + ": " + ec.message();
}

}  // namespace

struct RedisClient::Impl {
  std::unique_ptr<ByteStream> stream;
  redisReader* reader = redisReaderCreate();
  std::size_t pending_bytes = 0;  // fed to the reader since the last complete reply
  std::unique_ptr<char[]> buffer = std::make_unique<char[]>(kReadChunk);
  ~Impl() {
    if (reader) redisReaderFree(reader);
  }
};

RedisClient::RedisClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RedisClient::~RedisClient() = default;

void RedisClient::close() {
  if (impl_->stream) {
    error_code ec;
    impl_->stream->socket().close(ec);
  }
}

awaitable<std::string> RedisClient::send(const std::vector<std::string>& args, Deadline deadline) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int n = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (n < 0 || !cmd) co_return "cannot format the command";
  const std::string bytes(cmd, static_cast<std::size_t>(n));
  redisFreeCommand(cmd);
  auto [ec, written] = co_await impl_->stream->write(net::buffer(bytes), deadline);
  if (ec) co_return io_error("writing to Redis", ec);
  co_return "";
}

awaitable<RedisResult> RedisClient::read(Deadline deadline) {
  RedisResult result;
  auto& impl = *impl_;
  while (true) {
    void* raw = nullptr;
    if (redisReaderGetReply(impl.reader, &raw) != REDIS_OK) {
      result.error = std::string("Redis sent a malformed reply: ") + impl.reader->errstr;
      co_return result;
    }
    if (raw) {
      auto* reply = static_cast<redisReply*>(raw);
      result.reply = convert(*reply);
      freeReplyObject(reply);
      impl.pending_bytes = 0;
      if (result.reply.type == RedisReply::Type::error) result.error = "Redis answered: " + result.reply.str;
      co_return result;
    }
    if (impl.pending_bytes > kMaxReplyBytes) {
      result.error = "Redis sent a reply larger than 256 MiB";
      co_return result;
    }
    auto [ec, n] = co_await impl.stream->read_some(net::buffer(impl.buffer.get(), kReadChunk), deadline);
    if (ec) {
      result.error = ec == net::error::eof ? std::string("Redis closed the connection") : io_error("reading from Redis", ec);
      co_return result;
    }
    redisReaderFeed(impl.reader, impl.buffer.get(), n);
    impl.pending_bytes += n;
  }
}

awaitable<RedisResult> RedisClient::command(const std::vector<std::string>& args, Deadline deadline) {
  if (auto error = co_await send(args, deadline); !error.empty()) co_return RedisResult{std::move(error), {}};
  co_return co_await read(deadline);
}

awaitable<std::unique_ptr<RedisClient>> RedisClient::open(const config::RedisSource& source,
                                                          std::shared_ptr<SslContext> tls,
                                                          const std::string& password, Deadline deadline,
                                                          std::string& error) {
  const std::string where = source.host + ":" + std::to_string(source.port);
  if (source.tls && !tls) {
    error = "rediss:// needs a TLS context";
    co_return nullptr;
  }
  // Every argument made before the co_await: GCC 12 releases a shared_ptr made by ?: inside
  // a co_await expression twice (ASan: use after free).
  std::shared_ptr<SslContext> context;
  if (source.tls) context = tls;
  const std::string port = std::to_string(source.port);
  auto c = co_await connect_stream(source.host, port, std::move(context), source.host, deadline);
  if (c.failure != Connected::Failure::none) {
    error = (c.failure == Connected::Failure::tls ? "TLS handshake with Redis at " : "cannot connect to Redis at ") +
            where + ": " + (c.failure == Connected::Failure::timeout ? std::string("timed out") : c.ec.message());
    co_return nullptr;
  }
  // Keepalive probes notice a Redis that vanished without closing (a partitioned node) within
  // about half a minute, so a subscriber waiting for messages does not wait for ever.
  error_code ec;
  c.stream->socket().set_option(net::socket_base::keep_alive(true), ec);
  const int idle = 10, interval = 5, count = 3;
  ::setsockopt(c.stream->socket().native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(c.stream->socket().native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(c.stream->socket().native_handle(), IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);

  auto impl = std::make_unique<Impl>();
  impl->stream = std::move(c.stream);
  std::unique_ptr<RedisClient> client(new RedisClient(std::move(impl)));
  if (!password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (source.username) auth.push_back(*source.username);
    auth.push_back(password);
    auto r = co_await client->command(auth, deadline);
    if (!r.ok()) {
      // Redis's answer ("WRONGPASS invalid username-password pair ...") never repeats the
      // password; scrub it anyway, whatever a proxy in between might echo.
      for (auto at = r.error.find(password); at != std::string::npos; at = r.error.find(password)) {
        r.error.replace(at, password.size(), "<password>");
      }
      error = "authentication to Redis at " + where + " failed: " + r.error;
      co_return nullptr;
    }
  }
  if (source.db != 0) {
    // A named vector: GCC 12 cannot keep an initializer list alive across co_await.
    const std::vector<std::string> select{"SELECT", std::to_string(source.db)};
    auto r = co_await client->command(select, deadline);
    if (!r.ok()) {
      error = "selecting database " + std::to_string(source.db) + " on Redis at " + where + " failed: " + r.error;
      co_return nullptr;
    }
  }
  co_return client;
}

std::shared_ptr<SslContext> make_redis_tls(const config::RedisSource& source, std::string& error) {
  config::ClientTls tls;
  if (source.ca_file) tls.ca_file = *source.ca_file;
  return make_client_tls(tls, error);
}

std::string read_password_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read password_file " + path;
    return "";
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string password = text.str();
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
  if (password.empty()) error = "password_file " + path + " is empty";
  return password;
}

}  // namespace jwt_sidecar::proxy
