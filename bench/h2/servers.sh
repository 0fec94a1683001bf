# Sourced by bench/h2/run.sh (not run on its own): writes the configs of the upstream (nginx,
# h2c), HAProxy 2.6 (HTTP/2 mode) and jwt-sidecar into $work, and starts the three. It uses
# run.sh's variables ($work, the ports, the pinning) and helpers (start, wait_h2, die).
# ------------------------------------------------------------------ nginx: the h2c upstream
nginx_user=""
if [ "$(id -u)" = 0 ]; then nginx_user="user $(id -un) $(id -gn);"; fi
cat >"$work/nginx/nginx.conf" <<EOF
$nginx_user
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log error;
worker_rlimit_nofile 16384;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  # Otherwise nginx ends an h2 connection (GOAWAY) after 1,000 requests.
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$p_nginx http2;
    root $work/nginx/html;
    location / { default_type text/plain; return 200 "ok\n"; }
    # gRPC: "return" cannot write NUL bytes, and the static module answers POST with 405, so
    # the 405 is turned into a 200 that serves the 5-byte empty message, plus the trailer.
    location /bench.Echo/ {
      error_page 405 =200 /empty.grpc;
      try_files /empty.grpc =404;
    }
    location = /empty.grpc {
      internal;
      etag off;
      default_type application/grpc;
      add_trailer grpc-status 0 always;
    }
  }
}
EOF
start nginx nginx_pid "${pin_load[@]}" nginx -p "$work/nginx" -e "$work/nginx/error.log" \
  -c "$work/nginx/nginx.conf" -g 'daemon off; master_process off;'
wait_h2 "http://127.0.0.1:$p_nginx/" "$nginx_pid" || { cat "$work/nginx.log" >&2; die "nginx did not start"; }

# ------------------------------------------------------------------ HAProxy 2.6 in HTTP/2 mode
# The JWT rules are those of bench/e2e/run.sh, RS256 only: jwt_verify checks the signature
# against the PEM key, then iss, aud and exp (present, not past) must hold, or 401.
cat >"$work/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  maxconn 4096
  timeout connect 5s
  timeout client 60s
  timeout server 30s
  timeout http-keep-alive 60s
  option forwardfor
frontend bench
  bind 127.0.0.1:$p_haproxy proto h2
  acl public path_beg /public /bench.Echo/
  http-request set-header X-Forwarded-Proto http
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-var(txn.bearer) http_auth_bearer unless public
  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('\$.alg') unless public
  http-request set-var(txn.sig) var(txn.bearer),jwt_verify(txn.alg,"$work/rs.pem") if !public { var(txn.alg) -m str RS256 }
  http-request set-var(txn.iss) var(txn.bearer),jwt_payload_query('\$.iss') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.aud) var(txn.bearer),jwt_payload_query('\$.aud') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('\$.exp','int') if !public { var(txn.sig) -m int 1 }
  http-request set-var(txn.now) date if !public
  http-request return status 401 content-type application/json string '{"error":"invalid_token"}' hdr WWW-Authenticate 'Bearer realm="haproxy", error="invalid_token"' unless public || { var(txn.sig) -m int 1 } { var(txn.iss) -m str $issuer } { var(txn.aud) -m str $audience } { var(txn.exp),sub(txn.now) -m int ge 0 }
  default_backend upstream
backend upstream
  server s1 127.0.0.1:$p_nginx proto h2
EOF
haproxy -c -q -f "$work/haproxy.cfg" || die "HAProxy rejected its config"
start_haproxy() {
  start haproxy haproxy_pid "${pin_proxy[@]}" haproxy -db -f "$work/haproxy.cfg"
  wait_h2 "http://127.0.0.1:$p_haproxy/public/" "$haproxy_pid" || { cat "$work/haproxy.log" >&2; die "HAProxy did not start"; }
}

# ------------------------------------------------------------------ jwt-sidecar
cat >"$work/sidecar.yaml" <<EOF
listen: 127.0.0.1:$p_sidecar
http2: true
upstream: h2c://127.0.0.1:$p_nginx
admin: 127.0.0.1:$p_admin
threads: 1
log_level: warn
access_log: false
providers:
  bench:
    issuer: $issuer
    audiences: [$audience]
    jwks_file: $work/jwks.json
    algorithms: [RS256]
routes:
  - name: public
    match: {prefix: /public}
    auth: none
  - name: grpc
    match: {prefix: /bench.Echo}
    auth: none
  - name: rs
    match: {prefix: /rs}
EOF
"$bin" check-config "$work/sidecar.yaml" >/dev/null || die "check-config failed"
start_sidecar() {
  start jwt-sidecar sidecar_pid "${pin_proxy[@]}" "$bin" --config "$work/sidecar.yaml"
  local n
  for ((n = 0; n < 100; n++)); do
    curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$p_admin/readyz" && return 0
    kill -0 "$sidecar_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$work/jwt-sidecar.log" >&2
  die "jwt-sidecar did not become ready"
}
start_haproxy
start_sidecar

