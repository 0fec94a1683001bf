// A Redis connection: Asio does the I/O (plain or TLS, with deadlines), hiredis (a maintained
// implementation of the protocol) formats the commands and parses the replies. Used by the
// revocation source that follows a shared list and by `jwt-sidecar revoke`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

struct RedisReply {
  enum class Type : std::uint8_t { string, array, integer, nil, status, error };
  Type type = Type::nil;
  std::string str;  // string, status, error
  long long integer = 0;
  std::vector<RedisReply> elements;
};

// A failed operation says what went wrong in words that never contain the password.
struct RedisResult {
  std::string error;  // "" on success
  RedisReply reply;
  bool ok() const { return error.empty(); }
};

class RedisClient {
 public:
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Connects, authenticates (AUTH [username] password) when `password` is set, and selects the
  // database. `tls` is required for rediss:// (see make_redis_tls). Null with `error` set on
  // failure.
  static awaitable<std::unique_ptr<RedisClient>> open(const config::RedisSource& source,
                                                      std::shared_ptr<SslContext> tls,
                                                      const std::string& password, Deadline deadline,
                                                      std::string& error);

  // Sends one command and reads its reply. A Redis error reply is a RedisResult error too.
  awaitable<RedisResult> command(const std::vector<std::string>& args, Deadline deadline);
  // Sends without reading (a subscriber's SUBSCRIBE), then read() each reply or message.
  awaitable<std::string> send(const std::vector<std::string>& args, Deadline deadline);
  awaitable<RedisResult> read(Deadline deadline);

  // Closes the socket: a read or command in progress completes with an error.
  void close();

 private:
  struct Impl;
  explicit RedisClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The TLS context for rediss:// (the system CAs plus `ca_file`), or null with `error`.
std::shared_ptr<SslContext> make_redis_tls(const config::RedisSource& source, std::string& error);

// The password in `password_file` without its trailing newline; "" with `error` set when it
// cannot be read. The error names the file, never its contents.
std::string read_password_file(const std::string& path, std::string& error);

}  // namespace jwt_sidecar::proxy
