#!/usr/bin/env bash
# Measures how long the project's guest kernel takes to boot under SharpVmm: wall time from `sharpvmm boot` to
# the kernel's "Run /init as init process" line and to the end of the run (the guest's /init reboots at once,
# or, where guest user mode cannot run, init dies and panic=-1 reboots), for the bzImage and the PVH entry, and the
# share of vCPU time the VMM itself spent handling exits outside KVM_RUN (sharpvmm boot's closing stats line).
# Usage: bench/boot.sh [RUNS] [CPUS]        (defaults: 3 runs, 1 vCPU)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
cpus=${2:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kernel_dir=$("$root/guests/linux/build-kernel.sh")
"$root/sharpvmm" --help >/dev/null   # publishes the Native AOT CLI if needed
cli="$root/artifacts/cli/SharpVmm.Cli"
printf '#!/bin/sh\necho SHARPVMM-BENCH-INIT\nreboot -f\n' >"$work/init"
"$cli" initramfs "$work/initramfs.cpio" --init "$work/init" 2>/dev/null

now() { date +%s.%N; }
echo "entry  run  to-'Run /init' (s)  whole run (s)  exit"
for entry in bzImage vmlinux; do
    for i in $(seq "$runs"); do
        start=$(now)
        init_at=""
        while IFS= read -r line; do
            case "$line" in *"Run /init as init process"*) [ -n "$init_at" ] || init_at=$(now) ;; esac
        done < <("$cli" boot --kernel "$kernel_dir/$entry" --initrd "$work/initramfs.cpio" --cpus "$cpus" --mem 128M \
            --append "console=ttyS0 reboot=k panic=-1" --time-limit 1800 </dev/null 2>"$work/stderr"; echo "exit=$?" >"$work/exit")
        end=$(now)
        to_init=$([ -n "$init_at" ] && echo "$init_at - $start" | bc || echo "-")
        printf '%-7s %-4s %-19s %-14s %s\n' "$entry" "$i" "$to_init" "$(echo "$end - $start" | bc)" "$(cat "$work/exit")"
        grep '^sharpvmm: ran ' "$work/stderr" | sed 's/^/        /' || true   # the VMM's own share: time outside KVM_RUN
    done
done
