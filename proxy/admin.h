// The admin endpoints: /healthz, /readyz, /metrics (Prometheus text).
#pragma once

#include <memory>

#include "proxy/net.h"
#include "proxy/worker.h"

namespace jwt_sidecar::proxy {

awaitable<void> run_admin_session(ServerState& state, tcp::socket socket);

}  // namespace jwt_sidecar::proxy
