#!/usr/bin/env bash
# Installs everything jwt-sidecar needs to build, test and benchmark on Debian 12 (bookworm).
# Idempotent: packages already present are left alone. Uses sudo when not run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libboost1.81-dev libssl-dev openssl libsimdjson-dev libyaml-cpp-dev catch2 libcli11-dev libhiredis-dev
  libbenchmark-dev curl python3
  # bench/e2e/run.sh (the end-to-end benchmark): the upstream, the peer, the load generator,
  # and node for signing the tokens. The benchmark runs its own nginx and HAProxy on free
  # loopback ports with configs in a temporary directory; it never uses the system services
  # these packages install.
  nginx haproxy wrk nodejs
  # Revocation through Redis (tests/integration/revocation_redis_test.cpp): the tests start
  # their own redis-server on free loopback ports with their own configs (never the system
  # service the package installs) and use redis-cli as an IdP's logout hook would.
  redis-server redis-tools
  # The auth service behind real front proxies (tests/integration/auth_service_proxies_test.cpp):
  # nginx (above) with auth_request, and Caddy with forward_auth, each run by the tests on free
  # loopback ports with their own files (never the system services the packages install).
  caddy
  # HTTP/2 and gRPC (proxy/http2): nghttp2 drives the protocol; nghttp2-client (nghttp, h2load)
  # is a real h2 client in the tests and the load generator of bench workloads 12-14;
  # python3-grpcio gives the tests a real gRPC server and client, python3-h2 a raw HTTP/2
  # client for the attacks (rapid reset, CONTINUATION and other floods).
  libnghttp2-dev nghttp2-client python3-grpcio python3-h2
  # tests/fuzz (the `fuzz` preset): libFuzzer and the sanitizer runtimes come with clang.
  clang-14 libclang-rt-14-dev
  # tests/ops/run.sh: promtool checks and unit-tests deploy/prometheus/*.yml. Debian ships
  # promtool only in the prometheus package; the tests never use the server it also installs.
  prometheus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# npm, for tests/deploy/run.sh and tests/e2e/oidc/run.sh (they install pinned npm packages).
# Debian ships it as a package of its own; a Node.js from elsewhere (NodeSource) bundles it and
# conflicts with Debian's, so it is only installed when no npm is on the PATH.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
