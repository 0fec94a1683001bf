#!/usr/bin/env bash
# Offline checks of deploy/ (ctest: deploy_manifests). Usage: run.sh JWT_SIDECAR_BINARY
#
#  1. deploy/Dockerfile (check-dockerfile.mjs, Node.js built-ins only): runtime packages vs
#     `ldd` of the binary, build packages, USER, EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD; then
#     `cmake --preset release` with the Dockerfile's -D options in a scratch directory; then
#     the HEALTHCHECK command itself against a running jwt-sidecar.
#  2. deploy/kubernetes (check-manifests.mjs, with kubernetes-models and yaml from npm):
#     Kustomize renders (render.mjs; compared with `kubectl kustomize` when that exists),
#     Kubernetes schemas, check-config on every jwt-sidecar config, ports, probes, Services,
#     shutdown timing, securityContext, resources, autoscaler, disruption budget.
#  3. Self-tests: deliberately broken copies of the manifests and the Dockerfile must fail,
#     each with its own message.
# Exits 0 when everything passed, 1 on any failure, 77 (ctest: skipped) when Node.js is
# missing or npm cannot install the pinned packages, so part 2 could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: run.sh JWT_SIDECAR_BINARY" >&2
  exit 2
fi
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=${DEPLOY_TEST_DIR:-$(dirname "$bin")/../deploy-manifests}
mkdir -p "$work"
work=$(cd "$work" && pwd)

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
  echo "deploy_manifests: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] || exit 1
  exit "${1:-0}"
}

if ! command -v node >/dev/null 2>&1; then
  echo "SKIPPED: Node.js is needed for the deploy/ checks"
  exit 77
