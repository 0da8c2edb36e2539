#!/bin/sh
# Measures virtio-vsock against virtio-net on the same guest: throughput guest to host and host to guest, and the
# round-trip time of one byte, host to guest. The guest runs guests/sock-tool (user mode: hardware KVM or
# tools/nested-kvm, not kvm_pvm); the host side uses the same program, over the VM's vsock Unix socket
# (Firecracker's CONNECT protocol) and over TCP through a TAP in a network namespace. Needs root (netns, TAP).
#
# usage: bench/vsock.sh KERNEL_DIR SOCK_TOOL [MIB] [PINGS]      (defaults: 64 MiB, 2000 round trips)
#   KERNEL_DIR: guests/linux/build-kernel.sh's folder; SOCK_TOOL: guests/sock-tool/build.sh's binary.
#   SHARPVMM_CLI: the CLI (default artifacts/cli/SharpVmm.Cli: ./sharpvmm --help builds it).
# Under nested KVM, from the repository root:
#   ./sharpvmm --help >/dev/null && guests/sock-tool/build.sh /tmp/sock-tool
#   printf 'sh /repo/bench/vsock.sh /bench/kernel /bench/sock-tool\n' >/tmp/vsock-run.sh
#   tools/nested-kvm/run-in-vm.sh -t 900 -a "$(guests/linux/build-kernel.sh)=/bench/kernel" \
#       -a /tmp/sock-tool=/bench/sock-tool -a bench=/repo/bench /tmp/vsock-run.sh
set -eu
[ $# -ge 2 ] || { sed -n '2,14p' "$0" >&2; exit 2; }
kernel=$1/vmlinux tool=$(readlink -f "$2") mib=${3:-64} pings=${4:-2000}
cli=${SHARPVMM_CLI:-artifacts/cli/SharpVmm.Cli}
[ -x "$cli" ] || cli=/bin/SharpVmm.Cli
bytes=$((mib * 1048576))
work=$(mktemp -d)
ns=sharpvmm-vsock-bench-$$
ip=$(command -v /usr/local/sbin/ip || command -v ip)
cleanup() { kill $(jobs -p) 2>/dev/null || true; "$ip" netns del $ns 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$ip" netns add $ns
"$ip" netns exec $ns "$ip" link set lo up
"$ip" netns exec $ns "$ip" tuntap add dev tap0 mode tap
"$ip" netns exec $ns "$ip" addr add 10.0.2.2/24 dev tap0
"$ip" netns exec $ns "$ip" link set tap0 up

cat >"$work/init" <<SCRIPT
#!/bin/sh
mount -t proc proc /proc
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
/sock-tool echo-server vsock:5000 >/dev/null &
/sock-tool sink-server vsock:5001 >/dev/null &
/sock-tool echo-server tcp:5000 >/dev/null &
/sock-tool sink-server tcp:5001 >/dev/null &
sleep 1
echo bench-guest-ready
echo "guest to host, vsock:"; /sock-tool send vsock:2:7000 $bytes
echo "guest to host, tcp:"; /sock-tool send tcp:10.0.2.2:7000 $bytes
echo bench-guest-sent
until /sock-tool echo vsock:2:7001 gate >/dev/null 2>&1; do sleep 1; done
reboot -f
SCRIPT
mkdir -p "$work/root"
cp "$tool" "$work/root/sock-tool"
"$cli" initramfs "$work/initramfs.cpio" --init "$work/init" --add "$work/root/sock-tool=/sock-tool" >/dev/null 2>&1 \
    || "$cli" initramfs "$work/initramfs.cpio" --init "$work/init" >/dev/null
uds=$work/v.sock
"$tool" sink-server "unix:${uds}_7000" >/dev/null &
"$ip" netns exec $ns "$tool" sink-server tcp:7000 >/dev/null &
"$ip" netns exec $ns "$cli" boot --kernel "$kernel" --initrd "$work/initramfs.cpio" --mem 512M --net tap=tap0 \
    --vsock "cid=3,uds=$uds" --append "console=ttyS0 reboot=k panic=-1 quiet" --time-limit 600 \
    </dev/null >"$work/console" 2>"$work/stderr" &
vmm=$!
until grep -q bench-guest-sent "$work/console"; do
    kill -0 $vmm 2>/dev/null || { cat "$work/console" "$work/stderr"; echo "vsock bench: the VM ended early" >&2; exit 1; }
    sleep 0.5
done
sed -n '/bench-guest-ready/,/bench-guest-sent/p' "$work/console" | grep -v '^bench' | sed 's/^/  /'
echo "host to guest, vsock:"; "$tool" send "hybrid:$uds:5001" $bytes 2>&1 | sed 's/^/  /'
echo "host to guest, tcp:"; "$ip" netns exec $ns "$tool" send tcp:10.0.2.15:5001 $bytes 2>&1 | sed 's/^/  /'
echo "round trip, host to guest, vsock:"; "$tool" ping "hybrid:$uds:5000" $pings | sed 's/^/  /'
echo "round trip, host to guest, tcp:"; "$ip" netns exec $ns "$tool" ping tcp:10.0.2.15:5000 $pings | sed 's/^/  /'
"$tool" echo-server "unix:${uds}_7001" >/dev/null &
wait $vmm || true
grep -E '^sharpvmm: (ran|vsock|net)' "$work/stderr" | sed 's/^/  /' || true
