# Runs inside the VM (see run-in-vm.sh): the CLI smoke checks, then, if the test build was copied in, the xunit tests that
# need KVM. The tests find the repository root above their folder (global.json, guests/), hence the paths. Prints each check's exit code, elapsed time (VM clock), stdout and stderr.
# usage (from the repository root):
#   t=tests/SharpVmm.Tests/bin/Release/net10.0
#   tools/nested-kvm/run-in-vm.sh -d -m 4G -a $t=/repo/$t -a global.json=/repo/global.json -a guests=/repo/guests tools/nested-kvm/vm-checks.sh
check() {   # check NAME CMD...
    name=$1; shift
    echo "----- CHECK $name: $*"
    t0=$(date +%s)
    "$@" >/tmp/$name.out 2>/tmp/$name.err
    rc=$?
    echo "----- $name rc=$rc elapsed=$(( $(date +%s) - t0 ))s"
    echo "----- $name stdout:"; cat /tmp/$name.out
    echo "----- $name stderr:"; cat /tmp/$name.err
}
# The guest's shell reads the serial port. Input sent before Linux opens ttyS0 is lost, so send "exit" after it boots.
late_exit() { sleep "${BOOT_WAIT:-40}"; printf 'exit\n'; }
boot() { late_exit | SharpVmm.Cli boot --initrd /guest/initramfs.cpio --mem 128M --append 'console=ttyS0 reboot=k panic=-1' --time-limit 300 "$@"; }
check demo-add timeout 120 SharpVmm.Cli demo add </dev/null
check demo-kvmsample timeout 120 SharpVmm.Cli demo kvmsample --max-exits 5 </dev/null
check boot-pvh boot --kernel /guest/vmlinux --cpus 2
check boot-bzimage boot --kernel /guest/bzImage --cpus 1
tests=/repo/tests/SharpVmm.Tests/bin/Release/net10.0
[ -d $tests ] || exit 0
echo "----- TESTS"
cd $tests && t0=$(date +%s)
SHARPVMM_GUEST_KERNEL_DIR=/guest timeout 1200 ./SharpVmm.Tests -noColor -parallel none \
    -namespace SharpVmm.Tests.Kvm -namespace SharpVmm.Tests.Cli -namespace SharpVmm.Tests.Interop -namespace SharpVmm.Tests.Linux
echo "----- TESTS rc=$? elapsed=$(( $(date +%s) - t0 ))s"
