#!/usr/bin/env bash
# Snapshot and restore: for guests of 128 MiB and 1 GiB (the project's test kernel, counting in its memory with
# exit=count), the time to create a Full and a Diff snapshot (curl's time for PUT /snapshot/create), their size on
# disk (allocated, and apparent), and the time from PUT /snapshot/load to the restored guest's first exit to the VMM
# (its next port access: the test kernel reads the PM timer port in a tight loop), with memory mapped copy-on-write
# (backend File) and copied in (sharpvmm restore --copy-memory). Prints medians of RUNS loads (default 5).
# usage: bench/snapshot.sh [RUNS]     (builds the AOT CLI and the test kernel first; needs /dev/kvm and curl)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
"$root/sharpvmm" --help >/dev/null
cli="$root/artifacts/cli/SharpVmm.Cli"
work=$(mktemp -d)
trap 'pkill -f "$work/" 2>/dev/null || true; rm -rf "$work"' EXIT
"$root/guests/testkernel/build.sh" "$work/testkernel" >&2
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
api() { curl -sf --unix-socket "$1" -X "$2" "http://localhost$3" -H 'Content-Type: application/json' -d "$4" -o /dev/null -w '%{time_total}\n'; }
wait_for() { for _ in $(seq 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "bench: no '$2' in $1" >&2; return 1; }
wait_socket() { for _ in $(seq 300); do curl -sf --unix-socket "$1" http://localhost/ >/dev/null 2>&1 && return 0; sleep 0.02; done; return 1; }
kb() { du -k "$1" | cut -f1; }

printf '%-8s %-12s %-12s %-16s %-16s %-22s %-22s\n' guest "full (ms)" "diff (ms)" "full on disk" "diff on disk" "load→first exit, File" "load→first exit, Copy"
for mib in 128 1024; do
    dir="$work/$mib"
    mkdir -p "$dir"
    cat >"$dir/vm.json" <<JSON
{ "machine-config": { "vcpu_count": 1, "mem_size_mib": $mib, "virtio_transport": "mmio", "track_dirty_pages": true },
  "boot-source": { "kernel_image_path": "$work/testkernel", "boot_args": "mem=$mib cpus=1 exit=count" } }
JSON
    "$cli" firecracker --api-sock "$dir/vm.sock" --config-file "$dir/vm.json" >"$dir/vm.out" 2>"$dir/vm.err" &
    pid=$!
    wait_for "$dir/vm.out" "count 3"
    api "$dir/vm.sock" PATCH /vm '{"state":"Paused"}' >/dev/null
    full_s=$(api "$dir/vm.sock" PUT /snapshot/create "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"$dir/full.snap\",\"mem_file_path\":\"$dir/full.mem\"}")
    api "$dir/vm.sock" PATCH /vm '{"state":"Resumed"}' >/dev/null
    sleep 1
    api "$dir/vm.sock" PATCH /vm '{"state":"Paused"}' >/dev/null
    diff_s=$(api "$dir/vm.sock" PUT /snapshot/create "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"$dir/diff.snap\",\"mem_file_path\":\"$dir/diff.mem\"}")
    kill -9 "$pid"; wait "$pid" 2>/dev/null || true

    for _ in $(seq "$runs"); do
        rm -f "$dir/r.sock"
        "$cli" firecracker --api-sock "$dir/r.sock" --boot-timer >/dev/null 2>"$dir/r.err" &
        pid=$!
        wait_socket "$dir/r.sock"
        api "$dir/r.sock" PUT /snapshot/load "{\"snapshot_path\":\"$dir/full.snap\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$dir/full.mem\"},\"resume_vm\":true}" >/dev/null
        wait_for "$dir/r.err" "first exit"
        kill -9 "$pid"; wait "$pid" 2>/dev/null || true
        sed -n 's/.*first exit \([0-9.]*\) ms.*/\1/p' "$dir/r.err"
    done | median >"$dir/file"
    for _ in $(seq "$runs"); do
        "$cli" restore --snapshot "$dir/full.snap" --mem-file "$dir/full.mem" --copy-memory --boot-timer >/dev/null 2>"$dir/c.err" &
        pid=$!
        wait_for "$dir/c.err" "first exit"
        kill -9 "$pid"; wait "$pid" 2>/dev/null || true
        sed -n 's/.*first exit \([0-9.]*\) ms.*/\1/p' "$dir/c.err"
    done | median >"$dir/copy"
    printf '%-8s %-12s %-12s %-16s %-16s %-22s %-22s\n' "$mib MiB" \
        "$(awk "BEGIN { printf \"%.1f\", $full_s * 1000 }")" "$(awk "BEGIN { printf \"%.1f\", $diff_s * 1000 }")" \
        "$(kb "$dir/full.mem") KiB" "$(kb "$dir/diff.mem") KiB" "$(cat "$dir/file") ms" "$(cat "$dir/copy") ms"
done
echo "state file: $(stat -c %s "$work/128/full.snap") bytes (128 MiB guest); memory files are $(stat -c %s "$work/128/full.mem") and $(stat -c %s "$work/1024/full.mem") bytes apparent"
