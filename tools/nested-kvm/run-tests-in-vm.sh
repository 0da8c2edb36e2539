#!/usr/bin/env bash
# Runs tests of the xunit build (tests/SharpVmm.Tests/bin/Release/net10.0) inside the nested-KVM VM and brings their
# TRX results back to this machine, so ./run-tests counts them with the rest. Used by ./run-tests for the tiers this
# host cannot run directly; it can be run alone as well.
#
# usage: run-tests-in-vm.sh [-t TIMEOUT_S] [-n RUNS] RESULTS.trx XUNIT-ARG...
#   e.g. tools/nested-kvm/run-tests-in-vm.sh /tmp/linux.trx -trait Tier=linux
#   -n RUNS runs the same tests RUNS times in a row in one VM (to hunt a flaky test); RESULTS.trx is the last run's,
#   and the exit code is non-zero when any run failed.
# The Linux tests need SHARPVMM_GUEST_KERNEL_DIR (guests/linux/build-kernel.sh prints it), the test-kernel tests
# SHARPVMM_TEST_KERNEL (a build of guests/testkernel: the VM has no compiler), the vsock tests SHARPVMM_SOCK_TOOL
# (guests/sock-tool/build.sh), the package tests SHARPVMM_PACKAGE_ARTIFACTS (tests/build-packages.sh all DIR: the VM has
# no SDK); what is set is copied into the VM.
# Exits with the test run's exit code, or 125 when the VM gave no results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
timeout=2400 runs=1
while [ $# -gt 1 ]; do
    case $1 in -t) timeout=$2; shift 2 ;; -n) runs=$2; shift 2 ;; *) break ;; esac
