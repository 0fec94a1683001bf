// The admin endpoints: /healthz, /readyz, /metrics (Prometheus text).
#pragma once

#include <memory>

#include "proxy/io/net.h"
#include "proxy/runtime/server_state.h"

namespace jwt_sidecar::proxy {

awaitable<void> run_admin_session(ServerState& state, tcp::socket socket);

}  // namespace jwt_sidecar::proxy
