# Sourced by bench/h2/run.sh (not run on its own): the checks made before any measurement.
# RS256 parity between the proxies (the run stops if they disagree), then one gRPC call
# through each target, looking at :status, DATA and the grpc-status trailer (nghttp -v), and
# one real unary call with python3-grpcio. Results go to $notes for RESULTS.md.
# ------------------------------------------------------------------ checks before measuring
notes=$work/notes.md
{
  say "## Checks made before measuring"
  say ""
  say "RS256 parity (h2c, curl): both proxies must answer each token alike, else the run stops."
  say "HAProxy checks signature, iss, aud, exp with \`jwt_verify\` + \`jwt_payload_query\`;"
  say "jwt-sidecar checks those and more (kid, nbf, iat, clock skew, strict parsing)."
  say ""
  say "| case | expected | HAProxy | jwt-sidecar |"
  say "|---|---:|---:|---:|"
} >"$notes"
say "== parity (RS256 tokens, h2c)"
parity_failed=0
parity_row() { # NAME EXPECTED PATH [curl args...]
  local name=$1 want=$2 path=$3 h j
  shift 3
  h=$(h2get "http://127.0.0.1:$p_haproxy$path" "$@")
  j=$(h2get "http://127.0.0.1:$p_sidecar$path" "$@")
  [ "$h" = "$want" ] && [ "$j" = "$want" ] || parity_failed=1
  say "| $name | $want | $h | $j |" >>"$notes"
  printf '   %-16s expected %s: HAProxy %s, jwt-sidecar %s\n' "$name" "$want" "$h" "$j"
}
while IFS=$'\t' read -r name want tok; do
  case "$name" in *es256|*hs256) continue ;; esac
  parity_row "$name" "$want" /rs/parity -H "Authorization: Bearer $tok"
done <"$work/parity.tsv"
parity_row no_token 401 /rs/parity
parity_row public_no_token 200 /public/parity
[ "$parity_failed" = 0 ] || { cat "$notes" >&2; die "the proxies disagree: the comparison would not be fair"; }

say "== gRPC path: status, body and trailers (nghttp -v), and one grpcio call"
{
  say ""
  say "gRPC path, one call each before measuring: \`nghttp -v -d req.grpc -H 'content-type: application/grpc' -H 'te: trailers' URL\`"
  say "(h2load cannot see trailers), and one unary call with python3-grpcio (\`bench/h2/grpc_check.py\`, no content-length):"
  say ""
  say "| target | :status | content-type | DATA bytes | grpc-status trailer | grpcio call |"
  say "|---|---|---|---:|---|---|"
} >>"$notes"
grpc_row() { # LABEL PORT
  local f="$raw/grpc-check.$1.txt" status ctype data trailer grpcio="not run"
  timeout 10 nghttp -v -d "$work/req.grpc" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$2$grpc_method" 2>&1 | tr -d '\000' >"$f" || true
  status=$(awk '/recv \(stream_id=13\) :status:/ && !s { s = $NF } END { print s }' "$f")
  ctype=$(awk '/recv \(stream_id=13\) content-type:/ && !s { s = $NF } END { print s }' "$f")
  data=$(awk -F'length=' '/recv DATA frame/ { split($2, a, ","); n += a[1] } END { print n + 0 }' "$f")
  # The trailer is the grpc-status received after the DATA frame (a Trailers-Only answer has
  # it in the first and only HEADERS).
  trailer=$(awk '/recv DATA frame/ { d = 1 } /recv \(stream_id=13\) grpc-status:/ && !s { s = (d ? "" : "(headers only) ") $NF } END { print s }' "$f")
  if [ -n "$grpc_python" ]; then
    grpcio=$(timeout 15 "$grpc_python" "$here/grpc_check.py" "127.0.0.1:$2" "$grpc_method" "$work/req.grpc" 2>&1 | tail -n1 || true)
  fi
  say "| $1 | ${status:-none} | ${ctype:-none} | $data | ${trailer:-none} | $grpcio |" >>"$notes"
  if [ "$status" != 200 ] || [ "$trailer" != 0 ]; then
    grpc_notes+=("$1: the h2load-shaped call (POST with content-length, as h2load -d sends) got :status ${status:-none} and grpc-status ${trailer:-none}; the grpcio call (no content-length): $grpcio.")
  fi
  printf '   %-12s :status %s, %s bytes, grpc-status %s; grpcio: %s\n' "$1" "${status:-none}" "$data" "${trailer:-none}" "$grpcio"
}
grpc_notes=()
grpc_row nginx "$p_nginx"
grpc_row haproxy "$p_haproxy"
grpc_row jwt-sidecar "$p_sidecar"
if [ "${#grpc_notes[@]}" -gt 0 ]; then
  say "" >>"$notes"
  for line in "${grpc_notes[@]}"; do say "- **$line**" >>"$notes"; done
fi
