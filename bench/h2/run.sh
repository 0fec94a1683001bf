#!/usr/bin/env bash
# The HTTP/2 benchmark of issue 15: jwt-sidecar against HAProxy 2.6, both with one worker
# thread, both in front of the same nginx h2c upstream, driven by h2load over h2c (prior
# knowledge) with 32 connections x 10 concurrent streams.
#
#   bash bench/h2/run.sh [--quick] [--no-pin] [--keep]
#
# Workloads: 1. plain proxying, 2. RS256 with one token repeated, 3. gRPC unary calls, then
# 4. memory with 1,000 idle h2 connections. Full run (~4.5 minutes) writes bench/h2/RESULTS.md
# and keeps the raw h2load outputs in bench/h2/out/raw/; --quick (~1 minute) writes
# bench/h2/out/quick/RESULTS.md instead, so a smoke run never replaces the committed results.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bash bench/h2/run.sh [--quick] [--no-pin] [--keep]

  --quick   1 s runs, 1 round; results go to bench/h2/out/quick/RESULTS.md
  --no-pin  do not pin the proxy to CPU 0 and nginx + h2load to CPU 1 (the default with 2+ cores)
  --keep    keep the temporary directory (configs, keys, logs) and print its path

Needs nginx (1.22, h2c listen), haproxy 2.6, h2load and nghttp (nghttp2-client), node, python3,
curl. Uses build/release/bin/jwt-sidecar, or $JWT_SIDECAR_BIN. Builds nothing.
EOF
}

quick=0 pin=1 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-pin) pin=0 ;;
    --keep) keep=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${JWT_SIDECAR_BIN:-$root/build/release/bin/jwt-sidecar}
export PATH="$PATH:/usr/sbin:/sbin"

if [ "$quick" = 1 ]; then
  duration=1 warmup=1 rounds=1 direct_duration=1 time_limit=180 quiet_max=0
  out=$here/out/quick raw=$here/out/quick/raw
else
  duration=8 warmup=1 rounds=3 direct_duration=5 time_limit=480 quiet_max=10
  out=$here raw=$here/out/raw
fi
connections=32 streams=10 idle_count=1000
issuer=https://idp.bench.test audience=bench-api
grpc_method=/bench.Echo/Call

bench_name=run.sh
source "$root/bench/lib.sh"
bench_require nginx haproxy h2load nghttp node python3 curl timeout
bench_check_pinning
bench_check_haproxy
bench_wait_runnable "$bin" # this script builds nothing
# grpcio is a Debian package: it may be importable only by the system python3.
grpc_python=""
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import grpc' 2>/dev/null; then grpc_python=$py; break; fi
done

