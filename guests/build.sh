#!/usr/bin/env bash
# Assembles the raw guests in this folder into flat binaries with the system's binutils.
# Usage: guests/build.sh [OUTDIR]   (default: guests/bin, the checked-in copies)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/bin}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for src in "$here"/demo-add.S "$here"/kvmsample.S "$here"/counter.S; do
    name=$(basename "$src" .S)
    as --32 -o "$tmp/$name.o" "$src"
    ld -m elf_i386 -Ttext=0x0 --oformat=binary -o "$out/$name.bin" "$tmp/$name.o"
done
