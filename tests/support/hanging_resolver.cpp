// An LD_PRELOAD shim for tests: getaddrinfo() never returns for names under ".hang.test", the
// way a resolver that drops packets behaves for as long as the caller lets it (glibc retries
// for 5 s per attempt and server). Every other name goes to the real getaddrinfo.
#include <dlfcn.h>
#include <netdb.h>
#include <unistd.h>

#include <cstring>

extern "C" int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                           struct addrinfo** res) {
  constexpr const char suffix[] = ".hang.test";
  const std::size_t suffix_len = sizeof suffix - 1;
  if (node != nullptr) {
    const std::size_t n = std::strlen(node);
    if (n >= suffix_len && std::strcmp(node + n - suffix_len, suffix) == 0) {
      for (;;) pause();  // the lookup that never answers
    }
  }
  using Real = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static const Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "getaddrinfo"));
  if (real == nullptr) return EAI_SYSTEM;
  return real(node, service, hints, res);
}
