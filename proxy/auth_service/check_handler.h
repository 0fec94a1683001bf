// The auth service's request handler: a forward-auth / ext_authz check is read as the original
// request it describes (original_request.h), decided exactly as the proxy decides a request,
// and answered 200 with the claim headers, or with the proxy's rejection. It never forwards.
#pragma once

#include "proxy/http1/exchange.h"

namespace jwt_sidecar::proxy {

awaitable<bool> handle_check(Exchange& x);

}  // namespace jwt_sidecar::proxy
