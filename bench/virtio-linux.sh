#!/bin/sh
# virtio-blk and virtio-net throughput seen by a Linux guest (the project's guest kernel with a busybox initramfs),
# for both transports, with ioeventfd/irqfd and with --no-eventfd. Guest user mode must run (hardware
# virtualization, or tools/nested-kvm; not a kvm_pvm host). Each run boots the guest once; its /init does:
#   - blk-write: dd 256 MiB of zeros to /dev/vda in 1 MiB blocks with O_DIRECT, then blk-read: the same back;
#   - blk-read-4k-qd1: 20000 reads of 4 KiB with O_DIRECT, one at a time (latency-bound IOPS);
#   - net-tx: 128 MiB through TCP (busybox nc) to a listener on the host end of a TAP in a namespace of its own.
# Timed in the guest from /proc/uptime (10 ms resolution). Prints every run's lines.
#
# Usage: bench/virtio-linux.sh [RUNS]     (default 1; needs root, /dev/kvm, iproute2 and busybox)
# Environment: SHARPVMM_CLI, SHARPVMM_IP, SHARPVMM_GUEST_KERNEL (a vmlinux; else guests/linux/build-kernel.sh),
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
ip=${SHARPVMM_IP:-ip}
busybox=${SHARPVMM_BUSYBOX:-/bin/busybox}
cli=${SHARPVMM_CLI:-}
if [ -z "$cli" ]; then
    "$root/sharpvmm" --help >/dev/null
    cli=$root/artifacts/cli/SharpVmm.Cli
fi
kernel=${SHARPVMM_GUEST_KERNEL:-}
[ -n "$kernel" ] || kernel=$("$root/guests/linux/build-kernel.sh")/vmlinux

work=$(mktemp -d)
ns=sharpvmm-lbench-$$
tap=lbtap0
listener=""
cleanup() {
    [ -z "$listener" ] || kill "$listener" 2>/dev/null || true
    "$ip" netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
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
s=$(cs); dd if=/dev/zero bs=65536 count=2048 2>/dev/null | nc 10.0.2.2 5555 || echo "bench-linux net-tx: nc failed ($?)"; e=$(cs)
rate net-tx $((128 << 20)) "$s" "$e"
reboot -f
INIT
"$cli" initramfs "$work/initramfs.cpio" --busybox "$busybox" --init "$work/init" 2>/dev/null
dd if=/dev/zero of="$work/disk.img" bs=1048576 count=0 seek=512 2>/dev/null

"$ip" netns add "$ns"
"$ip" netns exec "$ns" "$ip" tuntap add dev "$tap" mode tap
"$ip" netns exec "$ns" "$ip" addr add 10.0.2.2/24 dev "$tap"
"$ip" netns exec "$ns" "$ip" link set "$tap" up

for run in $(seq "$runs"); do
    for transport in $transports; do
        for mode in $modes; do
            flag=""
            [ "$mode" = eventfd ] || flag=--no-eventfd
            rm -f "$work/received"
            "$ip" netns exec "$ns" "$busybox" sh -c "'$busybox' tail -f /dev/null | '$busybox' nc -l -p 5555 2>'$work/nc.err' | '$busybox' wc -c >'$work/received'" &
            listener=$!
            "$ip" netns exec "$ns" "$cli" boot --kernel "$kernel" --initrd "$work/initramfs.cpio" --mem 256M \
                --virtio "$transport" $flag --disk "$work/disk.img" --net "tap=$tap" --time-limit 600 \
                --append "console=ttyS0 reboot=k panic=-1 ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off" \
                </dev/null >"$work/out" 2>"$work/err" || true
            kill "$listener" 2>/dev/null || true
            "$busybox" pkill -f 'nc -l -p 5555' 2>/dev/null || true   # a listener the guest never reached
            "$busybox" pkill -f 'tail -f /dev/null' 2>/dev/null || true   # what kept the listener's stdin open (nc quits at EOF on it)
            wait "$listener" 2>/dev/null || true
            listener=""
            grep -o 'bench-linux .*' "$work/out" | sed "s/^/run $run $transport $mode: /"
            [ ! -s "$work/nc.err" ] || sed "s/^/run $run $transport $mode: host nc: /" "$work/nc.err"
            echo "run $run $transport $mode: host received $(cat "$work/received" 2>/dev/null || echo '?') bytes of 134217728"
            grep -E 'notifications by|vda:|net:' "$work/err" | sed "s/^/run $run $transport $mode: /"
        done
    done
done
