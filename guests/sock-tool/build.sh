#!/usr/bin/env bash
# Builds sock-tool, the static guest program the vsock and network tests put into their initramfs (the nested
# test VM has no compiler, so it is built here and copied in).
# Usage: guests/sock-tool/build.sh OUT        writes the static binary OUT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
gcc -static -O2 -Wall -Wextra -Werror -o "$1" "$here/sock-tool.c"
