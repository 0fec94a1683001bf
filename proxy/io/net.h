// Namespace aliases and the Boost.Asio/Beast includes for proxy/*.cpp. Never include this
// from a header that non-proxy code sees: Beast is slow to compile.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace jwt_sidecar::proxy {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using error_code = boost::system::error_code;

template <typename T>
using awaitable = net::awaitable<T>;

// Every asynchronous operation in proxy/ completes as a tuple (error_code, ...), never by
// throwing: per-request code does not use exceptions.
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

}  // namespace jwt_sidecar::proxy
