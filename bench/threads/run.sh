#!/usr/bin/env bash
# Threads and event-loop layout (issue 5, "one worker per core that scales"):
#   1. io_model: one io_context per thread (SO_REUSEPORT, jwt-sidecar's layout) against one
#      shared io_context, with 1 and 2 threads - the layout question without the proxy;
#   2. jwt-sidecar (threads: 1 and 2) and HAProxy (nbthread 1 and 2), plain proxying to nginx.
# Everything is unpinned: with 2 threads the server needs both cores, which wrk and nginx
# share with it, so no server can double here. Figures go to stdout and bench/THREADS.md.
#
#   bench/threads/run.sh [--duration SECONDS] [--out FILE]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
duration=8 out=$root/bench/THREADS.md
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: bench/threads/run.sh [--duration SECONDS] [--out FILE]" >&2; exit 2 ;;
  esac
  shift
done
bin=${JWT_SIDECAR_BIN:-$root/build/release/bin/jwt-sidecar}
io_model=$root/build/release/bin/io_model
bench_name=run.sh
source "$root/bench/lib.sh"
bench_require nginx haproxy wrk python3 curl
[ -x "$bin" ] && [ -x "$io_model" ] || cmake --build --preset release --target jwt-sidecar io_model
bench_begin jwt-sidecar-threads
read -r p_nginx p_a p_b p_c <<<"$(free_ports 4)"

mkdir -p "$work/nginx/logs"
nginx_user=""
if [ "$(id -u)" = 0 ]; then nginx_user="user $(id -un) $(id -gn);"; fi
cat >"$work/nginx/nginx.conf" <<CONF
$nginx_user
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/b; proxy_temp_path $work/nginx/p; fastcgi_temp_path $work/nginx/f;
  uwsgi_temp_path $work/nginx/u; scgi_temp_path $work/nginx/s;
  keepalive_requests 10000000; keepalive_timeout 300s;
  server { listen 127.0.0.1:$p_nginx; location / { default_type text/plain; return 200 "ok\n"; } }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
wait_http "http://127.0.0.1:$p_nginx/" 10 || die "nginx did not start"
pids+=("$(cat "$work/nginx/nginx.pid")") # the master (it daemonized): stopped by the cleanup

results=()
measure() { # LABEL THREADS PORT
  local label=$1 threads=$2 port=$3 url="http://127.0.0.1:$3/public/bench"
  wrk -t2 -c64 -d2s "$url" >/dev/null
  local out
  out=$(wrk -t2 -c64 "-d${duration}s" --latency "$url")
  local rps p99
  rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  printf '   %-28s threads %s: %10s req/s  p99 %s\n' "$label" "$threads" "$rps" "$p99"
  results+=("$label|$threads|$rps|$p99")
}
run_server() { # PORT CMD...: starts it, waits for an answer, leaves its pid in $server
  local port=$1
  shift
  start server server "$@"
  wait_http "http://127.0.0.1:$port/public/x" 10 "$server" || die "$1 did not answer on port $port"
}
stop_server() { stop "$server"; }

echo "== io_model: io_context per thread vs shared"
for threads in 1 2; do
  for mode in per-thread shared; do
    run_server "$p_a" "$io_model" --mode "$mode" --threads "$threads" --port "$p_a"
    measure "io_model $mode" "$threads" "$p_a"
    stop_server
  done
done

echo "== plain proxying to nginx: jwt-sidecar threads and HAProxy nbthread"
for threads in 1 2; do
  cat >"$work/sidecar.yaml" <<CONF
listen: 127.0.0.1:$p_b
upstream: http://127.0.0.1:$p_nginx
threads: $threads
log_level: warn
access_log: false
routes:
  - name: public
    match: {prefix: /public}
    auth: none
CONF
  run_server "$p_b" "$bin" --config "$work/sidecar.yaml"
  measure "jwt-sidecar" "$threads" "$p_b"
  stop_server
  cat >"$work/haproxy.cfg" <<CONF
global
  nbthread $threads
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 30s
  timeout http-keep-alive 60s
  option forwardfor
frontend bench
  bind 127.0.0.1:$p_c
  http-request set-header X-Forwarded-Proto http
  default_backend nginx
backend nginx
  http-reuse always
  server nginx 127.0.0.1:$p_nginx
CONF
  run_server "$p_c" haproxy -db -f "$work/haproxy.cfg"
  measure "haproxy" "$threads" "$p_c"
  stop_server
done

python3 - "$out" "$(nproc)" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "${results[@]}" <<'PY'
import sys
out, nproc, date, git = sys.argv[1:5]
rows = [r.split("|") for r in sys.argv[5:]]
rps = {(r[0], r[1]): float(r[2]) for r in rows}
lines = [
    "# Threads and event-loop layout (bench/threads/run.sh)", "",
    f"Run {date}, commit {git}, {nproc} cores, unpinned: the servers share both cores with wrk",
    "(2 threads, 64 connections) and nginx (2 workers), so two server threads cannot double the",
    "rate here. Compare rows within this one run only.", "",
    "| server | threads | req/s | p99 | 2 threads / 1 thread |", "|---|---:|---:|---:|---:|",
]
for label, threads, r, p99 in rows:
    scale = ""
    if threads == "2" and (label, "1") in rps:
        scale = f"{rps[(label, '2')] / rps[(label, '1')]:.2f}x"
    lines.append(f"| {label} | {threads} | {float(r):,.0f} | {p99} | {scale} |")
lines.append("")
for t in ("1", "2"):
    a, b = rps.get(("io_model per-thread", t)), rps.get(("io_model shared", t))
    if a and b:
        lines.append(f"- io_model, {t} thread(s): per-thread / shared = {a / b:.2f}x")
for t in ("1", "2"):
    a, b = rps.get(("jwt-sidecar", t)), rps.get(("haproxy", t))
    if a and b:
        lines.append(f"- plain proxying, {t} thread(s): jwt-sidecar / HAProxy = {a / b:.2f}x")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines[6:]))
PY
echo "wrote $out"
