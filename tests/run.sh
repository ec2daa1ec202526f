#!/usr/bin/env bash
# tests/run.sh -- build gridnet twice (plain, and with ASan+UBSan) and run every test in both:
# unit tests beside the code (common/*_test.c) and the multi-process scenarios (tests/t_*.sh).
# Exits non-zero if a build or a test failed; the last line counts the tests over both builds.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1
passed=0 failed=0

#  run_build NAME DIR CTEST_ARGS [ENV=VALUE...]: ctest in DIR with the given environment; adds
#  to the counts.
run_build() {
  local name=$1 dir=$2 args=$3 log rc=0 line total fail
  shift 3
  log=$(mktemp)
  echo "== ctest ($name build, $dir/) $args"
  # shellcheck disable=SC2086  # args is a list of ctest options
  (cd "$dir" && env "$@" ctest --output-on-failure --no-tests=error -j2 $args) 2>&1 | tee "$log" || rc=$?
  # ctest's closing line: "100% tests passed, 0 tests failed out of 12"
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [[ $line =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    fail=${BASH_REMATCH[1]}; total=${BASH_REMATCH[2]}
    passed=$((passed + total - fail)); failed=$((failed + fail))
    [ "$rc" -eq 0 ] || [ "$fail" -gt 0 ] || failed=$((failed + 1))
  else
    echo "run.sh: ctest in $dir/ ran no tests or did not finish (exit $rc)" >&2
    failed=$((failed + 1))
  fi
}

if bash deploy/setup.sh; then
  run_build plain build ""
else
  echo "run.sh: the plain build failed" >&2; failed=$((failed + 1))
fi
if bash deploy/setup.sh --asan; then
  # Of the fault scenarios only those labelled asan (tests/CMakeLists.txt) run here: all of them
  # would add some 9 minutes (tests/faults/run-full.sh --asan --only 'f_quick_*' runs them all).
  run_build asan build-asan "-L ^(unit|integration|asan)$" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 GN_TIMEOUT_SCALE=3
else
  echo "run.sh: the ASan build failed" >&2; failed=$((failed + 1))
fi

# libFuzzer targets (decoders, apply path) for a bounded time under ASan/UBSan.
echo "== fuzz (${GN_FUZZ_SECONDS:-30} s per target)"
if bash tests/fuzz/run.sh "${GN_FUZZ_SECONDS:-30}"; then passed=$((passed + 2)); else failed=$((failed + 1)); fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
