#!/usr/bin/env bash
# Builds the SharpVmm Multiboot v1 test kernel with the system's binutils and gcc.
# Usage: guests/testkernel/build.sh OUTPUT
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 OUTPUT" >&2; exit 2; fi
here=$(cd "$(dirname "$0")" && pwd)
out=$1
for tool in as ld gcc; do
    command -v "$tool" >/dev/null || { echo "$0: $tool not found (install binutils and gcc)" >&2; exit 127; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -m32 -c -o "$tmp/boot.o" "$here/boot.S"
for src in kernel virtio bench hostile; do
    gcc -m32 -std=gnu11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -O2 -Wall -Wextra -Werror \
        -fno-asynchronous-unwind-tables -mno-sse -mno-mmx -mno-80387 -c -o "$tmp/$src.o" "$here/$src.c"
done
ld -m elf_i386 -nostdlib -z max-page-size=0x1000 --build-id=none --no-warn-rwx-segments -T "$here/link.ld" -o "$out" \
    "$tmp/boot.o" "$tmp/kernel.o" "$tmp/virtio.o" "$tmp/bench.o" "$tmp/hostile.o"
