#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] -- build the libFuzzer targets with clang under ASan+UBSan and run
# each for SECONDS (default 30) from the seed corpus in tests/fuzz/corpus/.
#
#   bash tests/fuzz/run.sh          # 30 s per target
#   bash tests/fuzz/run.sh 60       # 60 s per target
#   bash tests/fuzz/run.sh --corpus # only rebuild and rewrite the seed corpus (tests/fuzz/mkcorpus.c)
#
# Builds on its own with clang into build-fuzz/ (GN_FUZZ_BUILD to change): the project's
# common/*.c except *_test.c and the protoc-c code generated from proto/gridnet.proto, all
# instrumented (-fsanitize=fuzzer-no-link,address,undefined). It does not use CMake, so it works
# whatever compiler the main build uses. Targets: fuzz_envelope (codec decoders, round trip) and
# fuzz_apply (gn_apply on a real LMDB store); see the comment at the top of each.
#
# Needs (Debian 12): clang, libclang-rt-14-dev (libFuzzer and the sanitizer runtimes), and the
# project's build dependencies (pkg-config, protobuf-c-compiler, libczmq-dev, liblmdb-dev,
# libprotobuf-c-dev, libssl-dev, libjansson-dev, libmicrohttpd-dev, libxml2-dev).
#
# Exits non-zero if a build fails or any target crashes, leaks, times out or breaks an invariant;
# crash inputs are kept in build-fuzz/artifacts/. The last line reads
#   fuzz: N targets, M runs, K crashes
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/tests/fuzz"
build=${GN_FUZZ_BUILD:-$root/build-fuzz}
regen=
secs=30
case "${1:-}" in
  "") ;;
  --corpus) regen=1 ;;
  -h|--help) sed -n '2,21s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *[!0-9]*) echo "run.sh: SECONDS must be a number (or --corpus)" >&2; exit 2 ;;
  *) secs=$1 ;;
esac

die() { echo "fuzz: $*" >&2; echo "fuzz: 0 targets, 0 runs, 1 crashes"; exit 1; }

# ---- toolchain -------------------------------------------------------------------------------
cc=${GN_FUZZ_CC:-}
if [ -z "$cc" ]; then
  for c in clang clang-14; do command -v "$c" >/dev/null && { cc=$c; break; }; done
fi
[ -n "$cc" ] || die "no clang: apt-get install -y clang libclang-rt-14-dev"
for tool in pkg-config protoc-c; do
  command -v "$tool" >/dev/null || die "no $tool: run deploy/setup.sh --deps-only"
done
pkgs="libczmq libzmq lmdb libprotobuf-c libcrypto jansson libmicrohttpd libxml-2.0"
pkg-config --exists $pkgs || die "missing development packages for: $pkgs (run deploy/setup.sh --deps-only)"
mkdir -p "$build/obj" "$build/proto" "$build/artifacts" || die "cannot make $build"
# libFuzzer ships in clang's runtime package; a one-line target shows whether it links.
probe="$build/obj/probe"
if [ ! -x "$probe" ]; then
  printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
    > "$probe.c"
  "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2> "$probe.log" \
    || { cat "$probe.log" >&2; die "$cc cannot link libFuzzer: apt-get install -y libclang-rt-14-dev"; }
fi

# ---- build -----------------------------------------------------------------------------------
proto="$root/proto/gridnet.proto"
if [ ! -f "$build/proto/gridnet.pb-c.c" ] || [ "$proto" -nt "$build/proto/gridnet.pb-c.c" ]; then
  protoc-c --proto_path="$root/proto" --c_out="$build/proto" "$proto" \
    || die "protoc-c failed on $proto"
fi
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=gnu11 -g -O1 $san -Wall -Wextra -Wno-unused-parameter
        -I$root/common -I$build/proto -I$here $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs)"

