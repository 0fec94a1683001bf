#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset) when needed, replays every saved regression
# input, then fuzzes each target for a bounded time on a copy of its seed corpus.
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]      (default 30)
#   JWT_SIDECAR_FUZZ_TARGETS="token path"  only these targets (default: all four)
#   JWT_SIDECAR_FUZZ_CORPUS=DIR            keep the corpora in DIR/<target> between runs
#                                          (seeded from tests/fuzz/corpus the first time)
#
# Exits 1 when any target crashes, leaks, times out (-timeout=5), runs out of memory
# (-rss_limit_mb=2048) or trips a sanitizer or an invariant, printing the reproducer's path.
# Logs and reproducers are kept under build/fuzz/fuzz-out/. See tests/fuzz/README.md.
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS_PER_TARGET]" >&2
  exit 2
fi

cd "$(dirname "$0")/../.."
root="$PWD"
build="$root/build/fuzz"
here="$root/tests/fuzz"
read -r -a targets <<< "${JWT_SIDECAR_FUZZ_TARGETS:-token jwks config path http_session h2_session}"

# Longest input per target: a token is at most a few KiB (max_token_bytes is 8192 by default),
# request targets are short, configs and key sets can be longer.
declare -A max_len=([token]=4096 [jwks]=8192 [config]=8192 [path]=1024 [http_session]=8192 [h2_session]=8192)

if [ ! -f "$build/build.ninja" ]; then
  cmake --preset fuzz
fi
# Only what the targets need.
cmake --build "$build" -j2 --target fuzz_targets

out="$build/fuzz-out"
mkdir -p "$out"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/jwt-sidecar-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failures=()

report_failure() {  # target, log, what
  local target="$1" log="$2" what="$3"
  failures+=("$target: $what")
  echo "---- $target: $what; last lines of $log:"
  tail -n 60 "$log"
  local unit
  unit="$(grep -ao 'Test unit written to [^ ]*' "$log" | tail -n 1 | sed 's/Test unit written to //' || true)"
  if [ -n "$unit" ]; then
    echo "---- reproducer: $unit"
    echo "     replay:   $build/bin/${target}_fuzz $unit"
    echo "     keep it:  mkdir -p tests/fuzz/regressions/$target && cp $unit tests/fuzz/regressions/$target/"
  fi
}

for target in "${targets[@]}"; do
  bin="$build/bin/${target}_fuzz"
  if [ ! -x "$bin" ]; then
    echo "run.sh: no fuzz target '$target' ($bin)" >&2
    exit 2
  fi

  # 1. Every input that once failed must pass now.
  regressions=()
  if [ -d "$here/regressions/$target" ]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$here/regressions/$target" -type f ! -name '*.md' -print0 | sort -z)
  fi
  if [ "${#regressions[@]}" -gt 0 ]; then
    log="$out/$target-regressions.log"
    echo "== $target: replaying ${#regressions[@]} regression input(s)"
    if ! "$bin" -timeout=5 -rss_limit_mb=2048 "${regressions[@]}" > "$log" 2>&1; then
      report_failure "$target" "$log" "a regression input fails again"
      continue
    fi
  fi

  # 2. Fuzz on a copy of the seeds (or on the persistent corpus).
  if [ -n "${JWT_SIDECAR_FUZZ_CORPUS:-}" ]; then
    corpus="$JWT_SIDECAR_FUZZ_CORPUS/$target"
    if [ ! -d "$corpus" ]; then mkdir -p "$corpus" && cp -r "$here/corpus/$target/." "$corpus/"; fi
  else
    corpus="$scratch/$target"
    mkdir -p "$corpus"
    cp -r "$here/corpus/$target/." "$corpus/"
  fi
  dict=()
  [ -f "$here/dict/$target.dict" ] && dict=(-dict="$here/dict/$target.dict")
  log="$out/$target.log"
  echo "== $target: fuzzing for ${seconds}s (corpus: $(find "$corpus" -type f | wc -l) inputs)"
  status=0
  "$bin" "$corpus" "${dict[@]}" -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" \
    -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/$target-" \
    > "$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    report_failure "$target" "$log" "libFuzzer exited with $status"
    continue
  fi
  # The last status line (runs, coverage, corpus) and the speed.
  grep -a -E '^#[0-9]+' "$log" | tail -n 1 | sed 's/^/   /'
  grep -a 'stat::average_exec_per_sec' "$log" | sed 's/^/   /'
done

# The last line is "fuzz: N passed, N failed" (one per target), the form CI summaries read.
if [ "${#failures[@]}" -gt 0 ]; then
  echo "FUZZ FAILED:"
  printf '  %s\n' "${failures[@]}"
  echo "fuzz: $(( ${#targets[@]} - ${#failures[@]} )) passed, ${#failures[@]} failed"
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
