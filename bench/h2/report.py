#!/usr/bin/env python3
"""Records h2load outputs and renders bench/h2/RESULTS.md for bench/h2/run.sh.

    report.py record RESULTS.jsonl H2LOAD_OUTPUT --workload W --proxy P --round N
                     --duration S [--cpu-ticks T] [--cpu1-busy PCT]
    report.py extra  RESULTS.jsonl KEY JSON
    report.py render RESULTS.jsonl META.tsv NOTES.md COMMANDS.txt --md OUT.md

`record` parses one h2load output (stdout and stderr together), appends one JSON line, and
prints a one-line summary. `render` turns all of them into the Markdown report. The headline
figure is 2xx responses per second (h2load's own req/s counts every finished request, 4xx
and 5xx included, so a proxy that refuses everything would look fast): a run with any
non-2xx answer, failed, errored or timed-out request is flagged, never hidden.
"""
import argparse
import json
import re
import statistics
import sys

WORKLOADS = [
    # key, title, target ratio jwt-sidecar / HAProxy
    ("plain", "1. plain proxying (no JWT)", 1.0),
    ("rs_one", "2. RS256, one token repeated", 1.5),
    ("grpc", "3. gRPC unary (POST application/grpc, 5-byte-prefixed body)", 1.0),
]
PROXIES = [("haproxy", "HAProxy"), ("jwt-sidecar", "jwt-sidecar")]
TICKS_PER_SECOND = 100


def parse_h2load(text):
    r = {"rps": None, "total": 0, "done": 0, "succeeded": 0, "failed": 0, "errored": 0,
         "timeout": 0, "s2xx": 0, "s3xx": 0, "s4xx": 0, "s5xx": 0, "error_lines": []}
    m = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", text)
    if m:
        r["rps"] = float(m.group(1))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", text)
    if m:
        for key, value in zip(("total", "started", "done", "succeeded", "failed", "errored",
                               "timeout"), m.groups()):
            r[key] = int(value)
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    if m:
        r["s2xx"], r["s3xx"], r["s4xx"], r["s5xx"] = map(int, m.groups())
    # h2load's own complaints (connect errors, protocol errors, closed connections...).
    for line in text.splitlines():
        low = line.lower()
        if ("error" in low or "fail" in low or "could not" in low or "closed" in low) \
                and not low.startswith("requests:"):
            if line not in r["error_lines"] and len(r["error_lines"]) < 5:
                r["error_lines"].append(line.strip()[:200])
    r["parsed"] = r["rps"] is not None and m is not None
    return r


def non2xx(r):
    return r["s3xx"] + r["s4xx"] + r["s5xx"]


def bad_count(r):
    # h2load counts a status when the headers arrive and "done" when the stream ends, so the
    # 2xx count may exceed "done" by a request or so: compare nothing with "done".
    return non2xx(r) + r["failed"] + r["errored"] + r["timeout"]


def cpu_figures(before, after, duration):
    """CPU use over one run from two snapshots taken by run.sh (see its snapshot())."""
    b, e = [float(x) for x in before.split()], [float(x) for x in after.split()]
    if len(b) != 7 or len(e) != 7:
        return {}
    d = [y - x for x, y in zip(b, e)]
    # Percentages of the wall time between the snapshots, as /proc/stat counted it.
    wall = (d[2] + d[3]) or TICKS_PER_SECOND * duration
    pct = lambda ticks: 100 * ticks / wall
    return {"cpu_ticks": int(d[0]), "proxy_cpu": pct(d[0]), "nginx_cpu": pct(d[1]),
            "cpu0_busy": pct(d[2]), "cpu1_busy": 100 * d[4] / ((d[4] + d[5]) or wall),
            "h2load_cpu": pct(d[6] * TICKS_PER_SECOND)}


def cmd_record(a):
    with open(a.output, errors="replace") as f:
        parsed = parse_h2load(f.read())
    rec = {"kind": "run", "workload": a.workload, "proxy": a.proxy, "round": a.round,
           "duration": a.duration, "upstream_conns": a.upstream_conns,
           "ok_rps": min(parsed["s2xx"], parsed["succeeded"]) / a.duration, **parsed,
           **cpu_figures(a.before, a.after, a.duration)}
    with open(a.results, "a") as f:
        f.write(json.dumps(rec) + "\n")
    flag = "" if parsed["parsed"] and bad_count(parsed) == 0 else \
        f"  ERRORS: {parsed['s4xx']} 4xx, {parsed['s5xx']} 5xx, {parsed['failed']} failed, " \
        f"{parsed['errored']} errored, {parsed['timeout']} timeout"
    cpu = ""
    if rec.get("proxy_cpu") is not None and a.proxy != "nginx":
        cpu = (f", proxy CPU {rec['proxy_cpu']:.0f}%, h2load+nginx "
               f"{rec['h2load_cpu'] + rec['nginx_cpu']:.0f}%")
    print(f"   {a.workload:7s} {a.proxy:12s} round {a.round}: {rec['ok_rps']:9.0f} 2xx/s{cpu}{flag}")
    if not parsed["parsed"]:
        print("   (could not parse h2load's output: see the raw file)")