fi
cp "$here"/*.mjs "$here/package.json" "$here/package-lock.json" "$work/"
cd "$repo" || exit 2

# ---- 1. Dockerfile ---------------------------------------------------------------------------

echo "== deploy/Dockerfile"
rm -f "$work/dockerfile.json"
if node "$work/check-dockerfile.mjs" --dockerfile deploy/Dockerfile --context "$repo" \
     --bin "$bin" --out "$work/dockerfile.json"; then
  pass "Dockerfile: runtime libraries, build stage, USER, EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD"
else
  fail "Dockerfile checks (see FAIL lines above)"
fi

json() { node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]; if (v !== undefined && v !== null) process.stdout.write(Array.isArray(v) ? v.join("\0") : String(v));' "$work/dockerfile.json" "$1"; }

# The Dockerfile's cmake options must be ones the project knows (an unknown -D is silently
# ignored by cmake: it only warns) and still produce the jwt-sidecar target.
configure_check() {  # DIR -DOPTION...
  local dir=$1; shift
  rm -rf "$dir"
  if ! cmake --preset release -B "$dir" "$@" >"$dir.log" 2>&1; then
    echo "cmake --preset release $* failed:"; tail -20 "$dir.log"; return 1
  fi
  if grep -q "Manually-specified variables were not used" "$dir.log"; then
    echo "cmake ignores some of the options $*:"; grep -A5 "Manually-specified" "$dir.log"; return 1
  fi
  if ! grep -q '^build bin/jwt-sidecar:' "$dir/build.ninja"; then
    echo "the configured build has no jwt-sidecar target"; return 1
  fi
  local d name value
  for d in "$@"; do
    name=${d#-D}; value=${name#*=}; name=${name%%=*}; name=${name%%:*}
    if ! grep -q "^$name:[A-Z]*=$value\$" "$dir/CMakeCache.txt"; then
      echo "CMakeCache.txt does not have $name=$value"; return 1
    fi
  done
}
mapfile -d '' defines < <(json cmakeDefines)
if [ "${#defines[@]}" -eq 0 ]; then
  fail "Dockerfile cmake options: none found"
elif out=$(configure_check "$work/docker-configure" "${defines[@]}"); then
  pass "Dockerfile cmake options configure the release preset: ${defines[*]}"
else
  fail "Dockerfile cmake options: $out"
fi

# The HEALTHCHECK command, run as the image would run it (empty environment, no curl),
# against a jwt-sidecar whose admin listener is on a free port.
mapfile -d '' healthcheck < <(json healthcheck)
admin_port=$(json adminPort)
if [ "${#healthcheck[@]}" -eq 0 ] || [ -z "$admin_port" ]; then
  fail "HEALTHCHECK: no command to run"
else
  mkdir -p "$work/healthcheck"
  cat >"$work/healthcheck/config.yaml" <<EOF
listen: 127.0.0.1:0
upstream: http://127.0.0.1:9
admin: 127.0.0.1:0
threads: 1
log_level: info
access_log: false
limits: {drain_timeout: 1s}
providers:
  local:
    issuer: https://idp.example.test
    audiences: [orders-api]
    jwks_file: $repo/config/examples/jwks.json
routes:
  - name: all
    match: {prefix: /}
EOF
  "$bin" --config "$work/healthcheck/config.yaml" >"$work/healthcheck/log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null' EXIT
  port=""
  for _ in $(seq 100); do
    port=$(grep -o '"admin":"127\.0\.0\.1:[0-9]*"' "$work/healthcheck/log" | grep -o '[0-9]*"$' | tr -d '"')
    [ -n "$port" ] && break
    sleep 0.1
  done
  hc() {  # run the HEALTHCHECK with the test's admin port (and optionally another path)
    local args=("${healthcheck[@]//$admin_port/$port}")
    [ $# -gt 0 ] && args=("${args[@]//\/healthz/$1}")
    timeout 10 env -i PATH=/usr/local/bin:/usr/bin:/bin "${args[@]}" >/dev/null 2>&1
  }
  if [ -z "$port" ]; then
    fail "HEALTHCHECK: jwt-sidecar did not start: $(tail -3 "$work/healthcheck/log")"
  else
    if hc; then pass "HEALTHCHECK: healthy while /healthz answers 200"
    else fail "HEALTHCHECK: exits non-zero against a running jwt-sidecar (admin port $port)"; fi
    if ! hc /no-such-path; then pass "HEALTHCHECK: unhealthy when the answer is not 200 (404)"
    else fail "HEALTHCHECK: reports healthy on a 404 answer"; fi
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  trap - EXIT
  if [ -n "$port" ]; then
    if ! hc; then pass "HEALTHCHECK: unhealthy when nothing listens on the admin port"
    else fail "HEALTHCHECK: reports healthy with jwt-sidecar stopped"; fi
  fi
fi

# ---- 2. Kubernetes manifests -----------------------------------------------------------------

echo "== deploy/kubernetes"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
stamp="$work/node_modules/.package-lock.sha256"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "SKIPPED: npm is needed to install kubernetes-models and yaml; the manifests were not checked"
    finish 77
  fi
  if ! (cd "$work" && timeout 240 npm ci --no-audit --no-fund --loglevel=error >"$work/npm.log" 2>&1); then
    echo "SKIPPED: could not install the pinned npm packages (tests/deploy/package-lock.json):"
    tail -5 "$work/npm.log"
    finish 77
  fi
  echo "$want" >"$stamp"
fi

overlays=(deploy/kubernetes/base deploy/kubernetes/overlays/edge-gateway deploy/kubernetes/overlays/grpc-sidecar)
references=()
mkdir -p "$work/kustomize-probe"
printf 'resources: [cm.yaml]\n' >"$work/kustomize-probe/kustomization.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe}\n' >"$work/kustomize-probe/cm.yaml"
if command -v kubectl >/dev/null 2>&1 && timeout 60 kubectl kustomize "$work/kustomize-probe" >/dev/null 2>&1; then
  for k in "${overlays[@]}"; do
    ref="$work/kustomize-$(basename "$k").yaml"
    if timeout 60 kubectl kustomize "$k" >"$ref" 2>"$ref.err"; then
      references+=(--reference "$k=$ref")
    else
      fail "kubectl kustomize $k: $(cat "$ref.err")"
    fi
  done
else
  echo "note: no working 'kubectl kustomize' here; render.mjs is not compared with kustomize this time"
fi

if node "$work/check-manifests.mjs" --bin "$bin" --work "$work" "${references[@]}" "${overlays[@]}"; then
  pass "Kubernetes manifests: renders, schemas, check-config, consistency${references:+, same as kustomize}"
else
  fail "Kubernetes manifest checks (see FAIL lines above)"
fi

# ---- 3. Self-tests: broken copies must fail ----------------------------------------------------

echo "== self-tests (each breaks one thing on purpose)"
# mutate FILE OLD NEW: replace the one occurrence of OLD in FILE (it must occur exactly once).
mutate() {
  # shellcheck disable=SC2016  # ${...} below is JavaScript, not shell
  node -e '
    const fs = require("fs");
    const [file, from, to] = process.argv.slice(1);
    const text = fs.readFileSync(file, "utf8");
    const count = text.split(from).length - 1;
    if (count !== 1) { console.error(`mutate: "${from}" occurs ${count} times in ${file}`); process.exit(1); }
    fs.writeFileSync(file, text.replace(from, () => to));' "$@"
}

# expect_manifest_failure WHAT FILE OLD NEW EXPECTED: break FILE (under deploy/kubernetes) in a
# copy; check-manifests must fail and say EXPECTED.
n=0
expect_manifest_failure() {
  local what=$1 file=$2 from=$3 to=$4 expected=$5
  n=$((n + 1))
  local dir="$work/mutants/$n"
  rm -rf "$dir" && mkdir -p "$dir/deploy" && cp -r "$repo/deploy/kubernetes" "$dir/deploy/"
  if ! mutate "$dir/deploy/kubernetes/$file" "$from" "$to"; then
    fail "self-test '$what': the mutation does not apply to $file any more"; return
  fi
  local out
  out=$(cd "$dir" && node "$work/check-manifests.mjs" --bin "$bin" --work "$dir/work" "${overlays[@]}" 2>&1)
  local status=$?
  if [ $status -eq 0 ]; then
    fail "self-test '$what': the broken manifests passed"
  elif ! grep -qF -- "$expected" <<<"$out"; then
    fail "self-test '$what': failed (exit $status) without saying \"$expected\":"; echo "$out" | grep -E 'FAIL|Error' | head -5
  else
    pass "self-test '$what': $(grep -F -- "$expected" <<<"$out" | head -1 | cut -c1-150)"
  fi
}

expect_manifest_failure "readiness probe on the wrong port" base/deployment.yaml \
  $'readinessProbe:\n            # 503 until every provider has a usable key set.\n            httpGet:\n              path: /readyz\n              port: admin' \
  $'readinessProbe:\n            httpGet:\n              path: /readyz\n              port: 9902' \
  "readinessProbe port 9902 (9902) is not the admin port 9901"
expect_manifest_failure "liveness probe on the wrong path" base/deployment.yaml \
  "path: /healthz
              port: admin" "path: /readyz
              port: admin" "livenessProbe path is /readyz, expected /healthz"
expect_manifest_failure "container port differs from listen" base/config.yaml \
  "listen: 0.0.0.0:8080" "listen: 0.0.0.0:8090" "no containerPort 8090"
expect_manifest_failure "admin on loopback" overlays/edge-gateway/config.yaml \
  "admin: 0.0.0.0:9901" "admin: 127.0.0.1:9901" "is not on every pod interface (0.0.0.0): the kubelet"
expect_manifest_failure "drain longer than the grace period" base/config.yaml \
  "drain_timeout: 20s" "drain_timeout: 40s" "terminationGracePeriodSeconds 40 < preStop sleep 5 + drain_timeout 40s"
expect_manifest_failure "drain_timeout left to the default" overlays/edge-gateway/config.yaml \
  "  drain_timeout: 30s" "" "limits.drain_timeout is not set explicitly"
expect_manifest_failure "no preStop sleep" overlays/edge-gateway/deployment-patch.yaml \
  "        - name: jwt-sidecar" $'        - name: jwt-sidecar\n          lifecycle: null' "no lifecycle.preStop.sleep.seconds"
expect_manifest_failure "app stops before the proxy drained" base/deployment.yaml \
  "seconds: 25" "seconds: 10" "preStop sleep 10 < jwt-sidecar's preStop 5 + drain_timeout 20s = 25"
expect_manifest_failure "Service targets the admin port" base/service.yaml \
  "targetPort: http" "targetPort: admin" "targetPort admin (9901) is not jwt-sidecar's listen port 8080"
expect_manifest_failure "app listens on every interface" base/deployment.yaml \
  "-listen=127.0.0.1:8081" "-listen=0.0.0.0:8081" "listens beyond loopback"
expect_manifest_failure "app probe needs a token" base/config.yaml \
  "    auth: none" "    auth: required" "meets route app-health with auth required"
expect_manifest_failure "writable root filesystem" base/deployment.yaml \
  $'readOnlyRootFilesystem: true\n            privileged: false\n            capabilities:\n              drop: ["ALL"]\n            seccompProfile:\n              type: RuntimeDefault\n          volumeMounts:' \
  $'readOnlyRootFilesystem: false\n            privileged: false\n            capabilities:\n              drop: ["ALL"]\n            seccompProfile:\n              type: RuntimeDefault\n          volumeMounts:' \
  "container jwt-sidecar: readOnlyRootFilesystem is not true"
expect_manifest_failure "capabilities kept" base/deployment.yaml \
  $'drop: ["ALL"]\n            seccompProfile:\n              type: RuntimeDefault\n      volumes:' \
  $'drop: ["NET_RAW"]\n            seccompProfile:\n              type: RuntimeDefault\n      volumes:' \
  "container app: capabilities.drop does not contain ALL"
expect_manifest_failure "PDB selects nothing" base/pdb.yaml \
  "      app.kubernetes.io/instance: example-app" "      app.kubernetes.io/instance: example-ap" \
  "0 PodDisruptionBudgets select its pods"
expect_manifest_failure "HPA targets a missing Deployment" overlays/edge-gateway/hpa.yaml \
  $'kind: Deployment\n    name: jwt-sidecar' $'kind: Deployment\n    name: jwt-sidecar-web' \
  "scaleTargetRef apps/v1 Deployment/jwt-sidecar-web names no workload"
expect_manifest_failure "replicas fight the HPA" overlays/edge-gateway/deployment-patch.yaml \
  "  replicas: null" "" "spec.replicas is set (2)"
expect_manifest_failure "overlay pods match the base's selectors" overlays/edge-gateway/kustomization.yaml \
  "includeSelectors: true" "includeSelectors: false" "its selector also matches the pods of"
expect_manifest_failure "more threads than the CPU limit" base/config.yaml \
  "threads: 1" "threads: 4" "config threads 4 exceeds the CPU limit"
expect_manifest_failure "config that check-config refuses" base/config.yaml \
  "providers: [corp]" "providers: [nobody]" "names unknown provider 'nobody'"
expect_manifest_failure "config not where --config points" base/deployment.yaml \
  "mountPath: /etc/jwt-sidecar" "mountPath: /etc/jwt" "no volume is mounted at /etc/jwt-sidecar/config.yaml"
expect_manifest_failure "schema: string port" base/deployment.yaml \
  "containerPort: 8080" 'containerPort: "8080"' "containerPort must be integer"
expect_manifest_failure "schema: misspelt field" base/deployment.yaml \
  "terminationGracePeriodSeconds: 40" "terminationGracePeriodSecond: 40" \
  'unknown field "spec.template.spec.terminationGracePeriodSecond"'
expect_manifest_failure "kustomization field the renderer lacks" base/kustomization.yaml \
  "configMapGenerator:" "secretGenerator:" "field 'secretGenerator' is not supported"

# expect_dockerfile_failure WHAT OLD NEW EXPECTED: the same for a copy of deploy/Dockerfile.
expect_dockerfile_failure() {
  local what=$1 from=$2 to=$3 expected=$4
  n=$((n + 1))
  local dir="$work/mutants/$n"
  rm -rf "$dir" && mkdir -p "$dir" && cp "$repo/deploy/Dockerfile" "$dir/Dockerfile"
  if ! mutate "$dir/Dockerfile" "$from" "$to"; then
    fail "self-test '$what': the mutation does not apply to deploy/Dockerfile any more"; return
  fi
  local out status
  out=$(node "$work/check-dockerfile.mjs" --dockerfile "$dir/Dockerfile" --context "$repo" --bin "$bin" --out "$dir/out.json" 2>&1)
  status=$?
  if [ $status -eq 0 ]; then
    fail "self-test '$what': the broken Dockerfile passed"
  elif ! grep -qF -- "$expected" <<<"$out"; then
    fail "self-test '$what': failed (exit $status) without saying \"$expected\":"; echo "$out" | grep -E 'FAIL|Error' | head -5
  else
    pass "self-test '$what': $(grep -F -- "$expected" <<<"$out" | head -1 | cut -c1-150)"
  fi
}

expect_dockerfile_failure "runtime library missing" " libssl3 " " " \
  "the binary links libssl.so.3"
expect_dockerfile_failure "dev package missing" " libsimdjson-dev " " " \
  "does not install libsimdjson-dev"
expect_dockerfile_failure "user by name" "USER 65532:65532" "USER jwt-sidecar" "is not numeric"
expect_dockerfile_failure "root user" "USER 65532:65532" "USER 0" "USER is root"
expect_dockerfile_failure "admin port not exposed" "EXPOSE 8080 9901" "EXPOSE 8080" \
  "EXPOSE does not include the default config's admin port 9901"
expect_dockerfile_failure "health check needs curl" 'CMD ["bash", "-c", "exec' 'CMD ["curl", "-c", "exec' \
  "the HEALTHCHECK program curl"
expect_dockerfile_failure "no health check" "HEALTHCHECK --interval" "# HEALTHCHECK --interval" \
  "no HEALTHCHECK"
expect_dockerfile_failure "shell-form entrypoint" 'ENTRYPOINT ["/usr/local/bin/jwt-sidecar"]' \
  "ENTRYPOINT /usr/local/bin/jwt-sidecar" "no ENTRYPOINT in exec form"
n=$((n + 1))
if out=$(configure_check "$work/mutants/$n" -DJWT_SIDECAR_BUILD_TESTS=OFF -DJWT_SIDECAR_BUILD_BENCHES=OFF); then
  fail "self-test 'misspelt cmake option': configure_check accepted -DJWT_SIDECAR_BUILD_BENCHES"
elif grep -q "JWT_SIDECAR_BUILD_BENCHES" <<<"$out"; then
  pass "self-test 'misspelt cmake option': cmake ignores some of the options (JWT_SIDECAR_BUILD_BENCHES)"
else
  fail "self-test 'misspelt cmake option': failed for another reason: $out"
fi

finish 0
