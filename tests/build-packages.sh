#!/usr/bin/env bash
# Builds what the package tests run, the way a user builds it, with the .NET SDK and no KVM:
#
#   tests/build-packages.sh tool OUT      dotnet pack the CLI, then dotnet tool install it from that feed into OUT/tool
#   tests/build-packages.sh sample OUT    dotnet pack the solution, then build samples/GuestFunction against that feed
#                                         (restored into an empty package cache) into OUT/sample
#   tests/build-packages.sh all OUT       both
#
# ToolPackageTests and SamplePackageTests call it and then run what it built, which needs KVM. Where the tests run
# inside tools/nested-kvm (whose VM has the .NET runtime but no SDK), ./run-tests calls it on the host first and hands
# OUT to the VM as SHARPVMM_PACKAGE_ARTIFACTS. Packs build in a temporary folder under OUT (--artifacts-path), never in
# the tree's bin and obj folders. Prints nothing on stdout; exits non-zero with the failing command's output on stderr.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
[ $# -eq 2 ] && [[ $1 =~ ^(tool|sample|all)$ ]] || { echo "usage: tests/build-packages.sh tool|sample|all OUT" >&2; exit 2; }
what=$1
mkdir -p "$2" && out=$(cd "$2" && pwd) || exit 2
# The feed's path goes into the sample's nuget.config (XML, through sed): keep to characters neither minds.
[[ $out =~ ^[A-Za-z0-9/._+-]+$ ]] || { echo "build-packages: OUT must be a plain path (letters, digits, / . _ + -): $out" >&2; exit 2; }
work=$(mktemp -d "$out/.work.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

step() {   # runs a command quietly; on failure shows its output and stops
    local log="$work/step.log"
    "$@" >"$log" 2>&1 || { echo "build-packages: $* failed:" >&2; cat "$log" >&2; exit 1; }
}

the_package() {   # the_package PATTERN: the one file matching, else stop
    local files=($1)
    [ ${#files[@]} -eq 1 ] && [ -f "${files[0]}" ] || { echo "build-packages: expected one package $1, found: ${files[*]}" >&2; exit 1; }
    echo "${files[0]}"
}

version_of() {   # the version in a package file's name: PREFIX.VERSION.nupkg
    local name=${1##*/}
    name=${name%.nupkg}
    echo "${name#"$2".}"
}

if [ "$what" != sample ]; then
    step dotnet pack "$root/src/SharpVmm.Cli/SharpVmm.Cli.csproj" -c Release -o "$work/tool-feed" \
        --artifacts-path "$work/tool-build" --nologo
    package=$(the_package "$work/tool-feed/SharpVmm.Cli.*.nupkg") || exit 1
    rm -rf "$out/tool"
    # A package cache of its own, so that an older SharpVmm.Cli of the same version cached by an earlier run is not
    # what gets installed.
    step env NUGET_PACKAGES="$work/tool-cache" dotnet tool install --tool-path "$out/tool" SharpVmm.Cli \
        --version "$(version_of "$package" SharpVmm.Cli)" --add-source "$work/tool-feed"
fi

if [ "$what" != tool ]; then
    step dotnet pack "$root/SharpVmm.slnx" -c Release -o "$work/feed" --artifacts-path "$work/build" --nologo
    package=$(the_package "$work/feed/SharpVmm.[0-9]*.nupkg") || exit 1
    # The sample as a user would have it: samples/ copied out, its nuget.config naming this feed.
    mkdir -p "$work/samples"
    step bash -c 'cd "$1" && find . -type f -not -path "*/bin/*" -not -path "*/obj/*" -exec cp --parents {} "$2" \;' - "$root/samples" "$work/samples"
    step sed -i "s|../artifacts/packages|$work/feed|" "$work/samples/nuget.config"
    rm -rf "$out/sample"
    step env NUGET_PACKAGES="$work/cache" dotnet build "$work/samples/GuestFunction" -c Release -o "$out/sample" \
        "-p:SharpVmmVersion=$(version_of "$package" SharpVmm)" --nologo
fi
