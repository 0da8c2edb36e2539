#!/usr/bin/env bash
# Runs one coverage-guided fuzz target under afl-fuzz for a bounded time (fuzz/README.md).
#
# usage: fuzz/run.sh TARGET SECONDS     fuzz TARGET for SECONDS (afl-fuzz -V) from the seeds in fuzz/corpus/TARGET
#        fuzz/run.sh --list             the targets
#
# Builds fuzz/SharpVmm.Fuzz, instruments the SharpVmm*.dll it loads with SharpFuzz (the sharpfuzz local tool,
# .config/dotnet-tools.json), runs afl-fuzz with the output in artifacts/fuzz/TARGET, and ends with one line:
# "fuzz TARGET: N execs (N/s), N paths, N edges (N% of the map), N crashes, N hangs". Exits 1 when afl-fuzz found a crash
# or a hang (the inputs are in artifacts/fuzz/TARGET/default/{crashes,hangs}: add them to fuzz/regressions/TARGET), 2
# on a usage error, 3 when a tool is missing or afl-fuzz did not run. Installs nothing itself.
# FUZZ_NICE (default 19) is the nice level of the build and of afl-fuzz; FUZZ_TIMEOUT_MS (default 5000) afl's limit
# for one input, past which it counts a hang; FUZZ_PREBUILT=1 skips the build when an instrumented one is there (a
# caller that runs several targets builds once, with --list).
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"
project="$root/fuzz/SharpVmm.Fuzz/SharpVmm.Fuzz.csproj"
work="$root/artifacts/fuzz"
nice_level=${FUZZ_NICE:-19}

usage() { echo "usage: fuzz/run.sh TARGET SECONDS | --list" >&2; exit 2; }
missing() { echo "fuzz/run.sh: $1 is missing: $2" >&2; exit 3; }

command -v dotnet >/dev/null 2>&1 || missing "the .NET SDK (dotnet)" "install the version in global.json"

build() {   # publishes the harness into $work/bin and instruments it, unless the same build is already there
    local staged="$work/publish" bin="$work/bin" stamp
    [ "${FUZZ_PREBUILT:-}" = 1 ] && [ -f "$bin/.instrumented" ] && return 0
    nice -n "$nice_level" dotnet publish "$project" -c Release -o "$staged" --nologo -v quiet >&2 \
        || { echo "fuzz/run.sh: building the harness failed" >&2; exit 3; }
    stamp=$(cd "$staged" && sha256sum SharpVmm*.dll | sha256sum | cut -d' ' -f1)
    [ -f "$bin/.instrumented" ] && [ "$(cat "$bin/.instrumented")" = "$stamp" ] && return 0
    dotnet tool restore >/dev/null || missing "the sharpfuzz tool" "dotnet tool restore (SharpFuzz.CommandLine 2.3.0) failed"
    rm -rf "$bin"
    cp -r "$staged" "$bin"
    local dll
    for dll in "$bin"/SharpVmm*.dll; do
        [ "$(basename "$dll")" = SharpVmm.Fuzz.dll ] && continue
        dotnet tool run sharpfuzz "$dll" >/dev/null || { echo "fuzz/run.sh: instrumenting $(basename "$dll") failed" >&2; exit 3; }
    done
    echo "$stamp" > "$bin/.instrumented"
}

[ $# -ge 1 ] || usage
if [ "$1" = --list ]; then
    build
    exec dotnet "$work/publish/SharpVmm.Fuzz.dll" --list   # uninstrumented: instrumented code needs afl's coverage map
fi
[ $# -eq 2 ] || usage
target=$1 seconds=$2
[[ $seconds =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage
[ -d "$root/fuzz/corpus/$target" ] || { echo "fuzz/run.sh: no seed corpus fuzz/corpus/$target (fuzz/run.sh --list)" >&2; exit 2; }
command -v afl-fuzz >/dev/null 2>&1 || missing "afl-fuzz" "apt-get install -y afl++"

build
out="$work/$target"
rm -rf "$out"
mkdir -p "$out"
# dotnet is no AFL-compiled binary (SharpFuzz speaks the fork-server protocol); a container has no CPU governor to
# check and may not send core dumps to a file; the harness's start-up takes seconds before the fork server answers.
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
    AFL_FORKSRV_INIT_TMOUT=60000 AFL_FAST_CAL=1
echo "fuzz/run.sh: fuzzing $target for $seconds s (afl-fuzz output in $out)" >&2
nice -n "$nice_level" timeout -k 10 $((seconds + 120)) afl-fuzz -i "$root/fuzz/corpus/$target" -o "$out" -V "$seconds" \
    -t "${FUZZ_TIMEOUT_MS:-5000}" -m none -- dotnet "$work/bin/SharpVmm.Fuzz.dll" "$target" > "$out/afl.log" 2>&1
rc=$?
stats="$out/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
    tail -n 30 "$out/afl.log" >&2
    echo "fuzz/run.sh: afl-fuzz did not run $target (exit $rc; $out/afl.log)" >&2
    exit 3
fi
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(stat saved_crashes) hangs=$(stat saved_hangs)
echo "fuzz $target: $(stat execs_done) execs ($(stat execs_per_sec)/s), $(stat corpus_count) paths, $(stat edges_found) edges ($(stat bitmap_cvg) of the map), ${crashes:-?} crashes, ${hangs:-?} hangs"
if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then
    ls "$out"/default/crashes/id* "$out"/default/hangs/id* 2>/dev/null | sed 's/^/  finding: /' >&2
    exit 1
fi
[ $rc -eq 0 ] || { echo "fuzz/run.sh: afl-fuzz exited $rc (see $out/afl.log)" >&2; exit 3; }
