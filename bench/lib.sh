# The scaffolding the benchmark scripts share (bench/e2e/run.sh, bench/h2/run.sh,
# bench/threads/run.sh): messages, tool checks, the process bookkeeping that stops everything
# this run started on any exit, the run's time limit, free ports, CPU ticks and memory figures.
# Sourced, not run. A script sets `keep` (1: keep the work directory) and `pin` (1: pin when
# the machine allows) before calling what uses them.

say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${bench_name:-run.sh}" "$*" >&2; exit 1; }

bench_require() { # TOOL...: each must be on PATH
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "'$tool' not found: run deploy/install-deps.sh"
  done
}

# Pinning gives each proxy one core of its own, as "one worker thread" means, and gives the
# upstream and the load generator the other: the proxy is then the bottleneck, and its rate is
# its own cost. It needs 2 cores and taskset; without them the run goes on unpinned and says so.
bench_check_pinning() {
  if [ "$pin" = 1 ] && { [ "$(nproc)" -lt 2 ] || ! command -v taskset >/dev/null; }; then
    say "note: fewer than 2 cores or no taskset: running unpinned"
    pin=0
  fi
}

bench_check_haproxy() { # the peer every comparison is written for
  haproxy_version=$(haproxy -v 2>/dev/null | sed -n 1p) # sed, not head: no SIGPIPE under pipefail
  case "$haproxy_version" in
    *"version 2.6."*) ;;
    *) say "warning: this benchmark is written for HAProxy 2.6; found: $haproxy_version" ;;
  esac
}

# Someone may be relinking the binary while this starts: wait until it runs.
bench_wait_runnable() { # BINARY
  local n
  for ((n = 0; n < 60; n++)); do
    "$1" --version >/dev/null 2>&1 && return 0
    [ "$n" = 0 ] && say "waiting for $1 to be runnable (a build may be linking it)"
    sleep 2
  done
  die "$1 does not run"
}

# ------------------------------------------------------------------ process bookkeeping
# Every process a run starts is recorded by PID and stopped on exit, whatever the exit.
pids=()      # stopped with TERM, newest first, then KILL if still there after 5 s
late_pids=() # nginx workers: their master stops them; KILLed only if they outlive it
watchdog=""
work=""

bench_cleanup() {
  local rc=$? i pid n
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for ((n = 0; n < 50; n++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${late_pids[@]}"; do
    # Only if that PID is still an nginx process (not a PID reused since).
    if grep -q nginx "/proc/$pid/cmdline" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$watchdog" ]; then kill -TERM "$watchdog" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [ -n "$work" ]; then
    if [ "${keep:-0}" = 1 ]; then say "kept: $work"; else rm -rf "$work"; fi
  fi
  exit "$rc"
}

# Installs the traps and makes the work directory (PREFIX: its name in $TMPDIR).
bench_begin() { # PREFIX
  trap bench_cleanup EXIT
  trap 'say "interrupted"; exit 130' INT
  trap 'say "stopped (time limit or TERM)"; exit 143' TERM
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  chmod 700 "$work"
}

# Runs the copy of the binary in the work directory, so that every instance of this run is the
# same build whatever happens to the original. Sets bin, bin_built and bin_label.
bench_copy_binary() {
  cp "$bin" "$work/jwt-sidecar"
  bin_built=$(date -u -r "$bin" '+%Y-%m-%d %H:%M UTC')
  bin_label=${bin#"$root"/}
  bin=$work/jwt-sidecar
}

# The whole run is bounded: past the limit, the watchdog TERMs this script, whose trap stops
# everything. Its sleep runs in the background so that the TERM from cleanup ends it at once.
bench_watchdog() { # SECONDS
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$1" &
    sleeper=$!
    wait "$sleeper"
    kill -TERM $$ 2>/dev/null
  ) &
  watchdog=$!
}

# Idle-connection workloads need a descriptor per connection in the proxy and in the client.
bench_raise_nofile() {
  local hard
  hard=$(ulimit -Hn)
  if [ "$hard" = unlimited ]; then ulimit -n 65536; else ulimit -n "$hard"; fi
  nofile=$(ulimit -n)
}

start() { # NAME VAR CMD...: CMD in the background, output in $work/NAME.log, PID in VAR
  local name=$1 var=$2
  shift 2
  "$@" >>"$work/$name.log" 2>&1 &
  pids+=("$!")
  printf -v "$var" '%s' "$!"
}

stop() { # PID: TERM, wait, and forget it (so that cleanup never signals a reused PID)
  local pid=$1 i kept=()
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for i in "${pids[@]}"; do [ "$i" = "$pid" ] || kept+=("$i"); done
  pids=("${kept[@]}")
}

wait_http() { # URL SECONDS [PID]: until URL answers 200, or fail early if PID died
  local url=$1 limit=$2 pid=${3:-} n
  for ((n = 0; n < limit * 10; n++)); do
    if curl -fs -o /dev/null --max-time 1 "$url"; then return 0; fi
    [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

free_ports() { # N distinct free TCP ports on 127.0.0.1, held together so they differ
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; } # PID FIELD (VmRSS...)

cpu_ticks() { # PID...: user+system clock ticks of every PID given, summed
  local total=0 pid t
  for pid in "$@"; do
    # Fields after "(comm) ": state is 1st, utime 12th, stime 13th.
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
