#include "proxy/stream.h"

namespace jwt_sidecar::proxy {

awaitable<IoResult> ByteStream::write(net::const_buffer buffer, Deadline deadline) {
  co_return co_await write(std::span<const net::const_buffer>(&buffer, 1), deadline);
}

awaitable<IoResult> TcpByteStream::read_some(net::mutable_buffer buffer, Deadline deadline) {
  stream_.expires_at(deadline);
  co_return co_await stream_.async_read_some(buffer, use_tuple);
}

awaitable<IoResult> TcpByteStream::write(std::span<const net::const_buffer> buffers, Deadline deadline) {
  stream_.expires_at(deadline);
  co_return co_await net::async_write(stream_, buffers, use_tuple);
}

awaitable<void> TcpByteStream::shutdown_send(Deadline) {
  error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  co_return;
}

}  // namespace jwt_sidecar::proxy
