#!/usr/bin/env bash
# The end-to-end benchmark of issue 5: jwt-sidecar against HAProxy 2.6's jwt_verify, both in
# front of the same nginx upstream, driven by wrk over keep-alive connections on 127.0.0.1.
#
#   bench/e2e/run.sh [--quick] [--no-pin] [--keep] [--out DIR]
#
# Full run (~8 minutes): writes bench/RESULTS.md and bench/results.svg, and keeps every wrk
# output under bench/out/raw/. --quick (~1.5 minutes): shorter runs, one round, and writes to
# bench/out/quick/ so that a quick look never replaces the committed results. bench/README.md
# explains the workloads and how to read the table.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/e2e/run.sh [--quick] [--no-pin] [--keep] [--out DIR]

  --quick   3 s runs, 1 round (about 1.5 minutes); results go to bench/out/quick/
  --no-pin  do not pin the proxy to CPU 0 and nginx + wrk to CPU 1 (the default with 2+
            cores); unpinned, the three share every core and req/s mixes the proxy's cost
            with the load generator's
  --keep    keep the temporary directory (configs, keys, tokens, logs) and print its path
  --out DIR where RESULTS.md and results.svg go (default: bench/, or bench/out/quick/ with --quick);
            the raw wrk outputs go to DIR/raw/ (bench/out/raw/ for the default full run)

Needs nginx, haproxy (2.6), wrk, node, python3, curl: deploy/install-deps.sh installs them.
Uses build/release/bin/jwt-sidecar (built if missing), or $JWT_SIDECAR_BIN.
EOF
}

quick=0 pin=1 keep=0 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-pin) pin=0 ;;
    --keep) keep=1 ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${JWT_SIDECAR_BIN:-$root/build/release/bin/jwt-sidecar}
# nginx and haproxy live in /usr/sbin, which a non-root user's PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

if [ "$quick" = 1 ]; then
  duration=3 warmup=1 rounds=1 time_limit=240
  out=${out:-$root/bench/out/quick}
else
  # Four short rounds per workload in alternating order (HAProxy first, then jwt-sidecar
  # first, and so on), so that a slow spell of the shared machine, which can last tens of
  # seconds, does not land on every round of one proxy (with two 10 s rounds it did).
  duration=5 warmup=1 rounds=4 time_limit=900
  out=${out:-$root/bench}
fi
idle_count=10000
connections=32
issuer=https://idp.bench.test
audience=bench-api
token_count=2000
filler_keys=997 # + the 3 real keys = the 1,000-key JWKS of workload 7
scale_routes=10000

bench_name=run.sh
source "$root/bench/lib.sh"
bench_require nginx haproxy wrk node python3 curl timeout
bench_check_pinning
bench_check_haproxy
if [ ! -x "$bin" ]; then
  say "== building jwt-sidecar (release preset)"
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release) ||
    die "build failed"
fi
bench_wait_runnable "$bin"

