#!/usr/bin/env bash
# Builds SharpVmm's small guest kernel from Debian's linux-source-6.1 package and the config fragment
# beside this script (applied on top of `make tinyconfig`). The result is cached by the hash of the
# fragment, this script and the source version, so a second run is instant.
#
# Usage: guests/linux/build-kernel.sh        prints the folder holding bzImage and vmlinux on stdout
# Progress goes to stderr. SHARPVMM_CACHE overrides the cache folder (default ~/.cache/sharpvmm).
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
fragment="$here/sharpvmm.config"
cache="${SHARPVMM_CACHE:-$HOME/.cache/sharpvmm}"
log() { echo "build-kernel: $*" >&2; }

need=()
[ -f /usr/src/linux-source-6.1.tar.xz ] || need+=(linux-source-6.1)
for tool in gcc make bc flex bison xz; do command -v $tool >/dev/null 2>&1 || need+=($tool); done
[ -f /usr/include/libelf.h ] || need+=(libelf-dev)
[ -f /usr/include/openssl/ssl.h ] || need+=(libssl-dev)
if [ ${#need[@]} -gt 0 ]; then
    pkgs=$(printf '%s\n' "${need[@]}" | sed 's/^xz$/xz-utils/' | sort -u | tr '\n' ' ')
    log "installing $pkgs"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >&2
fi

version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$(cat "$fragment" "${BASH_SOURCE[0]}" <(echo "$version") | sha256sum | cut -c1-16)
out="$cache/kernel-$key"
if [ -f "$out/bzImage" ] && [ -f "$out/vmlinux" ]; then
    log "cached: $out"
    echo "$out"
    exit 0
fi

src="$cache/linux-source-$version"
if [ ! -f "$src/.extracted" ]; then
    log "extracting linux-source-6.1 $version (about a minute)"
    rm -rf "$src"; mkdir -p "$src"
    tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$src" --strip-components=1
    touch "$src/.extracted"
fi

build="$cache/kernel-build-$key"
mkdir -p "$build"
log "configuring (tinyconfig + $(basename "$fragment"))"
make -s -C "$src" O="$build" tinyconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" >/dev/null
make -s -C "$src" O="$build" olddefconfig >&2

# Every option the fragment asks for must have survived olddefconfig (a dependency we forgot drops it silently).
missing=0
while IFS= read -r line; do
    case "$line" in CONFIG_*=*) ;; *) continue ;; esac
    name=${line%%=*}; want=${line#*=}
    if [ "$want" = n ]; then
        grep -q "^$name=" "$build/.config" && { log "option $name is set but the fragment says n"; missing=1; }
    else
        grep -qx "$line" "$build/.config" || { log "option $line did not survive olddefconfig"; missing=1; }
    fi
done <"$fragment"
[ $missing -eq 0 ] || { log "the kernel config does not match the fragment"; exit 1; }

jobs=$(nproc)
log "compiling with $jobs jobs (several minutes on 2 cores)"
start=$SECONDS
make -C "$src" O="$build" -j"$jobs" bzImage vmlinux 2>&1 | awk '/^  (CC|LD|AR|AS) /{n++; if (n % 200 == 0) {printf "build-kernel: %d objects built\n", n > "/dev/stderr"}; next} {print > "/dev/stderr"}'
[ "${PIPESTATUS[0]}" -eq 0 ] || { log "kernel build failed"; exit 1; }
log "compiled in $((SECONDS - start)) s"

mkdir -p "$out.tmp"
cp "$build/arch/x86/boot/bzImage" "$build/vmlinux" "$build/.config" "$out.tmp/"
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out"
