#include <malloc.h>

#include <iostream>
#include <string>
#include <vector>

#include "proxy/cli/cli.h"

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // Relay buffers (64 KiB, proxy/worker.h) come and go with the number of forwards in
  // flight. From glibc's heap they fragment it and RSS creeps up under sustained high
  // concurrency (the soak test saw +10% over minutes); at this threshold they come from mmap
  // and go back to the system whole when freed.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
#endif
  std::vector<std::string> args(argv + 1, argv + argc);
  return jwt_sidecar::proxy::run_cli(args, {std::cin, std::cout, std::cerr});
}
