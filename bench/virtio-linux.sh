#!/bin/sh
# virtio-blk as a Linux guest sees it (the project's guest kernel with a busybox initramfs), over both transports,
# with ioeventfd/irqfd and with --no-eventfd. Guest user mode must run (hardware virtualization, or tools/nested-kvm;
# not a kvm_pvm host). Each run boots the guest once; its /init does:
#   - blk-write: dd 256 MiB of zeros to /dev/vda in 1 MiB blocks with O_DIRECT, then blk-read: the same back;
#   - blk-read-4k-qd1: 20000 reads of 4 KiB with O_DIRECT, one at a time (latency-bound IOPS).
# Timed in the guest from /proc/uptime (10 ms resolution). Prints every run's lines and the VMM's device counters.
# Network throughput is measured with the test kernel (bench/virtio.sh); a TCP stream through the TAP is checked for
# correctness by tests/SharpVmm.Tests/Linux/VirtioNetLinuxTests.cs.
#
# Usage: bench/virtio-linux.sh [RUNS]     (default 1; needs /dev/kvm and busybox-static)
# Environment: SHARPVMM_CLI, SHARPVMM_BUSYBOX, SHARPVMM_GUEST_KERNEL (a vmlinux; else guests/linux/build-kernel.sh),
#              BENCH_TRANSPORTS ("pci mmio"), BENCH_MODES ("eventfd no-eventfd")
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
transports=${BENCH_TRANSPORTS:-pci mmio}
modes=${BENCH_MODES:-eventfd no-eventfd}
if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "$0: /dev/kvm is missing or not writable: this benchmark needs KVM" >&2
    exit 2
fi
busybox=${SHARPVMM_BUSYBOX:-/bin/busybox}
cli=${SHARPVMM_CLI:-}
if [ -z "$cli" ]; then
    "$root/sharpvmm" --help >/dev/null
    cli=$root/artifacts/cli/SharpVmm.Cli
fi
kernel=${SHARPVMM_GUEST_KERNEL:-}
[ -n "$kernel" ] || kernel=$("$root/guests/linux/build-kernel.sh")/vmlinux

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

cat >"$work/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs dev /dev
cs() { read -r up _ </proc/uptime; f=${up#*.}; f=${f#0}; echo $(( ${up%.*} * 100 + f )); }   # centiseconds since boot
rate() {   # NAME BYTES START END
    t=$(( $4 - $3 )); [ "$t" -gt 0 ] || t=1
    echo "bench-linux $1: $2 bytes in $(( t * 10 )) ms, $(( $2 / 1024 * 100 / t / 1024 )) MiB/s"
}
s=$(cs); dd if=/dev/zero of=/dev/vda bs=1M count=256 oflag=direct 2>/dev/null; e=$(cs); rate blk-write $((256 << 20)) "$s" "$e"
s=$(cs); dd if=/dev/vda of=/dev/null bs=1M count=256 iflag=direct 2>/dev/null; e=$(cs); rate blk-read $((256 << 20)) "$s" "$e"
s=$(cs); dd if=/dev/vda of=/dev/null bs=4k count=20000 iflag=direct 2>/dev/null; e=$(cs)
t=$(( e - s )); [ "$t" -gt 0 ] || t=1
echo "bench-linux blk-read-4k-qd1: 20000 reads in $(( t * 10 )) ms, $(( 20000 * 100 / t )) IOPS"
reboot -f
INIT
"$cli" initramfs "$work/initramfs.cpio" --busybox "$busybox" --init "$work/init" 2>/dev/null
dd if=/dev/zero of="$work/disk.img" bs=1048576 count=0 seek=512 2>/dev/null

for run in $(seq "$runs"); do
    for transport in $transports; do
        for mode in $modes; do
            flag=""
            [ "$mode" = eventfd ] || flag=--no-eventfd
            "$cli" boot --kernel "$kernel" --initrd "$work/initramfs.cpio" --mem 256M --virtio "$transport" $flag \
                --disk "$work/disk.img" --time-limit 600 --append "console=ttyS0 reboot=k panic=-1" \
                </dev/null >"$work/out" 2>"$work/err" || true
            grep -o 'bench-linux .*' "$work/out" | sed "s/^/run $run $transport $mode: /"
            grep -E 'notifications by|vda:' "$work/err" | sed "s/^/run $run $transport $mode: /"
        done
    done
done