# ------------------------------------------------------------------ the run's frame
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_begin jwt-sidecar-h2
bench_copy_binary
mkdir -p "$out" "$raw"
rm -f "$raw"/*.txt "$raw"/*.log "$raw"/results.jsonl "$raw"/meta.tsv "$raw"/notes.md
bench_watchdog "$time_limit"
bench_raise_nofile
[ "$nofile" -ge $((idle_count * 2 + 200)) ] || die "open-file limit $nofile is too low for $idle_count idle connections"

h2get() { # URL [curl args]: the status code over h2c prior knowledge
  local url=$1
  shift
  curl -s -o /dev/null --max-time 5 --http2-prior-knowledge -w '%{http_code}' "$@" "$url" || true
}
wait_h2() { # URL PID: until URL answers over h2c, or fail if PID died
  local n
  for ((n = 0; n < 100; n++)); do
    [ "$(h2get "$1")" = 200 ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
snapshot() { # PROXY_PID: "proxy nginx cpu0busy cpu0idle cpu1busy cpu1idle children" (ticks;
  # children = CPU seconds of this shell's finished children, i.e. the h2load runs; "times" is
  # a builtin run in this shell, as a subshell would not see them)
  times >"$work/times"
  printf '%s %s %s %s\n' "$(cpu_ticks "$1" 2>/dev/null || echo 0)" "$(cpu_ticks "$nginx_pid")" \
    "$(awk '$1 == "cpu0" || $1 == "cpu1" { printf "%d %d ", $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)" \
    "$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); t += p[1] * 60 + p[2] } print t }' "$work/times")"
}

pin_proxy=() pin_load=()
pinning="not pinned (proxy, nginx and h2load share all $(nproc) cores)"
if [ "$pin" = 1 ]; then
  pin_proxy=(taskset -c 0) pin_load=(taskset -c 1)
  pinning="each proxy pinned to CPU 0 (taskset -c 0); nginx (one process) and h2load pinned to CPU 1"
fi
say "== jwt-sidecar HTTP/2 benchmark ($([ "$quick" = 1 ] && echo quick || echo full) mode)"
say "   work dir $work; $pinning; open-file limit $nofile"

# ------------------------------------------------------------------ keys, token, bodies
# bench/e2e/gen_tokens.mjs makes the RSA key pair (private key never written), rs.pem for
# HAProxy, jwks.json for jwt-sidecar, rs-one.txt (one RS256 token) and parity.tsv.
timeout 120 node "$root/bench/e2e/gen_tokens.mjs" "$work" "$issuer" "$audience" 1 0 ||
  die "token generation failed"
token=$(head -n1 "$work/rs-one.txt")
# gRPC request: 5-byte prefix (uncompressed, length 7) + protobuf {1: "hello"}. Reply: one
# empty message, five zero bytes, served by nginx as a static file (servers.sh).
printf '\0\0\0\0\007\012\005hello' >"$work/req.grpc"
mkdir -p "$work/nginx/tmp" "$work/nginx/html"
printf '\0\0\0\0\0' >"$work/nginx/html/empty.grpc"
read -r p_nginx p_haproxy p_sidecar p_admin <<<"$(free_ports 4)"

# The three servers (configs and start), then the checks made before measuring.
source "$here/servers.sh"
source "$here/checks.sh"

# ------------------------------------------------------------------ measurements
results=$work/results.jsonl commands=$work/commands.txt
: >"$results"
h2args() { # WORKLOAD PORT: h2load arguments (without -D) into the array "args"
  args=(-c "$connections" -m "$streams" -t 1)
  case "$1" in
    plain) args+=("http://127.0.0.1:$2/public/bench") ;;
    rs_one) args+=(-H "authorization: Bearer $token" "http://127.0.0.1:$2/rs/bench") ;;
    grpc) args+=(-d "$work/req.grpc" -H 'content-type: application/grpc' -H 'te: trailers'
                 "http://127.0.0.1:$2$grpc_method") ;;
  esac
}
{
  say "# proxies: ${pin_proxy[*]} haproxy -db -f haproxy.cfg (nbthread 1)"
  say "#          ${pin_proxy[*]} jwt-sidecar --config sidecar.yaml (threads: 1, upstream h2c://127.0.0.1:NGINX)"
  say "# upstream: ${pin_load[*]} nginx -g 'daemon off; master_process off;' (listen 127.0.0.1:NGINX http2)"
  say "# each run: one warm-up run of ${warmup} s, output discarded, then the measured one:"
  for wl in plain rs_one grpc; do
    h2args "$wl" PORT
    line=""
    for a in "${args[@]}"; do
      case "$a" in
        *"$token"*) line+="\"${a//$token/\$TOKEN}\" " ;;
        *" "*) line+="'$a' " ;;
        *) line+="$a " ;;
      esac
    done
    say "${pin_load[*]} h2load ${line//"$work/"/}-D $duration"
  done
} >"$commands"

proxy_died() { # LABEL PID WHAT: note a dead proxy with its exit status and log tail
  local rc=0
  wait "$2" 2>/dev/null || rc=$?
  say "   !! $1 exited during $3 (exit status $rc); log tail:"
  tail -n 20 "$work/$1.log" | sed 's/^/      /'
  {
    say ""
    say "**$1 exited during $3** (exit status $rc). Last lines of its output:"
    say ""
    say '```'
    tail -n 20 "$work/$1.log"
    say '```'
  } >>"$notes"
}

measure() { # WORKLOAD LABEL PORT PID SECONDS ROUND
  local wl=$1 label=$2 port=$3 pid=$4 secs=$5 rnd=$6 file before after conns
  file="$raw/$wl.$label.$rnd.txt"
  h2args "$wl" "$port"
  timeout $((warmup + 30)) "${pin_load[@]}" h2load "${args[@]}" -D "$warmup" >/dev/null 2>&1 || true
  snapshot "$pid" >"$work/snap"
  before=$(<"$work/snap")
  timeout $((secs + 30)) "${pin_load[@]}" h2load "${args[@]}" -D "$secs" >"$file" 2>&1 || true
  snapshot "$pid" >"$work/snap"
  after=$(<"$work/snap")
  # Upstream h2 connections this proxy holds to nginx right after the run.
  conns=$(ss -Htnp state established "( dport = :$p_nginx )" 2>/dev/null | grep -c "pid=$pid," || true)
  python3 "$here/report.py" record "$results" "$file" --workload "$wl" --proxy "$label" \
    --round "$rnd" --duration "$secs" --before "$before" --after "$after" --upstream-conns "${conns:-0}"
  if ! kill -0 "$pid" 2>/dev/null; then
    proxy_died "$label" "$pid" "$wl round $rnd"
    [ "$label" = haproxy ] && start_haproxy
    [ "$label" = jwt-sidecar ] && start_sidecar
  fi
  return 0
}

say "== upstream alone (h2load straight to nginx, ${direct_duration} s each), for reference"
direct_json="{"
for wl in plain rs_one grpc; do
  measure "$wl" nginx "$p_nginx" "$nginx_pid" "$direct_duration" 0
  direct_json+="\"$wl\": $(tail -n1 "$results" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ok_rps"])'),"
done
python3 "$here/report.py" extra "$results" direct "${direct_json%,}}"
# The direct runs are context, not part of the comparison: keep them out of the run list.
grep -v '"proxy": "nginx"' "$results" >"$results.tmp" || true
mv "$results.tmp" "$results"

# The machine is shared (builds, tests): before each pair, wait up to $quiet_max s for a
# second in which both cores together are less than 20% busy. What remains shows up in the
# report's "other load" columns.
quiet_waited=0 quiet_busy=0
quiet() {
  local n a b
  for ((n = 0; n < quiet_max; n++)); do
    a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 1
    quiet_waited=$((quiet_waited + 1))
    b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    if awk -v a="$a" -v b="$b" 'BEGIN { split(a, x); split(b, y); u = y[1] - x[1]; i = y[2] - x[2]
        exit !(u + i > 0 && 100 * u / (u + i) < 20) }'; then
      return 0
    fi
  done
  [ "$quiet_max" = 0 ] || quiet_busy=$((quiet_busy + 1))
}
for ((round = 1; round <= rounds; round++)); do
  say "== round $round of $rounds"
  for wl in plain rs_one grpc; do
    quiet
    if ((round % 2 == 1)); then
      measure "$wl" haproxy "$p_haproxy" "$haproxy_pid" "$duration" "$round"
      measure "$wl" jwt-sidecar "$p_sidecar" "$sidecar_pid" "$duration" "$round"
    else
      measure "$wl" jwt-sidecar "$p_sidecar" "$sidecar_pid" "$duration" "$round"
      measure "$wl" haproxy "$p_haproxy" "$haproxy_pid" "$duration" "$round"
    fi
  done
done
# ------------------------------------------------------------------ memory, 1,000 idle h2 conns
say "== memory: $idle_count idle h2 connections, fresh instance of each proxy"
for label in haproxy jwt-sidecar; do
  if [ "$label" = haproxy ]; then
    stop "$haproxy_pid"
    start_haproxy; pid=$haproxy_pid port=$p_haproxy
  else
    stop "$sidecar_pid"
    start_sidecar; pid=$sidecar_pid port=$p_sidecar
  fi
  sleep 1
  json=$(timeout 90 python3 "$here/idle_h2.py" --port "$port" --pid "$pid" --count "$idle_count") ||
    json='{"opened": 0, "still_open": 0, "error": "idle_h2.py failed or timed out"}'
  say "   $label: $json"
  python3 "$here/report.py" extra "$results" "idle_$label" "$json"
done

# ------------------------------------------------------------------ report
for label in haproxy jwt-sidecar nginx; do
  cp "$work/$label.log" "$raw/$label.log" 2>/dev/null || true
  if [ -s "$work/$label.log" ] && grep -qv '^{.*"listening"' "$work/$label.log"; then
    {
      say ""
      say "Output of $label during the run (last 15 lines):"
      say ""
      say '```'
      tail -n 15 "$work/$label.log"
      say '```'
    } >>"$notes"
  fi
done
git_desc=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $NF }' |
  grep -E '^(proxy|policies|config|common)/' | sed -n '1,6p' | paste -sd, - | sed 's/,/, /g' || true)
[ -z "$dirty" ] || git_desc+=" with uncommitted changes (e.g. $dirty)"
meta=$work/meta.tsv
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'mode\t%s\n' "$([ "$quick" = 1 ] && echo quick || echo full)"
  printf 'duration\t%s\nwarmup\t%s\nrounds\t%s\n' "$duration" "$warmup" "$rounds"
  printf 'pinning\t%s\n' "$pinning"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu_model\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  printf 'mem\t%s MiB RAM\n' "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'jwt_sidecar\t%s (%s, built %s)\n' "$("$bin" --version)" "$bin_label" "$bin_built"
  printf 'git\t%s\n' "$git_desc"
  printf 'haproxy\t%s\n' "$haproxy_version"
  printf 'nginx\t%s\n' "$(nginx -v 2>&1)"
  printf 'h2load\t%s, one thread, %s connections x %s streams, h2c prior knowledge\n' \
    "$(h2load --version 2>&1 | sed -n 1p)" "$connections" "$streams"
  printf 'openssl\t%s\n' "$(openssl version)"
  printf 'load\t%s at the start, %s at the end (shared machine)\n' "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'elapsed\t%s\n' "$(($(date +%s) - started))"
  if [ "$quiet_max" = 0 ]; then
    printf 'quiet\tno wait for a quiet machine (--quick)\n'
  else
    printf 'quiet\t%s s spent waiting for a quiet machine before the pairs (up to %s s each); %s pair(s) started on a busy machine anyway\n' "$quiet_waited" "$quiet_max" "$quiet_busy"
  fi
} >"$meta"
cp "$results" "$meta" "$notes" "$commands" "$raw/"
say "== results"
python3 "$here/report.py" render "$raw/results.jsonl" "$raw/meta.tsv" "$raw/notes.md" \
  "$raw/commands.txt" --md "$out/RESULTS.md"
say "report: $out/RESULTS.md (raw h2load outputs: $raw)"
