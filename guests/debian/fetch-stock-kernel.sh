#!/usr/bin/env bash
# Fetches Debian's stock cloud kernel (the package linux-image-cloud-amd64 depends on), unmodified, for the
# opt-in compatibility test. Prints the path of its vmlinuz (a bzImage) on stdout; progress goes to stderr.
# SHARPVMM_CACHE overrides the cache folder (default ~/.cache/sharpvmm).
set -euo pipefail
cache="${SHARPVMM_CACHE:-$HOME/.cache/sharpvmm}/debian-kernel"
mkdir -p "$cache"
cd "$cache"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq >&2
package=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$package" ] || { echo "fetch-stock-kernel: cannot tell which kernel linux-image-cloud-amd64 depends on" >&2; exit 1; }
if ! ls "$cache/$package"/boot/vmlinuz-* >/dev/null 2>&1; then
    echo "fetch-stock-kernel: downloading $package" >&2
    rm -f "$package"_*.deb
    apt-get download "$package" >&2
    rm -rf "$cache/$package"
    dpkg-deb -x "$package"_*.deb "$cache/$package"
fi
ls "$cache/$package"/boot/vmlinuz-* | head -1
