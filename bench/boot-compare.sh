#!/bin/sh
# The measuring half of bench/boot.sh, in POSIX sh so that it also runs inside tools/nested-kvm's busybox VM.
# Boots KERNEL (a bzImage) with INITRD under SharpVmm (CLI) and, when given, QEMU's microvm and kvmtool, alternating,
# RUNS times each, 1 vCPU, 256 MiB, the same command line; prints one line per run and the medians.
# Usage: boot-compare.sh CLI KERNEL INITRD RUNS [QEMU|-] [LKVM]
set -u
cli=$1 kernel=$2 initrd=$3 runs=$4 qemu=${5:-} lkvm=${6:-}
[ "$qemu" != - ] || qemu=""
append="console=ttyS0 reboot=t panic=-1 printk.time=1"   # reboot=t: microvm has no i8042 to reset through
out=${TMPDIR:-/tmp}/boot-compare.$$
mkdir -p "$out"

# Milliseconds from /proc/uptime (10 ms steps): busybox's date has no %N.
ms_now() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
# The guest's clock at "Run /init" from the printk time stamp, in ms.
guest_ms() { sed -n 's/^\[ *\([0-9]*\)\.\([0-9][0-9][0-9]\)[0-9]*\] Run \/init as init process.*/\1\2/p' "$1" | head -1 | sed 's/^0*//'; }
median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else print int((v[NR/2]+v[NR/2+1])/2)}'; }

echo "vmm       run  guest clock at 'Run /init' (ms)  whole process (ms)  exits   VMM share of vCPU time"
i=1
while [ "$i" -le "$runs" ]; do
    start=$(ms_now)
    "$cli" boot --kernel "$kernel" --initrd "$initrd" --cpus 1 --mem 256M --append "$append" --time-limit 300 \
        </dev/null >"$out/sharpvmm.out" 2>"$out/sharpvmm.err"
    end=$(ms_now)
    g=$(guest_ms "$out/sharpvmm.out")
    exits=$(sed -n 's/^sharpvmm: ran [0-9.]* s, \([0-9]*\) exits.*/\1/p' "$out/sharpvmm.err")
    share=$(sed -n 's/^sharpvmm: ran .*(\([0-9.]*\) % of vCPU time)/\1/p' "$out/sharpvmm.err")
    printf '%-9s %-4s %-32s %-19s %-7s %s %%\n' sharpvmm "$i" "${g:--}" $((end - start)) "${exits:--}" "${share:--}"
    echo "${g:-}" >>"$out/sharpvmm.guest"
    echo $((end - start)) >>"$out/sharpvmm.whole"
    if [ -n "$qemu" ]; then
        start=$(ms_now)
        timeout 120 "$qemu" -L /usr/share/qemu -M microvm,x-option-roms=off -enable-kvm -cpu host -m 256M -smp 1 -nodefaults -no-user-config \
            -display none -serial stdio -no-reboot -kernel "$kernel" -initrd "$initrd" -append "$append" \
            </dev/null >"$out/qemu.out" 2>"$out/qemu.err"
        end=$(ms_now)
        g=$(guest_ms "$out/qemu.out")
        printf '%-9s %-4s %-32s %-19s %-7s %s\n' qemu "$i" "${g:--}" $((end - start)) - -
        echo "${g:-}" >>"$out/qemu.guest"
        echo $((end - start)) >>"$out/qemu.whole"
    fi
    if [ -n "$lkvm" ]; then
        # kvmtool as its users run it: its own command line first (noapic noacpi pci=conf1 i8042.* ...), then ours;
        # no network device (its default is user-mode networking), the 8250 console. It keeps a socket under $HOME.
        start=$(ms_now)
        HOME=$out timeout 120 "$lkvm" run -k "$kernel" -i "$initrd" -c 1 -m 256 -n mode=none --console serial \
            -p "$append" </dev/null >"$out/kvmtool.out" 2>"$out/kvmtool.err"
        end=$(ms_now)
        g=$(guest_ms "$out/kvmtool.out")
        printf '%-9s %-4s %-32s %-19s %-7s %s\n' kvmtool "$i" "${g:--}" $((end - start)) - -
        echo "${g:-}" >>"$out/kvmtool.guest"
        echo $((end - start)) >>"$out/kvmtool.whole"
    fi
    i=$((i + 1))
done
echo "medians:"
for vmm in sharpvmm qemu kvmtool; do
    [ -f "$out/$vmm.whole" ] || continue
    printf '  %-9s Run /init at %s ms (guest clock), whole process %s ms\n' "$vmm" \
        "$(grep . "$out/$vmm.guest" | median)" "$(median <"$out/$vmm.whole")"
done
[ ! -s "$out/qemu.err" ] || { echo "qemu's stderr (last run):"; head -5 "$out/qemu.err"; }
for vmm in qemu kvmtool; do
    [ ! -f "$out/$vmm.out" ] || grep -q "Run /init" "$out/$vmm.out" || { echo "$vmm's console (last run, no 'Run /init'):"; tail -15 "$out/$vmm.out"; tail -5 "$out/$vmm.err"; }
done
rm -rf "$out"
