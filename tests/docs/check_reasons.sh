#!/usr/bin/env bash
# Keeps the documentation honest about two things that drift easily:
#
#  1. reasons: every reason code in policies/status.cpp (the table behind reason()) is
#     documented in docs/status-codes.md (a row of its "Token reasons" table, or named in its
#     "Answers the proxy writes" section), and every code in the first column of the "Token
#     reasons" table exists in status.cpp;
#  2. links: every relative markdown link in README.md, docs/*.md, SECURITY.md and
#     deploy/README.md points at a file that exists and, when it names an anchor in a markdown
#     file, at a heading that exists.
#
# Usage: tests/docs/check_reasons.sh [REPOSITORY_ROOT]   (default: two levels above this script)
# Exits 0 when everything holds, 1 naming each problem, 2 on a usage error.
set -euo pipefail

root="$(cd "${1:-$(dirname "$0")/../..}" && pwd)"  # absolute: links are resolved against it
if [ ! -f "$root/policies/status.cpp" ] || [ ! -f "$root/docs/status-codes.md" ]; then
  echo "usage: $0 [REPOSITORY_ROOT] (needs policies/status.cpp and docs/status-codes.md)" >&2
  exit 2
fi

exec python3 - "$root" <<'PY'
import os
import re
import sys

root = sys.argv[1]
problems = []


def read(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


# --- 1. reasons ----------------------------------------------------------------------------
status_cpp = read("policies/status.cpp")
# The table is a list of {Status::name, "reason", "description"} entries.
code_reasons = re.findall(r'\{\s*Status::(\w+)\s*,\s*"([a-z0-9_]+)"', status_cpp)
if len(code_reasons) < 10:
    problems.append("policies/status.cpp: found only %d {Status::..., \"reason\", ...} entries; "
                    "has the table changed shape?" % len(code_reasons))
for enum_name, reason in code_reasons:
    if enum_name != reason:
        problems.append("policies/status.cpp: Status::%s has reason \"%s\" (expected the same "
                        "spelling)" % (enum_name, reason))
code_set = {reason for _, reason in code_reasons}

doc = read("docs/status-codes.md")


def section(title):
    """The text of the '## title' section of docs/status-codes.md, or None."""
    m = re.search(r"^## %s[ \t]*\n(.*?)(?=^## |\Z)" % re.escape(title), doc, re.S | re.M)
    return m.group(1) if m else None


# The token reasons: the first column of the table in the "## Token reasons" section.
listed = []
token_section = section("Token reasons")
if token_section is None:
    problems.append("docs/status-codes.md has no '## Token reasons' section")
else:
    listed = re.findall(r"^\|\s*`([a-z0-9_]+)`\s*\|", token_section, re.M)
    if len(listed) < 10:
        problems.append("docs/status-codes.md: the Token reasons table lists only %d codes"
                        % len(listed))
    for reason in listed:
        if reason not in code_set:
            problems.append("docs/status-codes.md lists token reason `%s`, which "
                            "policies/status.cpp does not have" % reason)
    for reason in sorted(set(r for r in listed if listed.count(r) > 1)):
        problems.append("docs/status-codes.md lists token reason `%s` twice" % reason)

# Every reason of status.cpp is a row of that table, or is named in the section on the answers
# the proxy writes (ok, token_missing, multiple_tokens, keys_unavailable, ...).
answers_section = section("Answers the proxy writes")
if answers_section is None:
    problems.append("docs/status-codes.md has no '## Answers the proxy writes' section")
    answers_section = ""
documented = set(listed) | set(re.findall(r"`([a-z0-9_]+)`", answers_section))
for _, reason in code_reasons:
    if reason not in documented:
        problems.append("docs/status-codes.md does not document reason `%s` (it is in "
                        "policies/status.cpp): add it to the Token reasons table, or to the "
                        "answers table if it is not a 401 invalid_token reason" % reason)

# --- 2. links ------------------------------------------------------------------------------
def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


anchor_cache = {}


def anchors(path):
    if path not in anchor_cache:
        found, seen = set(), {}
        in_fence = False
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.lstrip().startswith("```"):
                    in_fence = not in_fence
                    continue
                m = None if in_fence else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    base = slug(m.group(1))
                    n = seen.get(base, 0)
                    seen[base] = n + 1
                    found.add(base if n == 0 else "%s-%d" % (base, n))
        anchor_cache[path] = found
    return anchor_cache[path]


link_re = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# README.md and docs/*.md, and the other pages that link into them.
pages = ["README.md"] + sorted(
    os.path.join("docs", name) for name in os.listdir(os.path.join(root, "docs"))
    if name.endswith(".md"))
pages += [p for p in ("SECURITY.md", "deploy/README.md") if os.path.exists(os.path.join(root, p))]
for page in pages:
    page_path = os.path.join(root, page)
    in_fence = False
    with open(page_path, encoding="utf-8") as f:
        lines = f.readlines()
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        for target in link_re.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                continue  # https:, mailto: ...: not checked offline
            file_part, _, anchor = target.partition("#")
            resolved = os.path.normpath(
                os.path.join(os.path.dirname(page_path), file_part)) if file_part else page_path
            where = "%s:%d: link (%s)" % (page, number, target)
            if not resolved.startswith(os.path.normpath(root) + os.sep) and resolved != root:
                problems.append(where + " leaves the repository")
                continue
            if not os.path.exists(resolved):
                problems.append(where + " points at a file that does not exist")
                continue
            if anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                problems.append(where + " points at anchor #%s, which %s does not have"
                                % (anchor, os.path.relpath(resolved, root)))

if problems:
    for p in problems:
        print("check_reasons: " + p, file=sys.stderr)
    print("check_reasons: %d problem(s)" % len(problems), file=sys.stderr)
    sys.exit(1)
print("check_reasons: %d reasons from policies/status.cpp found in docs/status-codes.md; "
      "%d markdown pages' relative links resolve" % (len(code_set), len(pages)))
PY
