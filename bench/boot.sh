#!/usr/bin/env bash
# Boot to init, SharpVmm beside QEMU's microvm: both boot the same bzImage of the project's guest kernel with the same
# initramfs (its /init prints a line and reboots), 1 vCPU, 256 MiB, command line "console=ttyS0 reboot=t panic=-1
# printk.time=1", alternating, RUNS runs each (bench/boot-compare.sh). Per run it prints the guest's clock at
# "Run /init as init process" (printk's time stamp, so the host's start-up is not in it), the whole process's wall
# time, and for SharpVmm its exits and the VMM's share of vCPU time (time outside KVM_RUN, from its closing line).
# QEMU is Debian's qemu-system-x86 (-M microvm,x-option-roms=off -enable-kvm -cpu host); without it SharpVmm runs alone.
#
# With --lkvm PATH, kvmtool's lkvm (built by hand; the project neither ships nor builds it) boots the same way too, with
# its own default command line before the shared one and no network device. Inside nested KVM it must be static
# (make lkvm-static).
#
# Usage: bench/boot.sh [--nested] [--lkvm PATH] [RUNS]        (default 5 runs)
# Runs directly where /dev/kvm exists, hardware virtualization or kvm_pvm (there a boot takes minutes: --nested gives
# figures comparable with other hosts); inside tools/nested-kvm where there is no /dev/kvm, or with --nested.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
nested=0 lkvm=""
while [ $# -gt 0 ]; do
    case $1 in
        --nested) nested=1; shift ;;
        --lkvm) lkvm=$(readlink -f "$2"); shift 2 ;;
        *) break ;;
    esac
done
[ -e /dev/kvm ] || nested=1
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kernel_dir=$("$root/guests/linux/build-kernel.sh")
"$root/sharpvmm" --help >/dev/null   # publishes the Native AOT CLI if needed
cli="$root/artifacts/cli/SharpVmm.Cli"
qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || echo "bench/boot.sh: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): SharpVmm alone" >&2
printf '#!/bin/sh\necho SHARPVMM-BENCH-INIT\nreboot -f\n' >"$work/init"

if [ $nested = 0 ]; then
    echo "bench/boot.sh: directly on this host's KVM ($([ -d /sys/module/kvm_pvm ] && echo kvm_pvm || echo hardware virtualization))"
    "$cli" initramfs "$work/initramfs.cpio" --init "$work/init" 2>/dev/null
    exec sh "$root/bench/boot-compare.sh" "$cli" "$kernel_dir/bzImage" "$work/initramfs.cpio" "$runs" "${qemu:--}" $lkvm
fi

echo "bench/boot.sh: inside tools/nested-kvm (QEMU TCG with an SVM CPU model, kvm_amd inside)"
mkdir -p "$work/bench" "$work/kernel"
cp "$root/bench/boot-compare.sh" "$work/init" "$work/bench/"
cp "$kernel_dir/bzImage" "$work/kernel/"
adds=(-a "$work/bench=/bench" -a "$work/kernel=/bench-kernel")
qemu_in_vm=- lkvm_in_vm=""
if [ -n "$lkvm" ]; then
    mkdir -p "$work/lkvm"
    cp "$lkvm" "$work/lkvm/lkvm"
    adds+=(-a "$work/lkvm=/opt/lkvm")
    lkvm_in_vm=/opt/lkvm/lkvm
fi
if [ -n "$qemu" ]; then
    # QEMU with its libraries (run-in-vm copies what ldd lists), and the one firmware microvm loads, dereferenced.
    mkdir -p "$work/qemu-bin" "$work/qemu-share"
    cp -L "$qemu" "$work/qemu-bin/qemu-system-x86_64"
    cp -L /usr/share/qemu/bios-microvm.bin "$work/qemu-share/"
    adds+=(-a "$work/qemu-bin=/opt/qemu" -a "$work/qemu-share=/usr/share/qemu")
    qemu_in_vm=/opt/qemu/qemu-system-x86_64
fi
cat >"$work/run.sh" <<SCRIPT
#!/bin/sh
/bin/SharpVmm.Cli initramfs /tmp/init.cpio --init /bench/init 2>/dev/null
sh /bench/boot-compare.sh /bin/SharpVmm.Cli /bench-kernel/bzImage /tmp/init.cpio $runs $qemu_in_vm $lkvm_in_vm
SCRIPT
"$root/tools/nested-kvm/run-in-vm.sh" -t 1800 "${adds[@]}" "$work/run.sh" | sed -n '/===== NESTED-KVM BEGIN/,/===== NESTED-KVM END/p'
