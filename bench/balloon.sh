#!/bin/sh
# Measures what the virtio-balloon gives back to the host: the VMM's RSS after the guest touched almost all its
# memory and freed it again, and after the balloon was inflated by half the guest's memory through the API
# (PATCH /balloon), with the time the guest took to fill the balloon. The guest's fill runs in user mode: hardware
# KVM or tools/nested-kvm, not kvm_pvm.
#
# usage: bench/balloon.sh KERNEL_DIR [GUEST_MIB]        (default 512 MiB)
#   SHARPVMM_CLI: the CLI (default artifacts/cli/SharpVmm.Cli: ./sharpvmm --help builds it). Needs curl.
# Under nested KVM, from the repository root:
#   ./sharpvmm --help >/dev/null && printf 'sh /repo/bench/balloon.sh /bench/kernel\n' >/tmp/balloon-run.sh
#   tools/nested-kvm/run-in-vm.sh -t 900 -a "$(guests/linux/build-kernel.sh)=/bench/kernel" -a bench=/repo/bench /tmp/balloon-run.sh
set -eu
[ $# -ge 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
kernel=$1/vmlinux mib=${2:-512} half=$((${2:-512} / 2))
cli=${SHARPVMM_CLI:-artifacts/cli/SharpVmm.Cli}
[ -x "$cli" ] || cli=/bin/SharpVmm.Cli
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/init" <<'SCRIPT'
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
echo 1 > /proc/sys/kernel/ctrl-alt-del
mount -t tmpfs -o size=95% tmpfs /mnt
set -- $(grep MemFree /proc/meminfo)
dd if=/dev/zero of=/mnt/fill bs=1M count=$(( $2 / 1024 - 24 )) 2>/dev/null
rm /mnt/fill
echo "guest-filled-and-freed"
while true; do sleep 1; done
SCRIPT
"$cli" initramfs "$work/initramfs.cpio" --init "$work/init" >/dev/null 2>&1
sock=$work/fc.sock
"$cli" firecracker --api-sock "$sock" --id balloon-bench >"$work/console" 2>"$work/stderr" </dev/null &
vmm=$!
api() { curl -s --unix-socket "$sock" -X "$1" "http://localhost$2" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
until [ -S "$sock" ]; do sleep 0.1; done
api PUT /machine-config "{\"vcpu_count\": 1, \"mem_size_mib\": $mib}"
api PUT /boot-source "{\"kernel_image_path\": \"$kernel\", \"initrd_path\": \"$work/initramfs.cpio\", \"boot_args\": \"console=ttyS0 reboot=k panic=-1 quiet\"}"
api PUT /balloon '{"amount_mib": 0, "deflate_on_oom": false, "stats_polling_interval_s": 1}'
api PUT /actions '{"action_type": "InstanceStart"}'
until grep -q guest-filled-and-freed "$work/console"; do kill -0 $vmm || { cat "$work/stderr"; exit 1; }; sleep 0.5; done
rss() { awk '/^VmRSS/ { print int($2 / 1024) }' /proc/$vmm/status; }
before=$(rss)
start=$(date +%s.%N)
api PATCH /balloon "{\"amount_mib\": $half}"
until api GET /balloon/statistics | grep -q "\"actual_mib\":$half[,}]"; do sleep 0.1; done
took=$(echo "$(date +%s.%N) - $start" | bc)
after=$(rss)
echo "guest ${mib} MiB, balloon inflated by ${half} MiB in ${took} s (to actual_mib, polled every 0.1 s)"
echo "VMM RSS: ${before} MiB before, ${after} MiB after: $((before - after)) MiB returned ($(( (before - after) * 100 / half )) % of the balloon)"
api GET /balloon/statistics; echo
api PUT /actions '{"action_type": "SendCtrlAltDel"}'
wait $vmm || true
grep '^sharpvmm: balloon' "$work/stderr" || true