# compile SRC OBJ EXTRA...: only when SRC, a header it may use or the generated code is newer.
newest_hdr=$(ls -t "$root"/common/*.h "$here"/*.h "$build/proto/gridnet.pb-c.h" | head -n 1)
compile() {
  local src=$1 obj=$2; shift 2
  if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$newest_hdr" ] \
     && [ "$obj" -nt "$script" ]; then
    return 0
  fi
  "$cc" $cflags "$@" -c "$src" -o "$obj" 2> "$obj.log" || { cat "$obj.log" >&2; return 1; }
}
export -f compile
script="$here/run.sh"   # a change of flags here rebuilds everything
export cc cflags newest_hdr script

srcs=()
for f in "$root"/common/*.c; do
  case "$f" in *_test.c) continue ;; esac
  srcs+=("$f")
done
# The pages webapi.c serves, embedded as the build does it (common/CMakeLists.txt).
web=$(cd "$root/common/web" && ls -- *.html *.css *.js *.svg 2>/dev/null | LC_ALL=C sort | paste -sd'|')
cmake -DWEBDIR="$root/common/web" -DOUT="$build/web_assets.c" -DFILES="$web" \
  -P "$root/common/web/embed.cmake" || die "embedding common/web failed"
srcs+=("$build/web_assets.c")
echo "fuzz: building with $cc in $build/ (${#srcs[@]} modules of common/)"
# The project's code and the generated code: instrumented for coverage.
if ! printf '%s\n' "${srcs[@]}" "$build/proto/gridnet.pb-c.c" \
     | xargs -P "$(nproc)" -I{} bash -c \
       'compile "$1" "'"$build"'/obj/$(basename "$1" .c).o" -fsanitize=fuzzer-no-link' _ {}; then
  die "building common/ failed"
fi
objs=()
for f in "${srcs[@]}" "$build/proto/gridnet.pb-c.c"; do objs+=("$build/obj/$(basename "$f" .c).o"); done
compile "$here/fuzz_seed.c" "$build/obj/fuzz_seed.o" -fsanitize=fuzzer-no-link || die "fuzz_seed.c"
for t in envelope apply; do
  compile "$here/fuzz_$t.c" "$build/obj/fuzz_$t.o" -fsanitize=fuzzer-no-link || die "fuzz_$t.c"
  "$cc" -fsanitize=fuzzer $san "$build/obj/fuzz_$t.o" "$build/obj/fuzz_seed.o" "${objs[@]}" \
    $libs -o "$build/fuzz_$t" || die "linking fuzz_$t failed"
done
compile "$here/mkcorpus.c" "$build/obj/mkcorpus.o" || die "mkcorpus.c"
"$cc" $san "$build/obj/mkcorpus.o" "$build/obj/fuzz_seed.o" "${objs[@]}" $libs \
  -o "$build/mkcorpus" || die "linking mkcorpus failed"

if [ -n "$regen" ]; then
  rm -rf "$here/corpus"
  ASAN_OPTIONS=detect_leaks=1 "$build/mkcorpus" "$here/corpus" || die "mkcorpus failed"
  exit 0
fi

# ---- run -------------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
targets=0 runs=0 crashes=0
for t in envelope apply; do
  targets=$((targets + 1))
  work="$build/corpus/$t"          # what the fuzzer adds; the committed seeds stay as they are
  mkdir -p "$work"
  log="$build/fuzz_$t.log"
  before=$(ls "$build/artifacts" | wc -l)
  echo "== fuzz_$t: $secs s (log: $log)"
  ( cd "$build" && GN_FUZZ_HISTORY="$build/artifacts/$t-history-$$.bin" "./fuzz_$t" \
      -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      -dict="$here/gridnet.dict" "$work" "$here/corpus/$t" ) > "$log" 2>&1
  rc=$?
  n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  runs=$((runs + ${n:-0}))
  after=$(ls "$build/artifacts" | wc -l)
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    crashes=$((crashes + 1))
    echo "fuzz_$t FAILED (exit $rc); last lines of $log:" >&2
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED)' "$log" | tail -n 60 >&2
    echo "inputs kept in $build/artifacts/:" >&2
    ls -l "$build/artifacts" >&2
    echo "replay one: (cd $build && GN_FUZZ_RESET=0 ./fuzz_$t <file>)" >&2
  else
    echo "fuzz_$t: ${n:-0} runs, ${rate:-?} exec/s, ${done_line:-no DONE line}"
  fi
done
echo "fuzz: $targets targets, $runs runs, $crashes crashes"
[ "$crashes" -eq 0 ]
