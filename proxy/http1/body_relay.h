// Message bodies between two streams: request bodies client -> upstream, response bodies
// upstream -> client, through one fixed buffer, re-chunked when needed; and the byte tunnel
// after a WebSocket upgrade.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/http1/upstream_pool.h"
#include "proxy/io/net.h"
#include "proxy/io/stream.h"

namespace jwt_sidecar::proxy {

// Reads into a connection's buffer take at most this much at a time.
inline constexpr std::size_t kReadChunk = 16 * 1024;

enum class Relay { ok, read_failed, read_timeout, body_limit, bad_framing, write_failed };

// Moves one message body from `in` to `out` through `buf` (kRelayBuffer bytes), writing `head`
// (the rendered header, possibly empty) together with the first piece of body, and re-framing
// the body as chunks when `chunked` is set. Instantiated for requests and responses.
template <bool IsRequest>
awaitable<Relay> relay_body(ByteStream& in, beast::flat_buffer& in_buffer,
                            http::parser<IsRequest, http::buffer_body>& parser, ByteStream& out,
                            std::string_view head, bool chunked, std::chrono::milliseconds read_timeout,
                            std::chrono::milliseconds write_timeout, char* buf, std::uint64_t& bytes);

// Feeds buffered bytes to `parser` until it yields body bytes into [buf, buf + cap), or is
// done; reads from `in` when it needs more. `got` is the number of body bytes produced.
// (Instantiated for responses; relay_body uses it for both directions.)
template <bool IsRequest>
awaitable<Relay> read_body_some(ByteStream& in, beast::flat_buffer& in_buffer,
                                http::parser<IsRequest, http::buffer_body>& parser, char* buf,
                                std::size_t cap, std::chrono::milliseconds timeout, std::size_t& got);

// After a 101: bytes both ways until either side closes or both go quiet.
awaitable<void> tunnel(ByteStream& client, beast::flat_buffer& client_buffer, UpstreamConnection& upstream,
                       std::chrono::milliseconds idle);

// RFC 9112 7.1.1: a chunk extension is token or quoted-string, and neither may hold CR, LF or
// another control byte. Beast 1.81 reads a quoted value past a bare LF (the line ends only at
// CRLF), so `1;a="<LF>"` would parse: the extension text is checked here instead.
void refuse_control_in_chunk_extension(std::uint64_t size, std::string_view extensions, error_code& ec);

}  // namespace jwt_sidecar::proxy
