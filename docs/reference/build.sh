#!/usr/bin/env bash
# Builds the API reference: docfx (the version in .config/dotnet-tools.json) reads the XML documentation of the eight
# library projects and writes a static site to artifacts/docs/. A docfx warning (an unresolved cref, a broken link)
# fails the build, as a compiler warning does. Needs nothing but the NuGet registry, and that only for the first
# restore: the site's template is part of the tool.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet tool restore >/dev/null
# docfx loads the projects without restoring them (noRestore in docfx.json); the two libraries nothing else
# references bring in the other six.
dotnet restore --verbosity quiet src/SharpVmm.Api/SharpVmm.Api.csproj
dotnet restore --verbosity quiet src/SharpVmm.Client/SharpVmm.Client.csproj

# Pages of types that no longer exist must not linger in the site.
rm -rf "$here/api" "$root/artifacts/docs"

dotnet docfx metadata "$here/docfx.json" --warningsAsErrors --logLevel warning
dotnet docfx build "$here/docfx.json" --warningsAsErrors --logLevel warning

echo "API reference: $root/artifacts/docs/index.html (serve it with: dotnet docfx serve artifacts/docs)"
