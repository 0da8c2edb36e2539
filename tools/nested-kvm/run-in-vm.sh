#!/usr/bin/env bash
# Runs a shell script (busybox sh) inside a QEMU/TCG VM with an SVM-capable AMD CPU and kvm_amd loaded,
# so the script sees a working /dev/kvm. Prints the serial console; exits with the script's exit code.
#
# usage: run-in-vm.sh [-m MEM] [-t TIMEOUT_S] [-c CPUS] [-d] [-o FILE] [-M SOCKET] [-a SRC=DEST]... SCRIPT
#   -d           also include this machine's .NET runtime at /usr/share/dotnet
#   -o FILE      the VM's second serial port (/dev/ttyS1) is written to FILE (a channel apart from the console)
#   -M SOCKET    QEMU's monitor on the Unix socket SOCKET (vm-cpus.py asks it where the CPUs of a hung VM are)
#   -a SRC=DEST  copy a file or folder SRC from this machine to DEST inside the VM
# Inside the VM, where they have been built: /bin/SharpVmm.Cli (the Native AOT CLI), /guest/{vmlinux,bzImage,initramfs.cpio}.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${NESTED_KVM_WORK:-${SHARPVMM_CACHE:-$HOME/.cache/sharpvmm}/nested-kvm}
mem=3G timeout=1800 cpus=2 dotnet=0 adds=() out=/dev/null monitor=none
while getopts m:t:c:do:M:a: opt; do
    case $opt in
        m) mem=$OPTARG ;; t) timeout=$OPTARG ;; c) cpus=$OPTARG ;; d) dotnet=1 ;; o) out=$OPTARG ;; M) monitor=unix:$OPTARG,server,nowait ;; a) adds+=("$OPTARG") ;;
        *) sed -n '2,10p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
