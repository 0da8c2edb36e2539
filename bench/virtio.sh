#!/bin/sh
# virtio-blk and virtio-net throughput with the project's test kernel (guests/testkernel, bench=blk,net), over
# virtio-mmio, with ioeventfd/irqfd and with --no-eventfd (every notification an MMIO exit, every interrupt an
# ioctl). Each run boots the test kernel once with a temporary raw disk image and a TAP in a network namespace of
# its own (10.0.2.2/24 on the host end); the kernel writes then reads BENCH_MB MiB sequentially (128 KiB requests,
# up to 16 in flight), does BENCH_IOS random 4 KiB reads with 1 and with a full queue of requests in flight, and
# sends BENCH_FRAMES frames of 1514 bytes; the TAP's rx_packets counter confirms what arrived. One warm-up run, then
# RUNS runs per mode in alternating order; prints every run's figures and a table of medians.
#
# Usage: bench/virtio.sh [RUNS]      (default 3 runs per mode; needs root, /dev/kvm and iproute2's ip)
# Environment: SHARPVMM_TEST_KERNEL=PATH  a prebuilt test kernel (else guests/testkernel/build.sh builds one)
#              SHARPVMM_CLI=PATH          the CLI to run (else ./sharpvmm --help publishes artifacts/cli/SharpVmm.Cli)
#              SHARPVMM_IP=PATH           iproute2's ip (else ip from PATH)
#              BENCH_MB (8), BENCH_IOS (2000), BENCH_FRAMES (20000), BENCH_MODES ("eventfd no-eventfd")
# POSIX sh, so that it also runs under busybox inside tools/nested-kvm's VM (see bench/virtio-nested-kvm.sh).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
mb=${BENCH_MB:-8}
ios=${BENCH_IOS:-2000}
frames=${BENCH_FRAMES:-20000}
modes=${BENCH_MODES:-eventfd no-eventfd}

if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "$0: /dev/kvm is missing or not writable: this benchmark needs KVM (tools/nested-kvm runs it in a VM)" >&2
    exit 2
fi
ip=${SHARPVMM_IP:-ip}   # busybox sh may run its own ip applet whatever PATH says: give iproute2's by path there
command -v "$ip" >/dev/null || { echo "$0: iproute2's ip is needed for the network namespace and the TAP" >&2; exit 2; }

