#!/usr/bin/env bash
# Disassembles SharpVmm's ACPI tables with ACPICA's iasl (Debian: apt-get install acpica-tools) and recompiles the
# DSDT without optimizations, which must give the same AML bytes. Not part of the test suite.
# Usage: tools/acpi-iasl/check.sh [vcpus]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
command -v iasl >/dev/null || { echo "iasl not found (apt-get install acpica-tools)" >&2; exit 2; }
(cd "$out" && dotnet run "$here/dump-acpi-tables.cs" -- "${1:-2}")
cd "$out"
for t in dsdt facp apic facs rsdt xsdt; do
    iasl -d "$t.dat" >/dev/null 2>"$t.err" || { cat "$t.err" >&2; exit 1; }
done
mkdir re && cp dsdt.dsl re/ && (cd re && iasl -oa dsdt.dsl >/dev/null)
cmp <(tail -c +37 re/dsdt.aml) <(tail -c +37 dsdt.dat) && echo "DSDT AML round-trips through iasl"
sed -n '/DefinitionBlock/,$p' dsdt.dsl