# ------------------------------------------------------------------ the run's frame
started=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench_begin jwt-sidecar-e2e
bench_copy_binary
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Raw outputs never go into bench/ itself (tracked by git), but into bench/out/ (ignored).
if [ "$out" = "$root/bench" ]; then raw="$root/bench/out/raw"; else raw="$out/raw"; fi
mkdir -p "$raw"
rm -f "$raw"/*.txt "$raw"/results.jsonl "$raw"/meta.tsv "$raw"/notes.md
bench_watchdog "$time_limit"
# 10,000 idle connections need as many descriptors in the proxy and in the client script.
bench_raise_nofile

pin_proxy=() pin_load=()
pinning="not pinned (the kernel schedules proxy, nginx and wrk on all $(nproc) cores)"
if [ "$pin" = 1 ]; then
  pin_proxy=(taskset -c 0) pin_load=(taskset -c 1)
  pinning="each proxy pinned to CPU 0, nginx (2 workers) and wrk pinned to CPU 1"
fi

say "== jwt-sidecar end-to-end benchmark ($([ "$quick" = 1 ] && echo quick || echo full) mode)"
say "   work dir $work; $pinning; open-file limit $nofile"

# ------------------------------------------------------------------ keys and tokens
say "== generating keys and tokens (RSA 2048, P-256, HMAC; $token_count distinct tokens each)"
# Bounded, and tried twice: a foreground command that hangs would also hold off the watchdog's
# TERM (bash runs traps only between commands).
for attempt in 1 2; do
  timeout 120 node "$here/gen_tokens.mjs" "$work" "$issuer" "$audience" "$token_count" \
    "$filler_keys" && break
  [ "$attempt" = 1 ] || die "token generation failed twice"
  say "   token generation failed or hung; trying once more"
done

read -r p_nginx p_haproxy p_base p_base_admin p_nocache p_nocache_admin p_large p_large_admin \
  p_idle p_idle_admin p_logged p_logged_admin p_revoked p_revoked_admin \
  p_authsvc p_authsvc_admin p_authsvc_check p_front_auth p_front_plain <<<"$(free_ports 19)"

# ------------------------------------------------------------------ nginx (the upstream)
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
nginx_user=""
# As root, nginx would switch its workers to "nobody"; keep them as the invoking user instead.
if [ "$(id -u)" = 0 ]; then nginx_user="user $(id -un) $(id -gn);"; fi
cat >"$work/nginx/nginx.conf" <<EOF
# The upstream of every proxied run: a tiny fixed answer, keep-alive, no logging.
$nginx_user
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log error;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  # Without these, nginx closes a keep-alive connection after 1,000 requests, and the proxies
  # would be measured reconnecting.
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$p_nginx;
    location / {
      default_type text/plain;
      return 200 "ok\n";
    }
  }
}
EOF
start nginx nginx_pid "${pin_load[@]}" nginx -p "$work/nginx" -e "$work/nginx/logs/error.log" \
  -c "$work/nginx/nginx.conf" -g 'daemon off;'
wait_http "http://127.0.0.1:$p_nginx/" 10 "$nginx_pid" || {
  cat "$work/nginx.log" "$work/nginx/logs/error.log" >&2
  die "nginx did not start"
}
mapfile -t nginx_workers < <(pgrep -P "$nginx_pid")
late_pids+=("${nginx_workers[@]}")

# ------------------------------------------------------------------ HAProxy (the peer)
hs_secret=$(cat "$work/hs.secret")
cat >"$work/haproxy.cfg" <<EOF
# HAProxy 2.6 with jwt_verify, set up to check what jwt-sidecar checks. jwt_verify checks the
# signature only (against a PEM public key file, or an HMAC secret); the claims are separate
# rules on jwt_payload_query. A request must pass all of:
#   alg one of RS256/ES256/HS256, verified with that algorithm's key   (sidecar: algorithms + kid)
#   signature valid                                                   (sidecar: signature)
#   iss equal to the issuer                                           (sidecar: provider issuer)
#   aud equal to the audience                                         (sidecar: audiences)
#   exp present and not past                                          (sidecar: require_exp, exp)
# else 401 with a small JSON body and the connection kept, as jwt-sidecar answers.
global
  nbthread 1
  maxconn 4096

defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 30s
  timeout http-keep-alive 60s
  # jwt-sidecar adds X-Forwarded-For, -Proto and -Host; so does HAProxy here.
  option forwardfor

frontend bench
  bind 127.0.0.1:$p_haproxy
  acl public path_beg /public
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-var(txn.bearer) http_auth_bearer unless public
  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg') unless public
  http-request set-var(txn.sig) var(txn.bearer),jwt_verify(txn.alg,"$work/rs.pem") if !public { var(txn.alg) -m str RS256 }
  http-request set-var(txn.sig) var(txn.bearer),jwt_verify(txn.alg,"$work/es.pem") if !public { var(txn.alg) -m str ES256 }
  http-request set-var(txn.sig) var(txn.bearer),jwt_verify(txn.alg,"$hs_secret") if !public { var(txn.alg) -m str HS256 }
  # Claims are read only once the signature is known good, as jwt-sidecar does.
  http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('\$.iss') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('\$.aud') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.now) date if !public
  # "unless ... all hold": a missing variable fails its test, so a token without exp is refused.
  http-request return status 401 content-type application/json string '{"error":"invalid_token"}' hdr WWW-Authenticate 'Bearer realm="haproxy", error="invalid_token"' unless public || { var(txn.sig) -m int 1 } { var(txn.iss) -m str $issuer } { var(txn.aud) -m str $audience } { var(txn.exp),sub(txn.now) -m int ge 0 }
  default_backend upstream

backend upstream
  server nginx 127.0.0.1:$p_nginx
EOF
haproxy -c -q -f "$work/haproxy.cfg" || die "HAProxy rejected $work/haproxy.cfg"
start haproxy haproxy_pid "${pin_proxy[@]}" haproxy -db -f "$work/haproxy.cfg"
wait_http "http://127.0.0.1:$p_haproxy/public/" 10 "$haproxy_pid" || {
  cat "$work/haproxy.log" >&2
  die "HAProxy did not start"
}

# ------------------------------------------------------------------ jwt-sidecar instances
sidecar() { # NAME VAR PORT ADMIN JWKS ROUTES [CACHE] [MAKE_CONFIGS_OPTIONS...]
  local name=$1 var=$2 port=$3 admin=$4 jwks=$5 routes=$6 cache=${7:-}
  shift 6
  [ $# = 0 ] || shift
  python3 "$here/make_configs.py" "$work/$name.yaml" --listen "$port" --admin "$admin" \
    --upstream "$p_nginx" --jwks "$jwks" --issuer "$issuer" --audience "$audience" \
    --routes "$routes" ${cache:+--token-cache-size "$cache"} "$@"
  "$bin" check-config "$work/$name.yaml" >/dev/null || die "check-config failed for $name"
  start "$name" "$var" "${pin_proxy[@]}" "$bin" --config "$work/$name.yaml"
}
probe_metric() { # ADMIN_PORT SERIES: its value on /metrics, or nothing
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" | awk -v s="$2" '$1 == s { print $2 }'
}
wait_ready() { # NAME PID ADMIN
  wait_http "http://127.0.0.1:$3/readyz" 30 "$2" || {
    cat "$work/$1.log" >&2
    die "jwt-sidecar '$1' did not become ready"
  }
}
say "== starting nginx, HAProxy and jwt-sidecar (base, cache off, $scale_routes routes)"
# base: 10 routes, 3 keys, default token cache. nocache: the same with token_cache_size: 0
# (workloads 3 and 4). large: 10,000 routes and the 1,000-key JWKS (workload 7).
sidecar base base_pid "$p_base" "$p_base_admin" "$work/jwks.json" 10
sidecar nocache nocache_pid "$p_nocache" "$p_nocache_admin" "$work/jwks.json" 10 0
sidecar large large_pid "$p_large" "$p_large_admin" "$work/jwks-large.json" "$scale_routes"
# logged: base with the default access log on, its lines going to a file as a collector's pipe
# would take them (workload 8).
sidecar logged logged_pid "$p_logged" "$p_logged_admin" "$work/jwks.json" 10 "" --access-log
# revoked: base with a revocation list of 100,000 entries for the benchmark's own issuer, none
# of which names the measured token: 50,000 jti, 49,990 sub and 10 kid entries (workload 9).
python3 - "$work/revocation-list.yaml" "$issuer" <<'PY'
import sys
path, issuer = sys.argv[1], sys.argv[2]
with open(path, "w") as f:
    for i in range(50000):
        f.write(f"- {{issuer: {issuer}, jti: revoked-jti-{i:06d}, expires: 4102444800}}\n")
    for i in range(49990):
        f.write(f"- {{issuer: {issuer}, sub: revoked-user-{i:06d}, before: 1767139200}}\n")
    for i in range(10):
        f.write(f"- {{issuer: {issuer}, kid: filler-{i:04d}}}\n")
PY
sidecar revoked revoked_pid "$p_revoked" "$p_revoked_admin" "$work/jwks.json" 10 "" --revocation "$work/revocation-list.yaml"
# authsvc: base with an auth_service listener (workloads 10 and 11).
sidecar authsvc authsvc_pid "$p_authsvc" "$p_authsvc_admin" "$work/jwks.json" 10 "" --auth-listen "$p_authsvc_check"
wait_ready base "$base_pid" "$p_base_admin"
wait_ready logged "$logged_pid" "$p_logged_admin"
wait_ready nocache "$nocache_pid" "$p_nocache_admin"
wait_ready large "$large_pid" "$p_large_admin"
wait_ready revoked "$revoked_pid" "$p_revoked_admin"
wait_ready authsvc "$authsvc_pid" "$p_authsvc_admin"
[ "$(probe_metric "$p_revoked_admin" 'jwt_sidecar_revocation_entries{source="file"}')" = 100000 ] ||
  die "the revoked instance did not load the 100,000-entry list"
results="$work/results.jsonl"
: >"$results"
python3 "$here/report.py" extra "$results" idle_rss_large \
  "{\"rss_kib\": $(status_kib "$large_pid" VmRSS)}"

# ------------------------------------------------------------------ parity
# Before any number: every proxy must answer every parity token the same way. This is what
# shows the HAProxy rules check the same things (signature, iss, aud, exp) as jwt-sidecar.
say "== parity: each proxy must answer these tokens the same way"
notes="$work/notes.md"
{
  say "### What each proxy checks (parity check of this run)"
  say ""
  say "HAProxy 2.6's \`jwt_verify\` verifies only the signature, against a PEM public key file or"
  say "an HMAC secret; it does not look at claims. So the HAProxy config adds rules on"
  say "\`jwt_payload_query\`: the algorithm picks the key (RS256, ES256 or HS256), then the"
  say "signature, \`iss\` (exact), \`aud\` (exact) and \`exp\` (present, not past) must all hold,"
  say "or it answers 401 with a small JSON body on a kept-alive connection. jwt-sidecar checks"
  say "the same and more (strict JSON and base64url, duplicate members, \`kid\` lookup, \`nbf\`,"
  say "\`iat\`, 60 s clock skew). Both forward \`X-Forwarded-For\`, \`-Proto\` and \`-Host\`."
  say "Every token below was sent to every proxy before the measurements, and the run stops"
  say "if any answer differs from the expected one:"
  say ""
  say "| token | expected | HAProxy | jwt-sidecar | jwt-sidecar, cache off |"
  say "|---|---:|---:|---:|---:|"
} >"$notes"
parity_failed=0
probe() { curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@" || true; }
parity_row() { # NAME EXPECTED PATH [curl args...]
  local name=$1 want=$2 path=$3 row got port
  shift 3
  row="| $name | $want"
  for port in "$p_haproxy" "$p_base" "$p_nocache"; do
    got=$(probe "$@" "http://127.0.0.1:$port$path")
    row+=" | $got"
    [ "$got" = "$want" ] || parity_failed=1
  done
  say "$row |" >>"$notes"
  printf '   %-16s expected %s: %s\n' "$name" "$want" "${row#*| $want | }"
}
while IFS=$'\t' read -r name want token; do
  parity_row "$name" "$want" /rs/parity -H "Authorization: Bearer $token"
done <"$work/parity.tsv"
parity_row no_token 401 /rs/parity
parity_row public_no_token 200 /public/parity
[ "$parity_failed" = 0 ] || {
  cat "$notes" >&2
  die "the proxies disagree on the parity tokens: the comparison would not be fair"
}
say "" >>"$notes"

# ------------------------------------------------------------------ measurements
wrk_headers=()  # extra -H options for the next measure (the auth service's check headers)
measure() { # WORKLOAD PROXY_LABEL PORT PATH EXPECT TOKENS PID...
  local wl=$1 label=$2 port=$3 path=$4 expect=$5 tokens=$6
  shift 6
  local pids_=("$@") url="http://127.0.0.1:$port$path"
  local args=(-t1 "-c$connections" --latency "${wrk_headers[@]}") after=()
  if [ -n "$tokens" ]; then
    if [ "$(grep -c . "$tokens")" = 1 ]; then
      # One token: a static request, the cheapest thing wrk can send.
      args+=(-H "Authorization: Bearer $(head -n1 "$tokens")")
    else
      args+=(-s "$here/tokens.lua")
      after=(-- "$tokens")
    fi
  fi
  timeout $((warmup + 30)) "${pin_load[@]}" wrk "${args[@]}" "-d${warmup}s" "$url" \
    "${after[@]}" >/dev/null
  # Writing 5 to clear_refs resets VmHWM, so the peak below is this run's, not the process's.
  local pid
  for pid in "${pids_[@]}"; do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done
  local t0 t1 out_file="$raw/$wl.$label.$round.txt"
  t0=$(cpu_ticks "${pids_[@]}")
  timeout $((duration + 30)) "${pin_load[@]}" wrk "${args[@]}" "-d${duration}s" "$url" \
    "${after[@]}" >"$out_file"
  t1=$(cpu_ticks "${pids_[@]}")
  local hwm=()
  [ "$label" = nginx ] || hwm=(--hwm-kib "$(status_kib "${pids_[0]}" VmHWM)")
  python3 "$here/report.py" record "$results" "$out_file" --workload "$wl" --proxy "$label" \
    --round "$round" --expect "$expect" --cpu-ticks $((t1 - t0)) "${hwm[@]}"
}

pair() { # WORKLOAD PATH EXPECT TOKENS SIDECAR_PORT SIDECAR_PID: HAProxy and jwt-sidecar
  local wl=$1 path=$2 expect=$3 tokens=$4 sport=$5 spid=$6
  for ((round = 1; round <= rounds; round++)); do
    if ((round % 2 == 1)); then
      measure "$wl" haproxy "$p_haproxy" "$path" "$expect" "$tokens" "$haproxy_pid"
      measure "$wl" jwt-sidecar "$sport" "$path" "$expect" "$tokens" "$spid"
    else
      measure "$wl" jwt-sidecar "$sport" "$path" "$expect" "$tokens" "$spid"
      measure "$wl" haproxy "$p_haproxy" "$path" "$expect" "$tokens" "$haproxy_pid"
    fi
  done
}

# jwt-sidecar against itself: the two sides of a comparison (shell functions that each measure
# once), in alternating order every round.
alternate() { # MEASURE_A MEASURE_B
  local round
  for ((round = 1; round <= rounds; round++)); do
    if ((round % 2 == 1)); then "$1"; "$2"; else "$2"; "$1"; fi
  done
}

say "== 1. upstream direct (nginx) and plain proxying"
for ((round = 1; round <= rounds; round++)); do
  measure upstream nginx "$p_nginx" /public/bench 2xx "" "$nginx_pid" "${nginx_workers[@]}"
done
pair plain /public/bench 2xx "" "$p_base" "$base_pid"
say "== 2. RS256, one token repeated"
pair rs_one /rs/orders 2xx "$work/rs-one.txt" "$p_base" "$base_pid"
say "== 3. RS256, $token_count distinct tokens (jwt-sidecar: token_cache_size: 0)"
pair rs_distinct /rs/orders 2xx "$work/rs.txt" "$p_nocache" "$nocache_pid"
say "== 4. ES256, $token_count distinct tokens (jwt-sidecar: token_cache_size: 0)"
pair es_distinct /es/orders 2xx "$work/es.txt" "$p_nocache" "$nocache_pid"
say "== 5. HS256, $token_count distinct tokens"
pair hs /hs/orders 2xx "$work/hs.txt" "$p_base" "$base_pid"
say "== 6. flood of $token_count distinct RS256 tokens with bad signatures (all must be 401)"
pair bad /rs/orders 401 "$work/rs-bad.txt" "$p_base" "$base_pid"
say "== 7. scale: $scale_routes routes + 1,000-key JWKS vs 10 routes + 3 keys (RS256 repeated)"
scale_small() { measure scale sidecar-10 "$p_base" /rs/orders 2xx "$work/rs-one.txt" "$base_pid"; }
scale_large() { measure scale sidecar-10k "$p_large" /rs/orders 2xx "$work/rs-one.txt" "$large_pid"; }
alternate scale_small scale_large

say "== 8. plain proxying with the access log on vs off (jwt-sidecar against itself)"
log_off() { measure access_log log-off "$p_base" /public/bench 2xx "" "$base_pid"; }
log_on() { measure access_log log-on "$p_logged" /public/bench 2xx "" "$logged_pid"; }
alternate log_off log_on

say "== 9. RS256 one token repeated, 100,000 revocation entries vs none (jwt-sidecar against itself)"
rev_off() { measure revocation rev-off "$p_base" /rs/orders 2xx "$work/rs-one.txt" "$base_pid"; }
rev_on() { measure revocation rev-on "$p_revoked" /rs/orders 2xx "$work/rs-one.txt" "$revoked_pid"; }
alternate rev_off rev_on

# ------------------------------------------------------------------ auth service
# 10: checks answered by the auth service (a Traefik-shaped forward-auth check with the RS256
# token) against requests forwarded by the proxy (workload 2's), jwt-sidecar against itself.
say "== 10. auth service checks vs proxied requests, RS256 repeated (jwt-sidecar against itself)"
proxy_forward() { measure auth_check proxy-forward "$p_authsvc" /rs/orders 2xx "$work/rs-one.txt" "$authsvc_pid"; }
checks() {
  wrk_headers=(-H "X-Forwarded-Method: GET" -H "X-Forwarded-Uri: /rs/orders" -H "X-Forwarded-Host: bench")
  measure auth_check auth-check "$p_authsvc_check" /auth 2xx "$work/rs-one.txt" "$authsvc_pid"
  wrk_headers=()
}
alternate proxy_forward checks

# 11: nginx in front asking jwt-sidecar (auth_request) against the same nginx without the
# check. The front nginx (one worker) and jwt-sidecar share CPU 0; the upstream nginx and wrk
# stay on CPU 1.
mkdir -p "$work/front/tmp"
cat >"$work/front/nginx.conf" <<NGINX
$nginx_user
worker_processes 1;
pid $work/front/nginx.pid;
error_log $work/front/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/front/tmp/body;
  proxy_temp_path $work/front/tmp/proxy;
  fastcgi_temp_path $work/front/tmp/fastcgi;
  uwsgi_temp_path $work/front/tmp/uwsgi;
  scgi_temp_path $work/front/tmp/scgi;
  keepalive_requests 10000000;
  upstream app { server 127.0.0.1:$p_nginx; keepalive 64; }
  upstream jwt_sidecar_auth { server 127.0.0.1:$p_authsvc_check; keepalive 64; }
  server {
    listen 127.0.0.1:$p_front_auth;
    location / {
      auth_request /_jwt_sidecar_auth;
      auth_request_set \$jwt_user_id \$upstream_http_x_user_id;
      proxy_set_header X-User-Id \$jwt_user_id;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
    location = /_jwt_sidecar_auth {
      internal;
      proxy_pass http://jwt_sidecar_auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method \$request_method;
      proxy_set_header X-Original-URI \$request_uri;
      proxy_set_header X-Forwarded-Host \$host;
    }
  }
  server {
    listen 127.0.0.1:$p_front_plain;
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }
}
NGINX
start front front_pid "${pin_proxy[@]}" nginx -p "$work/front" -e "$work/front/error.log" \
  -c "$work/front/nginx.conf" -g 'daemon off;'
wait_http "http://127.0.0.1:$p_front_plain/" 10 "$front_pid" || {
  cat "$work/front.log" "$work/front/error.log" >&2
  die "the front nginx did not start"
}
if [ "$(probe -H "Authorization: Bearer $(head -n1 "$work/rs-one.txt")" "http://127.0.0.1:$p_front_auth/rs/orders")" != 200 ] ||
  [ "$(probe "http://127.0.0.1:$p_front_auth/rs/orders")" != 401 ]; then
  die "nginx + auth_request + jwt-sidecar does not answer 200 with the token and 401 without"
fi
say "== 11. nginx + auth_request + jwt-sidecar vs nginx alone (RS256 repeated)"
mapfile -t front_workers < <(pgrep -P "$front_pid" || true)
nginx_alone() {
  measure nginx_auth nginx-alone "$p_front_plain" /rs/orders 2xx "$work/rs-one.txt" "$front_pid" "${front_workers[@]}"
}
nginx_auth() {
  measure nginx_auth nginx-auth "$p_front_auth" /rs/orders 2xx "$work/rs-one.txt" "$front_pid" \
    "${front_workers[@]}" "$authsvc_pid"
}
alternate nginx_alone nginx_auth
kill -TERM "$front_pid" 2>/dev/null || true

# ------------------------------------------------------------------ memory
# The measured instances are stopped first so that they do not compete, and a fresh one gives
# the idle figure and then holds the idle connections.
say "== 7. memory: idle RSS, then $idle_count idle keep-alive connections"
for pid in "$base_pid" "$nocache_pid" "$large_pid" "$logged_pid" "$revoked_pid" "$authsvc_pid"; do kill -TERM "$pid" 2>/dev/null || true; done
sidecar idle idle_pid "$p_idle" "$p_idle_admin" "$work/jwks.json" 10
wait_ready idle "$idle_pid" "$p_idle_admin"
sleep 1
idle_kib=$(status_kib "$idle_pid" VmRSS)
say "   idle RSS: $((idle_kib / 1024)) MiB ($idle_kib KiB)"
python3 "$here/report.py" extra "$results" idle_rss "{\"rss_kib\": $idle_kib}"
conns_json=$(timeout 120 python3 "$here/idle_conns.py" --port "$p_idle" --pid "$idle_pid" \
  --count "$idle_count" --path /rs/idle --token-file "$work/rs-one.txt")
say "   $conns_json"
python3 "$here/report.py" extra "$results" idle_conns "$conns_json"

# ------------------------------------------------------------------ report
meta="$work/meta.tsv"
git_desc=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
# Name the changed files: "uncommitted changes" alone would not say whether they touch the
# binary (proxy/, policies/) or only this benchmark.
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | awk '{ print $NF }' |
  sed -n '1,8p' | paste -sd, - | sed 's/,/, /g' || true)
[ -z "$dirty" ] || git_desc+=" (uncommitted changes in: $dirty)"
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'mode\t%s\n' "$([ "$quick" = 1 ] && echo quick || echo full)"
  printf 'duration\t%s\nwarmup\t%s\nrounds\t%s\n' "$duration" "$warmup" "$rounds"
  printf 'pinning\t%s\n' "$pinning"
  printf 'nproc\t%s\n' "$(nproc)"
  printf 'cpu_model\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  printf 'mem\t%s MiB\n' "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'jwt_sidecar\t%s (%s, built %s)\n' "$("$bin" --version)" "$bin_label" "$bin_built"
  printf 'git\t%s\n' "$git_desc"
  printf 'haproxy\t%s\n' "$haproxy_version"
  printf 'nginx\t%s\n' "$(nginx -v 2>&1)"
  printf 'wrk\t%s\n' "$(wrk -v 2>&1 | sed -n 1p | cut -d' ' -f1-3)"
  printf 'openssl\t%s\n' "$(openssl version)"
  printf 'node\t%s\n' "$(node --version)"
  printf 'load_start\t%s\n' "$load_start"
  printf 'load_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'elapsed\t%s\n' "$(($(date +%s) - started))"
  printf 'notes_file\t%s\n' "$raw/notes.md"
} >"$meta"
# The inputs of the report are kept next to the raw wrk outputs, so that the report can be
# rendered again (after a change to report.py) without measuring again:
#   python3 bench/e2e/report.py render bench/out/raw/results.jsonl bench/out/raw/meta.tsv \
#     --md bench/RESULTS.md --svg bench/results.svg
cp "$results" "$meta" "$notes" "$raw/"
python3 "$here/report.py" render "$raw/results.jsonl" "$raw/meta.tsv" \
  --md "$out/RESULTS.md" --svg "$out/results.svg"
say "raw wrk outputs and report inputs: $raw"
