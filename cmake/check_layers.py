#!/usr/bin/env python3
"""Fails the build when a source file includes against the layer order.

Layers, lowest first: common <- config <- policies <- proxy/io <- proxy/runtime <-
proxy/observability <- proxy/keys <- proxy/revocation <- proxy/http1 <- proxy/http2 <- proxy/auth_service <- proxy/server <- proxy/cli. A file may
include its own layer and the ones below it, never one above. Third-party headers have one
home each: yaml-cpp in config/, simdjson in policies/, Asio/Beast in proxy/.
Usage: check_layers.py SOURCE_DIR [STAMP_FILE]
"""
import os
import re
import sys

LAYERS = ["common", "config", "policies", "proxy/io", "proxy/runtime", "proxy/observability",
          "proxy/keys", "proxy/revocation", "proxy/http1", "proxy/http2", "proxy/auth_service", "proxy/server", "proxy/cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}
THIRD_PARTY = [  # (include prefix, layers allowed to use it, header files allowed too)
    ("yaml-cpp/", {"config"}, True),
    ("simdjson", {"policies"}, True),
    ("hiredis/", {"proxy/revocation"}, False),
    ("nghttp2/", {"proxy/http2"}, True),
    ("boost/asio", {l for l in LAYERS if l.startswith("proxy/")}, True),
    ("boost/beast", {l for l in LAYERS if l.startswith("proxy/")}, True),
]
QUOTED = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ANGLED = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)


def layer_of(path):
    best = None
    for name in LAYERS:
        if path == name or path.startswith(name + "/"):
            if best is None or len(name) > len(best):
                best = name
    return best


def check_file(root, rel, problems):
    layer = layer_of(rel)
    text = open(os.path.join(root, rel), encoding="utf-8", errors="replace").read()
    for target in QUOTED.findall(text):
        target_layer = layer_of(target)
        if target_layer is None:
            problems.append(f"{rel}: includes \"{target}\", which is in no layer")
        elif RANK[target_layer] > RANK[layer]:
            problems.append(f"{rel}: {layer} may not include \"{target}\" ({target_layer} is above it)")
    for target in ANGLED.findall(text):
        for prefix, allowed, headers_too in THIRD_PARTY:
            if target.startswith(prefix) and (layer not in allowed or (rel.endswith(".h") and not headers_too)):
                problems.append(f"{rel}: <{target}> belongs to {', '.join(sorted(allowed))}"
                                + ("" if headers_too else " (.cpp files only)"))


def main():
    root = sys.argv[1]
    problems = []
    for top in ["common", "config", "policies", "proxy"]:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if not name.endswith((".h", ".cpp")):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if layer_of(rel) is None:
                    problems.append(f"{rel}: not in a layer folder (proxy/ sources live in a role subfolder)")
                    continue
                check_file(root, rel, problems)
    for p in problems:
        print("layer check: " + p, file=sys.stderr)
    if problems:
        return 1
    if len(sys.argv) > 2:
        open(sys.argv[2], "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
