#!/usr/bin/env bash
# End-to-end test against a real OpenID provider: oidc-provider from the npm registry issues
# JWT access tokens with client credentials; jwt-sidecar discovers its keys and judges them.
# Usage: run.sh BINARY_DIR. Exits 77 (reported by ctest as skipped, never as passed) when
# Node.js or npm is missing or the package cannot be installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
binary_dir=$1
work=${OIDC_E2E_DIR:-$binary_dir/oidc-e2e}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIPPED: node and npm are needed for the OpenID provider end-to-end test"
  exit 77
fi
mkdir -p "$work"
cp "$here/package.json" "$here/idp.mjs" "$work/"
if [ ! -d "$work/node_modules/oidc-provider" ]; then
  if ! (cd "$work" && timeout 300 npm install --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
    echo "SKIPPED: could not install oidc-provider from the npm registry:"
    tail -5 "$work/npm.log"
    exit 77
  fi
fi
OIDC_IDP_DIR="$work" exec "$binary_dir/integration_tests" "[oidc]"
