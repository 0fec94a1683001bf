// Keeps the revocation lists of the running config current: one source per configured list
// (a file, Redis), publishing into the policies::Revocation state that the config's
// Authenticator consults. Runs on the control io_context; every method is called there (or
// before it runs).
#pragma once

#include <memory>
#include <vector>

#include "proxy/io/net.h"

namespace jwt_sidecar::policies {
class Revocation;
}

namespace jwt_sidecar::proxy {

struct Runtime;
class ListSource;

class RevocationSources {
 public:
  explicit RevocationSources(net::io_context& control) : control_(control) {}
  ~RevocationSources();

  // The sources of `runtime`'s revocation state. A reload that kept the sources keeps the
  // same state object, and its sources keep running; otherwise the old ones stop and new ones
  // start (their state is not ready until read).
  void adopt(const Runtime& runtime);
  // SIGHUP: files are read again at once.
  void reread();
  void stop();

 private:
  net::io_context& control_;
  std::shared_ptr<policies::Revocation> state_;
  std::vector<std::shared_ptr<ListSource>> sources_;
};

}  // namespace jwt_sidecar::proxy
