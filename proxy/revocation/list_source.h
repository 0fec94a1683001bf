// A source of one revocation list (a file, Redis): it reads the list into the shared
// policies::Revocation state (slot `index`) on the control io_context, and keeps it current
// until stopped. Made and owned by RevocationSources.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "config/config.h"
#include "policies/revocation.h"
#include "proxy/io/net.h"

namespace jwt_sidecar::proxy {

class ListSource {
 public:
  virtual ~ListSource() = default;
  virtual void start() = 0;
  // Reads again now (SIGHUP). Sources that are told of changes anyway may ignore it.
  virtual void reread() = 0;
  // Stops reading; the source's coroutines end soon after.
  virtual void stop() = 0;
};

std::shared_ptr<ListSource> make_file_source(net::io_context& ioc, std::string path,
                                             std::shared_ptr<policies::Revocation> state, std::size_t index);
std::shared_ptr<ListSource> make_redis_source(net::io_context& ioc, config::RedisSource source,
                                              std::shared_ptr<policies::Revocation> state, std::size_t index);

}  // namespace jwt_sidecar::proxy