done
[ $# -ge 1 ] || { sed -n '5,11p' "$0" >&2; exit 2; }
results=$1; shift
tests=tests/SharpVmm.Tests/bin/Release/net10.0
[ -x "$repo/$tests/SharpVmm.Tests" ] || { echo "run-tests-in-vm: build the tests first ($tests)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
args=""
for a in "$@"; do args="$args '${a//\'/\'\\\'\'}'"; done
adds=(-a "$repo/$tests=/repo/$tests" -a "$repo/global.json=/repo/global.json" -a "$repo/guests=/repo/guests")
# Firecracker's API specification: the API tests read it from shared/reference/ beside the repository.
[ ! -d "$repo/../shared/reference" ] || adds+=(-a "$repo/../shared/reference=/shared/reference")
exports=" SHARPVMM_NESTED_VM=1"
if [ -n "${SHARPVMM_GUEST_KERNEL_DIR:-}" ]; then
    adds+=(-a "$SHARPVMM_GUEST_KERNEL_DIR=/guest-kernel")
    exports="$exports SHARPVMM_GUEST_KERNEL_DIR=/guest-kernel"
fi
if [ -n "${SHARPVMM_TEST_KERNEL:-}" ]; then
    mkdir -p "$tmp/testkernel"
    cp "$SHARPVMM_TEST_KERNEL" "$tmp/testkernel/testkernel"
    adds+=(-a "$tmp/testkernel=/testkernel")
    exports="$exports SHARPVMM_TEST_KERNEL=/testkernel/testkernel"
fi
if [ -n "${SHARPVMM_SOCK_TOOL:-}" ]; then
    mkdir -p "$tmp/socktool"
    cp "$SHARPVMM_SOCK_TOOL" "$tmp/socktool/sock-tool"
    adds+=(-a "$tmp/socktool=/socktool")
    exports="$exports SHARPVMM_SOCK_TOOL=/socktool/sock-tool"
fi
if [ -n "${SHARPVMM_PACKAGE_ARTIFACTS:-}" ]; then
    adds+=(-a "$SHARPVMM_PACKAGE_ARTIFACTS=/package-artifacts")   # tests/build-packages.sh's output: the VM has no SDK
    exports="$exports SHARPVMM_PACKAGE_ARTIFACTS=/package-artifacts"
fi
[ -z "${SHARPVMM_SKIP_KVM_TESTS:-}" ] || exports="$exports SHARPVMM_SKIP_KVM_TESTS=$SHARPVMM_SKIP_KVM_TESTS"
cat >"$tmp/run.sh" <<SCRIPT
#!/bin/sh
# The tests find the repository above their folder (global.json, guests/), so the build keeps its path under /repo.
${exports:+export$exports}
cd /repo/$tests || exit 125
# NESTED_KVM_MEMWATCH=N: the VM's free memory on the console every N seconds.
[ -z "${NESTED_KVM_MEMWATCH:-}" ] || (while sleep ${NESTED_KVM_MEMWATCH:-0}; do echo "memwatch: \$(grep -E 'MemAvailable|Shmem:' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"; done) &
rc=0
for run in \$(seq $runs); do
    [ $runs -eq 1 ] || echo "----- run \$run of $runs"
    ./SharpVmm.Tests -noColor -noLogo -parallel none -reporter verbose -longRunning 120 -trx /tmp/results.trx $args || rc=1
done
# The results go out on the second serial port, compressed and in base64 (a tty channel, not a file system).
stty -F /dev/ttyS1 raw -echo 2>/dev/null
[ -f /tmp/results.trx ] && gzip -c /tmp/results.trx | base64 >/dev/ttyS1
exit \$rc
SCRIPT
set +e
"$here/run-in-vm.sh" -d -m 4G -c "$(nproc)" -t "$timeout" -o "$tmp/results.b64" -M "$tmp/monitor.sock" "${adds[@]}" "$tmp/run.sh" \
    >"$tmp/console.log" 2>&1 &
vm=$!
# A live test run always says something within a few minutes (xunit reports a test running past 120 s every 120 s);
# a console silent for longer means the VM itself hung (its kernel, or the emulator under it): stop it then rather
# than at the time limit.
silence=${NESTED_KVM_SILENCE:-360} last_size=-1 quiet=0
# describe_hang: where the hung VM's CPUs are (their registers, five times), then an NMI, which the VM's kernel
# answers with a panic and the stack it was in (on the console).
describe_hang() {
    python3 "$here/vm-cpus.py" sample "$tmp/monitor.sock" 5 nmi >"$tmp/cpus.log" 2>&1
    sleep 20
}
# name_cpus: describe_hang's register lines, each named from the VM's kernel's symbols and the guest kernel's.
name_cpus() {
    local maps=() syms
    syms=$("$here/kallsyms.sh" 2>/dev/null) && maps+=("vm=$syms")
    if [ -n "${SHARPVMM_GUEST_KERNEL_DIR:-}" ] && nm "$SHARPVMM_GUEST_KERNEL_DIR/vmlinux" >"$tmp/guest.syms" 2>/dev/null; then
        maps+=("guest=$tmp/guest.syms")
    fi
    python3 "$here/vm-cpus.py" name "${maps[@]}" <"$tmp/cpus.log"
}
while kill -0 "$vm" 2>/dev/null; do
    sleep 10
    size=$(stat -c %s "$tmp/console.log" 2>/dev/null || echo 0)
    if [ "$size" = "$last_size" ]; then quiet=$((quiet + 10)); else quiet=0 last_size=$size; fi
    # The VM's own kernel may also say it is stuck: a soft lockup of two minutes or more does not end by itself here.
    lockup=$(grep -o 'soft lockup - CPU#[0-9]* stuck for [0-9]*s' "$tmp/console.log" 2>/dev/null | awk '{ sub(/s$/, "", $NF); if ($NF + 0 >= 120) print; }' | tail -1)
    if [ $quiet -ge "$silence" ] || [ -n "$lockup" ]; then
        if [ -n "$lockup" ]; then
            echo "run-tests-in-vm: the VM's kernel reports a $lockup: the VM hung; stopping it" >&2
        else
            echo "run-tests-in-vm: the VM's console was silent for $silence s: the VM hung; stopping it" >&2
        fi
        describe_hang
        pkill -P "$vm" 2>/dev/null; kill "$vm" 2>/dev/null
        pkill -f "qemu-system-x86_64.*$(basename "$tmp")" 2>/dev/null
        break
    fi
done
wait "$vm"
rc=$?
set -e
# Only the script's own output (the test runner's) goes to stdout; the whole console stays in the log.
sed -n '/===== NESTED-KVM BEGIN =====/,/===== NESTED-KVM END/p' "$tmp/console.log"
if [ -s "$tmp/results.b64" ] && tr -d '\r' <"$tmp/results.b64" | base64 -d -i | gunzip >"$results" 2>/dev/null && [ -s "$results" ]; then
    exit $rc
fi
rm -f "$results"
echo "run-tests-in-vm: the VM returned no test results (exit $rc); its console ends with:" >&2
# A hang's reports (soft lockups, RCU stalls, the panic after the NMI) come after the last test's name: from 20 lines
# before the first of them, 300 lines at most; otherwise the last 40 lines. Then where the CPUs were.
first=$(grep -n -a -m1 -E 'soft lockup|rcu_.*stall|Kernel panic|NMI' "$tmp/console.log" | cut -d: -f1)
if [ -n "$first" ]; then
    tail -n +"$((first > 20 ? first - 20 : 1))" "$tmp/console.log" | head -n 300 >&2
else
    tail -n 40 "$tmp/console.log" >&2
fi
[ ! -s "$tmp/cpus.log" ] || name_cpus >&2
[ $rc -ne 0 ] || rc=125
exit $rc
