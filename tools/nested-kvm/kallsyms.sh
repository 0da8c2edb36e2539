#!/usr/bin/env bash
# Prints the path of the nested-KVM VM kernel's text symbols (its /proc/kallsyms, loaded without KASLR as
# run-in-vm.sh loads it), read once in a short VM and kept beside the kernel. Debian's System.map is only a stub;
# vm-cpus.py names a hung VM's RIPs from this instead.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${NESTED_KVM_WORK:-${SHARPVMM_CACHE:-$HOME/.cache/sharpvmm}/nested-kvm}
syms="$work/kernel/kallsyms"
if [ ! -s "$syms" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    printf '#!/bin/sh\nstty -F /dev/ttyS1 raw -echo\ngrep -i " t " /proc/kallsyms | gzip | base64 >/dev/ttyS1\n' >"$tmp/run.sh"
    chmod +x "$tmp/run.sh"
    "$here/run-in-vm.sh" -t 300 -o "$tmp/syms.b64" "$tmp/run.sh" >&2
    tr -d '\r' <"$tmp/syms.b64" | base64 -d -i | gunzip >"$tmp/kallsyms"
    [ -s "$tmp/kallsyms" ] || { echo "kallsyms: the VM gave no symbols" >&2; exit 1; }
    mv "$tmp/kallsyms" "$syms"
fi
echo "$syms"
