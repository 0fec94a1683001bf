#!/usr/bin/env bash
# Offline checks of the monitoring files under deploy/:
#  - deploy/grafana/jwt-sidecar.json is valid JSON with a datasource variable;
#  - every jwt_sidecar_* metric that the Prometheus rules and the dashboard use is one that
#    docs/operations.md documents (so a renamed metric cannot leave a silent rule behind), and
#    every documented metric has a dashboard panel;
#  - promtool check rules on deploy/prometheus/*.yml, and on the dashboard's queries;
#  - promtool test rules on deploy/prometheus/tests/*.yml (each alert firing and not firing).
#
# Usage: tests/ops/run.sh [REPOSITORY_ROOT]   (default: two levels above this script)
# Exits 0 when all pass, 1 on a failure, 77 (skipped) when promtool is not installed
# (Debian: the `prometheus` package, which deploy/install-deps.sh installs). PROMTOOL=path
# overrides which promtool is used.
set -euo pipefail

root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
rules_dir="$root/deploy/prometheus"
dashboard="$root/deploy/grafana/jwt-sidecar.json"
for f in "$rules_dir/alerts.yml" "$rules_dir/recording.yml" "$dashboard" "$root/docs/operations.md"; do
  if [ ! -f "$f" ]; then
    echo "ops: missing $f" >&2
    exit 1
  fi
done

python3 - "$root" <<'PY'
import json
import os
import re
import sys

root = sys.argv[1]
problems = []


def read(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


# The dashboard: valid JSON, a datasource variable, and every panel target on it.
try:
    board = json.loads(read("deploy/grafana/jwt-sidecar.json"))
except ValueError as e:
    problems.append("deploy/grafana/jwt-sidecar.json is not valid JSON: %s" % e)
    board = None
if board is not None:
    variables = board.get("templating", {}).get("list", [])
    if not any(v.get("type") == "datasource" for v in variables):
        problems.append("deploy/grafana/jwt-sidecar.json has no datasource variable")
    panels = []
    for panel in board.get("panels", []):
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    if not any(p.get("targets") for p in panels):
        problems.append("deploy/grafana/jwt-sidecar.json has no panel with a query")
    for p in panels:
        for t in p.get("targets", []):
            if not t.get("expr"):
                problems.append("dashboard panel %r has a target without expr" % p.get("title"))

# Metric names: documented in docs/operations.md.
documented = set(re.findall(r"`(jwt_sidecar_[a-z0-9_]+)`", read("docs/operations.md")))
for path in ("deploy/prometheus/alerts.yml", "deploy/prometheus/recording.yml",
             "deploy/grafana/jwt-sidecar.json"):
    text = read(path)
    # Recorded series (job:jwt_sidecar_...:rate5m) are names of our own; only raw metrics count.
    for name in sorted(set(re.findall(r"(?<![:\w])(jwt_sidecar_[a-z0-9_]+)", text))):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if name not in documented and base not in documented:
            problems.append("%s uses metric %s, which docs/operations.md does not document"
                            % (path, name))

# And the other way: every documented metric has a panel, so a new metric cannot be left off
# the dashboard.
board_text = read("deploy/grafana/jwt-sidecar.json")
for name in sorted(documented):
    if not re.search(r"(?<![:\w])%s(?:_bucket|_count|_sum)?(?![\w])" % re.escape(name), board_text):
        problems.append("docs/operations.md documents %s, which no dashboard panel shows" % name)

if problems:
    for p in problems:
        print("ops: " + p, file=sys.stderr)
    sys.exit(1)
print("ops: dashboard JSON and the metric names of rules and dashboard are consistent with docs/operations.md")
PY

promtool="${PROMTOOL:-$(command -v promtool || true)}"
if [ -z "$promtool" ] || [ ! -x "$promtool" ]; then
  echo "ops: promtool not found (install Debian's prometheus package); skipping the rule checks" >&2
  exit 77
fi

"$promtool" check rules "$rules_dir"/*.yml

# The dashboard's queries parse: each becomes a recording rule in a scratch file, with the
# Grafana variables replaced by values.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
python3 - "$dashboard" > "$scratch/dashboard-queries.yml" <<'PY'
import json
import sys

board = json.load(open(sys.argv[1], encoding="utf-8"))
panels = []
for panel in board.get("panels", []):
    panels.append(panel)
    panels.extend(panel.get("panels", []))
print("groups:\n  - name: dashboard-queries\n    rules:")
n = 0
for p in panels:
    for t in p.get("targets", []):
        expr = (t["expr"].replace("$__rate_interval", "5m").replace("$__range", "1h")
                .replace("$job", "jwt-sidecar").replace("$instance", ".+"))
        n += 1
        print("      - record: dashboard_query_%d" % n)
        print("        expr: %s" % json.dumps(expr))
PY
echo "ops: the dashboard's queries:"
"$promtool" check rules "$scratch/dashboard-queries.yml"
tests=("$rules_dir"/tests/*.yml)
if [ ! -e "${tests[0]}" ]; then
  echo "ops: no rule tests in $rules_dir/tests" >&2
  exit 1
fi
# promtool resolves rule_files relative to each test file.
"$promtool" test rules "${tests[@]}"
echo "ops: ok"
