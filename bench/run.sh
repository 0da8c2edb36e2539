#!/usr/bin/env bash
# Builds the C reference VMM and the AOT CLI, then prints SharpVmm's figures next to the reference's.
# Usage: bench/run.sh [--quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -Wall -Werror -pthread -o "$work/kvm_reference" "$root/bench/reference/kvm_reference.c"
"$root/sharpvmm" --help >/dev/null   # publishes the Native AOT CLI if needed
dotnet run -c Release --project "$root/bench/SharpVmm.Bench" -- "$work/kvm_reference" "$root/artifacts/cli/SharpVmm.Cli" "$@"
