#!/usr/bin/env bash
# What the Firecracker API (Kestrel on a Unix socket) costs at start-up: the Native AOT CLI's time to answer its
# first GET / on a fresh socket, against the same binary's time to start, print a configuration and exit (no Kestrel).
# Prints the medians of N runs (default 20) and the binary's size.
# usage: bench/api-startup.sh [RUNS]   (publishes the CLI with Native AOT into artifacts/bench-aot first)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
out="$root/artifacts/bench-aot"
dotnet publish "$root/src/SharpVmm.Cli/SharpVmm.Cli.csproj" -c Release -r linux-x64 -o "$out" --nologo -v quiet >&2
cli="$out/SharpVmm.Cli"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; pkill -f "$tmp/fc.sock" 2>/dev/null || true' EXIT
now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for _ in $(seq "$runs"); do
    t0=$(now); "$cli" run --print-config >/dev/null; t1=$(now)
    echo $(( (t1 - t0) / 1000 ))
done | median >"$tmp/plain"

for _ in $(seq "$runs"); do
    rm -f "$tmp/fc.sock"
    t0=$(now)
    "$cli" firecracker --api-sock "$tmp/fc.sock" >/dev/null 2>&1 &
    pid=$!
    until curl -sf --unix-socket "$tmp/fc.sock" http://localhost/ >/dev/null 2>&1; do sleep 0.001; done
    t1=$(now)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo $(( (t1 - t0) / 1000 ))
done | median >"$tmp/api"

for _ in $(seq "$runs"); do
    rm -f "$tmp/fc.sock"
    "$cli" firecracker --api-sock "$tmp/fc.sock" --boot-timer >/dev/null 2>"$tmp/timer" &
    pid=$!
    until grep -q "API listening" "$tmp/timer" 2>/dev/null; do sleep 0.001; done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    sed -n 's/.*API listening \([0-9.]*\) ms.*/\1/p' "$tmp/timer"
done | median >"$tmp/inside"

echo "binary: $(stat -c %s "$cli") bytes"
echo "API listening, by the process's own clock (--boot-timer): median $(cat "$tmp/inside") ms over $runs runs"
echo "start, print a config, exit (no Kestrel): median $(cat "$tmp/plain") us over $runs runs"
echo "start to first GET / answered on the API socket: median $(cat "$tmp/api") us over $runs runs"