script=$1
[ -e "$work/kernel/.done" ] || "$here/setup.sh"
kdir=$(echo "$work"/kernel/lib/modules/*)
vmlinuz=$(echo "$work"/kernel/boot/vmlinuz-*)

root=$(mktemp -d "$work/root.XXXXXX")
chmod 755 "$root"   # the VM's /: other users (the CLI's permission test) must reach /lib
initrd="$root.cpio"   # per run: two runs at once must not share it
trap 'rm -rf "$root" "$initrd"' EXIT
mkdir -p "$root"/{bin,usr/bin,sbin,etc,modules,guest,lib64,lib/x86_64-linux-gnu}
cp /bin/busybox "$root/bin/busybox"
install -m 755 "$here/init" "$root/init"
install -m 755 "$script" "$root/run.sh"
# kvm-hold keeps KVM VMs open for the VM's whole life (kvm-hold.c says why: without it the VM can hang when its first
# KVM VM is created or its last destroyed). The VM has no compiler: it is built here, once, like the guests' tools.
hold="$work/kvm-hold"
if [ ! -x "$hold" ] || [ "$here/kvm-hold.c" -nt "$hold" ]; then
    gcc -static -O2 -Wall -Wextra -Werror -o "$hold.tmp" "$here/kvm-hold.c" && mv "$hold.tmp" "$hold"
fi
cp "$hold" "$root/bin/kvm-hold"
for m in irqbypass kvm ccp kvm-amd tun; do
    f=$(find "$kdir" -name "$m.ko*" | head -1)
    case $f in *.xz) xz -dc "$f" >"$root/modules/$m.ko" ;; *.zst) zstd -dcq "$f" >"$root/modules/$m.ko" ;; *) cp "$f" "$root/modules/$m.ko" ;; esac
done
for f in vmlinux bzImage initramfs.cpio; do
    [ ! -f "$repo/artifacts/guest/$f" ] || cp "$repo/artifacts/guest/$f" "$root/guest/"
done
libs() { ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true; }
copy_libs() {   # the shared libraries (from this machine's /lib, /usr/lib) a binary in the VM needs
    for l in $(libs "$1"); do
        case $l in "$root"/*) continue ;; esac
        [ -e "$root$l" ] || { mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l"; }
    done
}
if [ -f "$repo/artifacts/cli/SharpVmm.Cli" ]; then
    cp "$repo/artifacts/cli/SharpVmm.Cli" "$root/bin/"
    copy_libs "$root/bin/SharpVmm.Cli"
fi
# iproute2's ip (network namespaces, TAPs) and e2fsprogs (ext4 images; e2fsck replays a killed guest's journal) for the virtio tests, where the host has them;
# /usr/local/sbin comes first in the VM's PATH (a busybox sh still prefers its own ip applet: call it by path there).
mkdir -p "$root/usr/local/sbin"
# util-linux's setpriv too: busybox's has no --reuid, which the CLI's permission test needs.
# curl: the Firecracker API tests drive the API with it.
for t in ip:ip mke2fs:mkfs.ext4 dumpe2fs:dumpe2fs debugfs:debugfs e2fsck:e2fsck setpriv:setpriv curl:curl; do
    src=$(command -v "${t%%:*}" 2>/dev/null || true)
    [ -n "$src" ] || continue
    cp -L "$src" "$root/usr/local/sbin/${t#*:}"
    copy_libs "$root/usr/local/sbin/${t#*:}"
done
# gdb (the gdb stub's Linux test) with what it cannot start without: its data directory and the Python standard
# library it embeds, less the parts a batch session never loads (about 12 MB instead of 54).
if gdb_bin=$(command -v gdb 2>/dev/null); then
    cp -L "$gdb_bin" "$root/usr/local/sbin/gdb"
    copy_libs "$root/usr/local/sbin/gdb"
    [ ! -d /usr/share/gdb ] || { mkdir -p "$root/usr/share" && cp -a /usr/share/gdb "$root/usr/share/"; }
    py=$(libs "$gdb_bin" | grep -o 'libpython3\.[0-9]*' | head -1 | sed 's/^lib//')
    if [ -n "$py" ] && [ -d "/usr/lib/$py" ]; then
        mkdir -p "$root/usr/lib/$py"
        tar -C "/usr/lib/$py" -c --exclude=test --exclude=idlelib --exclude=tkinter --exclude=ensurepip --exclude=lib2to3 \
            --exclude=pydoc_data --exclude='config-*' --exclude=__pycache__ --exclude=site-packages --exclude=dist-packages \
            --exclude=turtledemo --exclude=venv . | tar -C "$root/usr/lib/$py" -x
    fi
fi
: >"$root/etc/env"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"   # .NET's Environment.UserName needs an entry
echo 'root:x:0:' >"$root/etc/group"
if [ $dotnet -eq 1 ]; then
    # The runtime alone (the host, the shared frameworks), as installed with the SDK on this machine.
    dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
    mkdir -p "$root/usr/share/dotnet/shared"
    cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$root/usr/share/dotnet/"
    cp -a "$dotnet_root/shared/Microsoft.NETCore.App" "$root/usr/share/dotnet/shared/"
    # ASP.NET Core's shared framework too: the CLI's Firecracker API runs on Kestrel.
    [ ! -d "$dotnet_root/shared/Microsoft.AspNetCore.App" ] || cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App" "$root/usr/share/dotnet/shared/"
    # The runtime's native parts need libstdc++, libgcc_s, and friends besides libc.
    for f in "$root/usr/share/dotnet/dotnet" $(find "$root/usr/share/dotnet" -name '*.so'); do copy_libs "$f"; done
    # OpenSSL is loaded with dlopen (ldd does not list it); ICU is left out and globalization runs invariant.
    for l in /usr/lib/x86_64-linux-gnu/lib{ssl,crypto}.so.3; do cp -L "$l" "$root/lib/x86_64-linux-gnu/"; done
    echo 'export DOTNET_ROOT=/usr/share/dotnet PATH=$PATH:/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1' >>"$root/etc/env"
fi
for a in ${adds[@]+"${adds[@]}"}; do
    src=${a%%=*} dest=${a#*=}
    mkdir -p "$root$(dirname "$dest")"
    cp -a "$src" "$root$dest"
    while read -r f; do copy_libs "$f"; done < <(find "$root$dest" -type f -perm -u+x)
done
(cd "$root" && find . | cpio -o -H newc --quiet) >"$initrd"
# No nested paging for the emulated CPU: kvm_amd in the VM then uses shadow page tables for its guests. With TCG's
# nested paging the L2 guests failed about one test in forty (triple faults, stalls, once the VM's own kernel);
# without it 140 Linux tests in a row passed (docs/testing.md, "Nested paging off"). NESTED_KVM_CPU overrides it.
cpu_model=${NESTED_KVM_CPU:-EPYC,+svm,-npt}
echo "run-in-vm: initramfs $(du -h "$initrd" | cut -f1), booting QEMU (TCG thread=${NESTED_KVM_TCG_THREAD:-multi}, -cpu $cpu_model, $cpus CPU(s), $mem)" >&2

log="$work/last-run.log"
# For a VM that hangs (docs/testing.md, "A nested VM that hangs"): no KASLR, so that vm-cpus.py can name the functions
# its CPUs are in from the kernel's System.map; warnings on the console (a soft lockup's stack traces are printed at
# the default level, which `quiet` alone hides), every CPU's stack with a soft lockup; and an NMI from the monitor
# (`nmi`) panics the kernel, which then prints the stack it was in.
append='console=ttyS0 panic=-1 quiet loglevel=5 nokaslr softlockup_all_cpu_backtrace=1 unknown_nmi_panic'
# NESTED_KVM_TCG_THREAD=single runs every emulated CPU on one host thread instead of one thread each (docs/testing.md,
# "Known flaky failures": tried against the nested flakes, which it did not cure).
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -accel tcg,thread=${NESTED_KVM_TCG_THREAD:-multi} -cpu "$cpu_model" -smp "$cpus" -m "$mem" \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
    -nographic -no-reboot -nodefaults -serial stdio -serial "file:$out" -monitor "$monitor" </dev/null 2> >(grep -v "TCG doesn't support requested feature" >&2) | tee "$log" || true
rc=$(sed -n 's/.*===== NESTED-KVM END rc=\([0-9]*\).*/\1/p' "$log" | tail -1)
[ -n "$rc" ] || { echo "run-in-vm: no END marker (VM crashed or timed out); log in $log" >&2; exit 125; }
exit "$rc"
