#!/usr/bin/env bash
# The soak test (issue 7): tests/soak/README.md.
#
#   tests/soak/run.sh [--duration SECONDS] [--connections N] [--driver PATH] [driver options] [BINARY]
#
# BINARY defaults to build/release/bin/jwt-sidecar, the driver to soak_driver next to it. Any
# other option goes to the driver (soak_driver --help lists them). Raises the soft fd limit
# for the driver and for the proxy it starts (jwt-sidecar does not raise its own), then runs
# the driver, whose exit status is the result: 0 pass, 1 a violation, 2 a setup problem.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=60 connections=1000 driver="" binary=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --connections) connections=${2:?--connections needs a number}; shift ;;
    --driver) driver=${2:?--driver needs a path}; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --keep|--no-rss-check) extra+=("$1") ;;
    --*) extra+=("$1" "${2:?$1 needs a value}"); shift ;;
    *) binary=$1 ;;
  esac
  shift
done
case "$duration$connections" in
  *[!0-9]*) echo "run.sh: --duration and --connections take whole numbers" >&2; exit 2 ;;
esac
binary=${binary:-$root/build/release/bin/jwt-sidecar}
driver=${driver:-$(dirname "$binary")/soak_driver}
for f in "$binary" "$driver"; do
  if [ ! -x "$f" ]; then
    echo "run.sh: $f not found; build first: cmake --build --preset release" >&2
    exit 2
  fi
done

# Each side holds about two sockets per connection: the client's and the upstream's.
want=$((connections * 2 + 1024))
soft=$(ulimit -Sn) hard=$(ulimit -Hn)
if [ "$soft" != unlimited ] && [ "$soft" -lt "$want" ]; then
  if [ "$hard" = unlimited ] || [ "$hard" -ge "$want" ]; then
    ulimit -Sn "$want"
  else
    echo "run.sh: $connections connections need about $want file descriptors; the hard limit is $hard" >&2
    echo "run.sh: raise it (ulimit -Hn as root, or LimitNOFILE=) or use fewer --connections" >&2
    exit 2
  fi
fi
echo "fd limit: $(ulimit -Sn) (soft), $(ulimit -Hn) (hard)"
exec "$driver" --binary "$binary" --duration "$duration" --connections "$connections" "${extra[@]}"