work=$(mktemp -d)
ns=sharpvmm-bench-$$
tap=sbtap0
cleanup() {
    "$ip" netns delete "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kernel=${SHARPVMM_TEST_KERNEL:-}
if [ -z "$kernel" ]; then
    kernel=$work/testkernel
    "$root/guests/testkernel/build.sh" "$kernel"
fi
cli=${SHARPVMM_CLI:-}
if [ -z "$cli" ]; then
    "$root/sharpvmm" --help >/dev/null   # publishes the Native AOT CLI if needed
    cli=$root/artifacts/cli/SharpVmm.Cli
fi

# the disk: a sparse raw image twice the sequential size (at least 64 MiB)
disk_mb=$((mb * 2 > 64 ? mb * 2 : 64))
dd if=/dev/zero of="$work/disk.img" bs=1048576 count=0 seek="$disk_mb" 2>/dev/null

"$ip" netns add "$ns"
"$ip" netns exec "$ns" "$ip" tuntap add dev "$tap" mode tap
"$ip" netns exec "$ns" "$ip" addr add 10.0.2.2/24 dev "$tap"
"$ip" netns exec "$ns" "$ip" link set "$tap" up
rx_packets() { "$ip" netns exec "$ns" cat "/sys/class/net/$tap/statistics/rx_packets"; }

results=$work/results   # lines: MODE RUN METRIC VALUE
: >"$results"
append="mem=128 cpus=1 bench=blk,net bench_mb=$mb bench_ios=$ios bench_frames=$frames exit=debug"
echo "test kernel: $kernel"
echo "cli: $cli"
echo "append: $append"
# run 0 is a warm-up, not recorded (the first boot after start-up is far slower under TCG); the modes alternate
# which goes first from run to run, so that drift in the host's load hits both alike
order_a=$modes
order_b=$(echo "$modes" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "") }')
for i in $(seq 0 "$runs"); do
    if [ $((i % 2)) -eq 1 ]; then order=$order_a; else order=$order_b; fi
    [ "$i" -eq 0 ] && order=${modes%% *}
    for mode in $order; do
        flag=""
        [ "$mode" = no-eventfd ] && flag=--no-eventfd
        before=$(rx_packets)
        set +e
        "$ip" netns exec "$ns" "$cli" boot --kernel "$kernel" --cpus 1 --mem 128M --virtio mmio \
            --disk "$work/disk.img" --net "tap=$tap,mac=52:54:00:12:34:56" $flag \
            --append "$append" --time-limit 600 </dev/null >"$work/out" 2>"$work/err"
        rc=$?
        set -e
        arrived=$(( $(rx_packets) - before ))
        echo "----- run $i$([ "$i" -eq 0 ] && echo ' (warm-up, not counted)'), $mode: exit $rc, TAP rx_packets +$arrived"
        grep -E '^(bench |FAIL)' "$work/out" | tr -d '\r' || true
        grep -E '^sharpvmm: ' "$work/err" || true
        if [ "$rc" -ne 33 ] || grep -q '^FAIL' "$work/out"; then
            echo "$0: run $i ($mode) failed (exit $rc, expected 33); its output:" >&2
            tail -n 30 "$work/out" >&2
            cat "$work/err" >&2
            exit 1
        fi
        [ "$i" -eq 0 ] && continue
        tr -d '\r' <"$work/out" | awk -v m="$mode" -v r="$i" '
            /^bench blk (seq-write|seq-read) / { for (f = 4; f <= NF; f++) if ($f ~ /^MBps=/) print m, r, $3 "-MBps", substr($f, 6) }
            /^bench blk randread/ { for (f = 4; f <= NF; f++) { if ($f ~ /^iops=/) print m, r, $3 "-iops", substr($f, 6)
                                                                if ($f ~ /^avg_us=/) print m, r, $3 "-avg_us", substr($f, 8) } }
            /^bench blk flush/ { for (f = 4; f <= NF; f++) if ($f ~ /^avg_us=/) print m, r, "flush-us", substr($f, 8) }
            /^bench net tx/ { for (f = 4; f <= NF; f++) { if ($f ~ /^fps=/) print m, r, "net-tx-fps", substr($f, 5)
                                                          if ($f ~ /^MBps=/) print m, r, "net-tx-MBps", substr($f, 6) } }' >>"$results"
        awk -v m="$mode" -v r="$i" '/^sharpvmm: ran / { print m, r, "vm-exits", $5; print m, r, "run-s", $3 }' "$work/err" >>"$results"
        echo "$mode $i tap-rx-frames $arrived" >>"$results"
        for metric in seq-write-MBps seq-read-MBps randread-4k-qd1-iops randread-4k-qdmax-iops net-tx-fps; do
            grep -q " $metric " "$results" || { echo "$0: no $metric figure in run $i ($mode)" >&2; exit 1; }
        done
        if [ "$arrived" -lt "$frames" ]; then
            echo "$0: only $arrived of $frames frames reached the TAP in run $i ($mode)" >&2
        fi
    done
done

echo
echo "medians of $runs runs (min-max); $mb MiB sequential in 128 KiB requests, $ios random 4 KiB reads, $frames x 1514-byte frames"
awk -v modes="$modes" '
    { v[$1 SUBSEP $3] = v[$1 SUBSEP $3] " " $4; if (!($3 in seen)) { seen[$3] = 1; order[n++] = $3 } }
    function stats(list,    a, k, i, j, t, med) {
        k = split(list, a, " ")
        for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        med = k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        return (med == int(med) ? med : sprintf("%.1f", med)) " (" a[1] "-" a[k] ")"
    }
    END {
        m = split(modes, mm, " ")
        printf "%-24s", "metric"; for (i = 1; i <= m; i++) printf " %-26s", mm[i]; printf "\n"
        for (o = 0; o < n; o++) {
            printf "%-24s", order[o]
            for (i = 1; i <= m; i++) printf " %-26s", ((mm[i] SUBSEP order[o]) in v) ? stats(v[mm[i] SUBSEP order[o]]) : "-"
            printf "\n"
        }
    }' "$results"
