#!/usr/bin/env bash
# One-time setup: installs QEMU and fetches Debian's 6.1 kernel (which has kvm/kvm_amd as modules)
# into the work folder (NESTED_KVM_WORK, default ~/.cache/sharpvmm/nested-kvm), where it stays cached. Idempotent.
set -euo pipefail
work=${NESTED_KVM_WORK:-${SHARPVMM_CACHE:-$HOME/.cache/sharpvmm}/nested-kvm}
mkdir -p "$work"
if ! command -v qemu-system-x86_64 >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 >&2
fi
cd "$work"
if [ ! -e kernel/.done ]; then
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    echo "setup: downloading $pkg" >&2
    rm -rf kernel && apt-get download "$pkg" && dpkg-deb -x "$pkg"_*.deb kernel && touch kernel/.done
fi
echo "setup: kernel $(ls kernel/boot/vmlinuz-*) ready in $work" >&2
