// The proxy's request handler: decide, then answer or forward to the route's upstream.
#pragma once

#include "proxy/http1/exchange.h"

namespace jwt_sidecar::proxy {

awaitable<bool> handle_proxy_request(Exchange& x);

}  // namespace jwt_sidecar::proxy
