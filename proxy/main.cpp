#include <iostream>
#include <string>
#include <vector>

#include "proxy/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return jwt_sidecar::proxy::run_cli(args, {std::cin, std::cout, std::cerr});
}
