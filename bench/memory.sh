#!/usr/bin/env bash
# Measures what a large, mostly untouched guest costs the host: the resident set (VmRSS, and its peak VmHWM) and the
# address space (VmSize) of the AOT `sharpvmm` process while a raw guest runs, for each guest memory size given.
# Guest RAM is mapped MAP_NORESERVE, so only pages the guest or the VMM touch become resident; the guest here is
# demo 2 (kvmsample, a port-I/O loop at 0x10000) in real mode, which touches one page. What KVM allocates in the
# kernel for the memory slots (rmap and large-page arrays, more of them where KVM shadows the guest's page tables) is
# in no process's RSS: the last column is the growth of the host's VmallocUsed while the VM lives (other work on the
# host moves it too, so take it as an estimate).
# Usage: bench/memory.sh [SIZE...]        (default: 64M 3G 8G 64G; K/M/G suffixes as --mem takes them)
# The exit status is 124: the VM is stopped by its --time-limit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(64M 3G 8G 64G)

"$root/sharpvmm" --help >/dev/null   # publishes the Native AOT CLI if needed
cli="$root/artifacts/cli/SharpVmm.Cli"
kind=$([ -d /sys/module/kvm_pvm ] && echo kvm_pvm || echo kvm)
echo "host: $(nproc) CPUs, $kind, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
printf '%-6s %-12s %-12s %-14s %-10s %s\n' "--mem" "VmRSS (MiB)" "VmHWM (MiB)" "VmSize (GiB)" "exit" "kernel vmalloc (MiB)"

field() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"; }
vmalloc() { awk '$1 == "VmallocUsed:" { print $2 }' /proc/meminfo; }
for size in "${sizes[@]}"; do
    before=$(vmalloc)
    "$cli" run "$root/guests/bin/kvmsample.bin" --mode real --load-address 0x10000 --entry 0x1000:0x0 \
        --mem "$size" --time-limit 3 >/dev/null 2>&1 </dev/null &
    pid=$!
    sleep 2   # the guest has run for a while; the VM lives until the time limit
    rss=$(field VmRSS $pid) hwm=$(field VmHWM $pid) vsz=$(field VmSize $pid) during=$(vmalloc)
    status=0
    wait $pid || status=$?
    printf '%-6s %-12s %-12s %-14s %-10s %s\n' "$size" "$((rss / 1024))" "$((hwm / 1024))" \
        "$(awk -v k="$vsz" 'BEGIN { printf "%.1f", k / 1048576 }')" "$status" "$(((during - before) / 1024))"
done