def cmd_extra(a):
    with open(a.results, "a") as f:
        f.write(json.dumps({"kind": "extra", "key": a.key, "value": json.loads(a.json)}) + "\n")


def fmt(x, digits=0):
    return "–" if x is None else f"{x:,.{digits}f}".replace(",", " ")


def summarize(of, wl):
    st = {}
    for proxy, _ in PROXIES:
        rs = of(wl, proxy)
        ok = [r["ok_rps"] for r in rs]
        cpu_rs = [r for r in rs if r.get("cpu_ticks")]
        med = lambda f: statistics.median([f(r) for r in cpu_rs]) if cpu_rs else None
        bad = [r for r in rs if bad_count(r) or not r["parsed"]]
        if not rs:
            errors = "not run"
        elif not bad:
            errors = "none"
        else:
            tot = {k: sum(r[k] for r in rs) for k in ("s3xx", "s4xx", "s5xx", "failed",
                                                      "errored", "timeout")}
            errors = (f"**{len(bad)}/{len(rs)} runs**: {tot['s4xx']} 4xx, {tot['s5xx']} 5xx, "
                      f"{tot['s3xx']} 3xx, {tot['failed']} failed, {tot['errored']} errored, "
                      f"{tot['timeout']} timeout")
        st[proxy] = {
            "n": len(rs), "bad": len(bad), "errors": errors,
            "median": statistics.median(ok) if ok else None,
            "min": min(ok) if ok else None, "max": max(ok) if ok else None,
            "cpu": med(lambda r: r["proxy_cpu"]),
            "eff": med(lambda r: r["s2xx"] / (r["cpu_ticks"] / TICKS_PER_SECOND)),
            "load": med(lambda r: r["h2load_cpu"] + r["nginx_cpu"]),
            "busy": med(lambda r: r["cpu1_busy"]),
            "other0": med(lambda r: max(0.0, r["cpu0_busy"] - r["proxy_cpu"])),
            "other1": med(lambda r: max(0.0, r["cpu1_busy"] - r["h2load_cpu"] - r["nginx_cpu"])),
            "error_line": next((l for r in rs for l in r["error_lines"]), None),
        }
    h, j = st["haproxy"], st["jwt-sidecar"]
    st["ratio"] = j["median"] / h["median"] if h["median"] and j["median"] is not None else None
    st["eff_ratio"] = j["eff"] / h["eff"] if h["eff"] and j["eff"] is not None else None
    return st


def target_notes(st, ratio, target, met):
    h, j = st["haproxy"], st["jwt-sidecar"]
    out = []
    for proxy, label in PROXIES:
        p = st[proxy]
        if p["bad"]:
            out.append(f"{label} had errors in {p['bad']} of {p['n']} runs ({p['errors']}); "
                       f"its figure counts 2xx answers only, so it is not a throughput "
                       f"figure.")
    if ratio is None:
        return out + ["No ratio: a proxy was not measured or served no 2xx."]
    if ratio >= target and not j["bad"]:
        out.append(f"target met ({ratio:.2f}× ≥ {target:.1f}×).")
    else:
        out.append(f"**target missed**: {ratio:.2f}× against ≥ {target:.1f}×.")
    spread = [p for p in (h, j) if p["median"] and p["max"] - p["min"] > 0.1 * p["median"]]
    if spread:
        out.append("The rounds of " + " and ".join(
            "HAProxy" if p is h else "jwt-sidecar" for p in spread) +
            " spread by more than 10% of the median (shared machine): read the ratio "
            "as ± that.")
    if h["cpu"] is not None and j["cpu"] is not None and h["busy"] is not None:
        limited = h["cpu"] < 90 and j["cpu"] < 90 and min(h["busy"], j["busy"] or 0) >= 95
        other = max(h["other0"] or 0, j["other0"] or 0, h["other1"] or 0, j["other1"] or 0)
        if other >= 10:
            out.append(f"Other processes of the shared machine took up to {other:.0f}% of a "
                       f"core during these runs (see CPU use), which adds noise.")
        if limited:
            out.append(f"Neither proxy used its whole core (HAProxy {h['cpu']:.0f}%, "
                       f"jwt-sidecar {j['cpu']:.0f}%) while CPU 1 (h2load + nginx) was "
                       f"at least {min(h['busy'], j['busy']):.0f}% busy: the load side limits both, "
                       f"so req/s also reflects the work each proxy's traffic causes on CPU 1 "
                       f"(upstream connections, frames) and its latency.")
        if st["eff_ratio"] is not None and not j["bad"]:
            out.append(f"Per proxy CPU-second, jwt-sidecar served {st['eff_ratio']:.2f}× "
                       f"HAProxy's 2xx answers.")
    return out


