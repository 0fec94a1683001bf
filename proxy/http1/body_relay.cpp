#include "proxy/http1/body_relay.h"

#include <array>
#include <charconv>

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "proxy/http1/worker.h"

namespace jwt_sidecar::proxy {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

// What a body parser may hold back unparsed while it waits for the rest of one framing
// element: a chunk-size line with its extensions, or the trailer section. Anything longer is
// refused as bad framing instead of being buffered without bound.
constexpr std::size_t kMaxPendingFraming = 64 * 1024;

awaitable<void> pump(ByteStream& from, ByteStream& to, std::chrono::milliseconds idle) {
  std::array<char, 16384> buf;
  while (true) {
    auto [ec, n] = co_await from.read_some(net::buffer(buf), deadline_in(idle));
    if (ec) break;
    auto [wec, wn] = co_await to.write(net::buffer(buf.data(), n), deadline_in(idle));
    if (wec) break;
  }
  co_await to.shutdown_send(deadline_in(idle));
}

}  // namespace

// Feeds buffered bytes to `parser` until it yields body bytes into [buf, buf + cap), or is
// done; reads from `in` when it needs more. `got` is the number of body bytes produced.
template <bool IsRequest>
awaitable<Relay> read_body_some(ByteStream& in, beast::flat_buffer& in_buffer,
                                http::parser<IsRequest, http::buffer_body>& parser, char* buf,
                                std::size_t cap, std::chrono::milliseconds timeout, std::size_t& got) {
  auto& body = parser.get().body();
  body.data = buf;
  body.size = cap;
  parser.eager(true);
  got = 0;
  while (true) {
    if (in_buffer.size() > 0) {
      error_code ec;
      const auto used = parser.put(in_buffer.data(), ec);
      in_buffer.consume(used);
      if (ec == http::error::need_buffer || ec == http::error::need_more) ec = {};  // buffer full / partial input
      if (ec == http::error::body_limit) co_return Relay::body_limit;
      if (ec) co_return Relay::bad_framing;
      got = cap - body.size;
      if (got > 0 || parser.is_done()) co_return Relay::ok;
      if (used > 0 && in_buffer.size() > 0) continue;  // framing consumed; more to parse
      // Whatever is still buffered is an incomplete framing element the parser cannot use.
      if (in_buffer.size() >= kMaxPendingFraming) co_return Relay::bad_framing;
    }
    auto [ec, n] = co_await in.read_some(in_buffer.prepare(kReadChunk), deadline_in(timeout));
    if (ec == net::error::eof && parser.need_eof()) {
      parser.put_eof(ec);  // a close-delimited body ends here
      if (ec) co_return Relay::read_failed;
      co_return Relay::ok;
    }
    if (ec == beast::error::timeout) co_return Relay::read_timeout;
    if (ec) co_return Relay::read_failed;
    in_buffer.commit(n);
  }
}

template awaitable<Relay> read_body_some<true>(ByteStream&, beast::flat_buffer&,
                                               http::parser<true, http::buffer_body>&, char*, std::size_t,
                                               std::chrono::milliseconds, std::size_t&);
template awaitable<Relay> read_body_some<false>(ByteStream&, beast::flat_buffer&,
                                                http::parser<false, http::buffer_body>&, char*, std::size_t,
                                                std::chrono::milliseconds, std::size_t&);

template <bool IsRequest>
awaitable<Relay> relay_body(ByteStream& in, beast::flat_buffer& in_buffer,
                            http::parser<IsRequest, http::buffer_body>& parser, ByteStream& out,
                            std::string_view head, bool chunked, std::chrono::milliseconds read_timeout,
                            std::chrono::milliseconds write_timeout, char* buf, std::uint64_t& bytes) {
  static constexpr std::string_view kLastChunk = "0\r\n\r\n";
  static constexpr std::string_view kChunkEnd = "\r\n";
  while (true) {
    std::size_t got = 0;
    if (!parser.is_done()) {
      const auto r = co_await read_body_some(in, in_buffer, parser, buf, kRelayBuffer, read_timeout, got);
      if (r != Relay::ok) co_return r;
    }
    const bool done = parser.is_done();
    std::array<net::const_buffer, 5> pieces;
    std::size_t count = 0;
    char size_line[20];
    if (!head.empty()) pieces[count++] = net::buffer(head);
    if (got > 0) {
      if (chunked) {
        auto* end = std::to_chars(size_line, size_line + 16, got, 16).ptr;
        *end++ = '\r';
        *end++ = '\n';
        pieces[count++] = net::buffer(size_line, static_cast<std::size_t>(end - size_line));
      }
      pieces[count++] = net::buffer(buf, got);
      if (chunked) pieces[count++] = net::buffer(kChunkEnd);
    }
    if (chunked && done) pieces[count++] = net::buffer(kLastChunk);
    if (count > 0) {
      auto [ec, n] = co_await out.write(std::span<const net::const_buffer>(pieces.data(), count),
                                        deadline_in(write_timeout));
      if (ec) co_return Relay::write_failed;
    }
    head = {};
    bytes += got;
    if (done) co_return Relay::ok;
  }
}

template awaitable<Relay> relay_body<true>(ByteStream&, beast::flat_buffer&, http::parser<true, http::buffer_body>&,
                                          ByteStream&, std::string_view, bool, std::chrono::milliseconds,
                                          std::chrono::milliseconds, char*, std::uint64_t&);
template awaitable<Relay> relay_body<false>(ByteStream&, beast::flat_buffer&, http::parser<false, http::buffer_body>&,
                                           ByteStream&, std::string_view, bool, std::chrono::milliseconds,
                                           std::chrono::milliseconds, char*, std::uint64_t&);

awaitable<void> tunnel(ByteStream& client, beast::flat_buffer& client_buffer, UpstreamConnection& upstream,
                       std::chrono::milliseconds idle) {
  if (client_buffer.size() > 0) {
    auto [ec, n] = co_await upstream.stream->write(client_buffer.data(), deadline_in(idle));
    if (ec) co_return;
    client_buffer.consume(n);
  }
  if (upstream.buffer.size() > 0) {
    auto [ec, n] = co_await client.write(upstream.buffer.data(), deadline_in(idle));
    if (ec) co_return;
    upstream.buffer.consume(n);
  }
  co_await (pump(client, *upstream.stream, idle) && pump(*upstream.stream, client, idle));
}

void refuse_control_in_chunk_extension(std::uint64_t, std::string_view extensions, error_code& ec) {
  for (const char ch : extensions) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      ec = http::error::bad_chunk_extension;
      return;
    }
  }
}

}  // namespace jwt_sidecar::proxy
