// One way to open a client connection: resolve with the deadline, connect to the first
// endpoint that answers, and for TLS shake hands, checking the certificate against
// `server_name`. The upstream pool and the Redis client use it.
#pragma once

#include <memory>
#include <string>

#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

struct Connected {
  enum class Failure { none, timeout, unreachable, tls };
  std::unique_ptr<ByteStream> stream;  // set when failure == none
  Failure failure = Failure::none;
  error_code ec;                       // what failed, for messages
};

// `tls` null: plain TCP. TCP_NODELAY is set on the socket.
awaitable<Connected> connect_stream(const std::string& host, const std::string& port,
                                    std::shared_ptr<SslContext> tls, const std::string& server_name,
                                    Deadline deadline);

}  // namespace jwt_sidecar::proxy