def cmd_render(a):
    runs, extras = [], {}
    with open(a.results) as f:
        for line in f:
            rec = json.loads(line)
            if rec["kind"] == "run":
                runs.append(rec)
            else:
                extras[rec["key"]] = rec["value"]
    meta = {}
    with open(a.meta) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            meta[key] = value
    with open(a.notes) as f:
        notes = f.read()
    with open(a.commands) as f:
        commands = f.read().rstrip("\n")

    def of(wl, proxy):
        return [r for r in runs if r["workload"] == wl and r["proxy"] == proxy]

    out = []
    w = out.append
    w("# HTTP/2 benchmark: jwt-sidecar against HAProxy 2.6 (issue 15)\n")
    w(f"Generated by `bench/h2/run.sh` ({meta.get('mode')} mode) on {meta.get('date')}. "
      f"Re-run with `bash bench/h2/run.sh`; `--quick` for a 1 s smoke run.\n")
    w("## Setup\n")
    for key, label in [("nproc", "machine"), ("cpu_model", "CPU"), ("kernel", "kernel"),
                       ("jwt_sidecar", "jwt-sidecar"), ("git", "source"), ("haproxy", "HAProxy"),
                       ("nginx", "nginx (upstream)"), ("h2load", "load generator"),
                       ("openssl", "OpenSSL"), ("pinning", "pinning"), ("load", "load average"),
                       ("quiet", "shared machine")]:
        value = meta.get(key, "?")
        if key == "nproc":
            value = f"{value} cores, {meta.get('mem', '?')}"
        w(f"- **{label}**: {value}")
    w(f"- **runs**: {meta.get('rounds')} round(s) per workload and proxy, "
      f"{meta.get('duration')} s each, after a separate {meta.get('warmup')} s warm-up run with "
      f"the same arguments; rounds alternate which proxy goes first; the whole run took "
      f"{meta.get('elapsed')} s")
    w("")
    w("Commands (ports are picked free at each run; the token is never printed, `$TOKEN` "
      "stands for it):\n")
    w("```")
    w(commands)
    w("```\n")

    stats = {wl: summarize(of, wl) for wl, _, _ in WORKLOADS}
    w("## Results\n")
    w("Median over the rounds of **2xx responses per second** (equal to h2load's req/s when "
      "every answer is 2xx; the range over the rounds in brackets). h2load: 32 connections × "
      "10 concurrent streams, one h2c client thread.\n")
    w("| workload | HAProxy 2xx/s | jwt-sidecar 2xx/s | ratio jwt-sidecar / HAProxy | target "
      "| met? | errors (HAProxy ; jwt-sidecar) |")
    w("|---|---:|---:|---:|---:|---|---|")
    verdicts = []
    for wl, title, target in WORKLOADS:
        st = stats[wl]
        ratio = st["ratio"]
        met = "–" if ratio is None else ("yes" if ratio >= target else "**no**")
        if st["jwt-sidecar"]["bad"]:
            met = "**no** (errors)"
        verdicts.append((wl, title, ratio, target, met))
        cells = []
        for proxy, _ in PROXIES:
            p_ = st[proxy]
            cells.append("not run" if p_["median"] is None else
                         f"{fmt(p_['median'])} ({fmt(p_['min'])}–{fmt(p_['max'])})")
        w(f"| {title} | {cells[0]} | {cells[1]} | **{fmt(ratio, 2)}×** | ≥ {target:.1f}× "
          f"| {met} | {st['haproxy']['errors']} ; {st['jwt-sidecar']['errors']} |")
    direct = extras.get("direct", {})
    if direct:
        w("")
        w("For reference, h2load straight to nginx (no proxy, same arguments, one run each, "
          "taken before the rounds), 2xx/s: " + ", ".join(f"{k} {fmt(v)}" for k, v in direct.items()) + ".")
    w("")
    w("### CPU use\n")
    w("Medians over the rounds, in % of one core over the measured run: the proxy (utime + "
      "stime from /proc/PID/stat, alone on CPU 0), the load side (h2load from the shell's "
      "child times, nginx from /proc, both on CPU 1), and whatever else the shared machine "
      "ran on each core meanwhile (/proc/stat busy time minus the above). When a proxy is "
      "well under 100% while CPU 1 is full, the load side is the bottleneck and req/s "
      "understates the proxy; 2xx per proxy CPU-second is then the better per-core "
      "comparison.\n")
    w("| workload | HAProxy CPU | jwt-sidecar CPU | HAProxy 2xx per CPU-s | jwt-sidecar 2xx "
      "per CPU-s | ratio | h2load + nginx (H ; J) | other load CPU 0 (H ; J) | other load "
      "CPU 1 (H ; J) |")
    w("|---|---:|---:|---:|---:|---:|---|---|---|")
    for wl, title, _ in WORKLOADS:
        st = stats[wl]
        h, j = st["haproxy"], st["jwt-sidecar"]
        w(f"| {title.split(' (')[0]} | {fmt(h['cpu'])}% | {fmt(j['cpu'])}% | {fmt(h['eff'])} "
          f"| {fmt(j['eff'])} | {fmt(st['eff_ratio'], 2)}× | {fmt(h['load'])}% ; "
          f"{fmt(j['load'])}% | {fmt(h['other0'])}% ; {fmt(j['other0'])}% "
          f"| {fmt(h['other1'])}% ; {fmt(j['other1'])}% |")
    w("")
    w("### Notes on the targets (written by report.py from this run's figures)\n")
    for wl, title, ratio, target, met in verdicts:
        w(f"- **{title}**: " + " ".join(target_notes(stats[wl], ratio, target, met)))
    w("")

    w("### Every round\n")
    w("`upstream conns`: h2 connections the proxy held open to nginx just after the run "
      "(320 streams were in flight; nginx allows 128 per connection).\n")
    w("| workload | proxy | round | 2xx/s | h2load req/s | 2xx | non-2xx | failed | errored "
      "| timeout | proxy CPU | upstream conns |")
    w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        cpu = "–" if r.get("proxy_cpu") is None else f"{r['proxy_cpu']:.0f}%"
        w(f"| {r['workload']} | {r['proxy']} | {r['round']} | {fmt(r['ok_rps'])} "
          f"| {fmt(r['rps'])} | {r['s2xx']} | {non2xx(r)} | {r['failed']} "
          f"| {r['errored']} | {r['timeout']} | {cpu} | {fmt(r.get('upstream_conns'))} |")
    lines = [(r["workload"], r["proxy"], r["round"], l) for r in runs for l in r["error_lines"]]
    if lines:
        w("\nh2load error lines (first of each run):\n")
        w("```")
        seen = set()
        for wl, proxy, rnd, line in lines:
            if (wl, proxy, rnd) not in seen:
                seen.add((wl, proxy, rnd))
                w(f"{wl} {proxy} round {rnd}: {line}")
        w("```")
    w("")

    w("## Memory: 1,000 idle h2 connections\n")
    w("A fresh instance of each proxy (same config), then `bench/h2/idle_h2.py`: 1,000 TCP "
      "connections that each send the h2 preface and SETTINGS, ACK the server's SETTINGS and "
      "stay silent. VmRSS before, VmRSS and VmHWM with all of them open (KiB).\n")
    w("| proxy | opened / still open | RSS before | RSS with 1,000 idle | VmHWM | added per "
      "connection |")
    w("|---|---:|---:|---:|---:|---:|")
    for proxy, label in PROXIES:
        m = extras.get(f"idle_{proxy}")
        if not m:
            w(f"| {label} | not measured | | | | |")
            continue
        per = None
        if m.get("rss_kib") is not None and m.get("rss_before_kib") is not None and m["opened"]:
            per = (m["rss_kib"] - m["rss_before_kib"]) / m["opened"]
        w(f"| {label} | {m['opened']} / {m['still_open']} | {fmt(m['rss_before_kib'])} "
          f"| {fmt(m['rss_kib'])} | {fmt(m['hwm_kib'])} | {fmt(per, 1)} KiB |"
          + (f" error: {m['error']}" if m.get("error") else ""))
    w("")
    w(notes)
    with open(a.md, "w") as f:
        f.write("\n".join(out).rstrip() + "\n")
    for _, title, ratio, target, met in verdicts:
        print(f"   {title}: ratio {fmt(ratio, 2)}x (target >= {target:.1f}x): {met}")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("results")
    r.add_argument("output")
    r.add_argument("--workload", required=True)
    r.add_argument("--proxy", required=True)
    r.add_argument("--round", type=int, required=True)
    r.add_argument("--duration", type=float, required=True)
    r.add_argument("--before", default="")
    r.add_argument("--after", default="")
    r.add_argument("--upstream-conns", type=int, default=None)
    e = sub.add_parser("extra")
    e.add_argument("results")
    e.add_argument("key")
    e.add_argument("json")
    d = sub.add_parser("render")
    d.add_argument("results")
    d.add_argument("meta")
    d.add_argument("notes")
    d.add_argument("commands")
    d.add_argument("--md", required=True)
    a = p.parse_args()
    {"record": cmd_record, "extra": cmd_extra, "render": cmd_render}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
