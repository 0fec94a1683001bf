// One client connection: read a request header, decide, answer or forward, repeat.
#pragma once

#include "proxy/net.h"
#include "proxy/worker.h"

namespace jwt_sidecar::proxy {

awaitable<void> run_session(Worker& worker, tcp::socket socket);

}  // namespace jwt_sidecar::proxy
