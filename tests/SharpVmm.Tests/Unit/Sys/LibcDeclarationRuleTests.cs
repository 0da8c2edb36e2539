using System.Text.RegularExpressions;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Sys;

/// <summary>Keeps the rule of docs/architecture.md: libc is declared in SharpVmm.Sys alone, and unsafe code lives in Sys, Kvm and Memory only.</summary>
[Tier(TestTiers.Unit)]
public partial class LibcDeclarationRuleTests
{
    private static readonly string[] UnsafeProjects = ["SharpVmm.Sys", "SharpVmm.Kvm", "SharpVmm.Memory"];

    [Fact]
    public void No_project_but_SharpVmm_Sys_declares_a_native_import()
    {
        string src = Path.Combine(RepoPaths.Root, "src");
        string[] offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(path => ProjectOf(src, path) != "SharpVmm.Sys" && !IsBuildOutput(src, path))
            .Where(path => NativeImport().IsMatch(File.ReadAllText(path)))
            .Select(path => Path.GetRelativePath(RepoPaths.Root, path))
            .ToArray();

        Assert.True(offenders.Length == 0,
            $"libc is declared in src/SharpVmm.Sys only (add the call there and use it); [LibraryImport]/[DllImport] found in: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void Only_Sys_Kvm_and_Memory_allow_unsafe_code()
    {
        string src = Path.Combine(RepoPaths.Root, "src");
        string[] offenders = Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories)
            .Where(path => File.ReadAllText(path).Contains("<AllowUnsafeBlocks>true", StringComparison.Ordinal))
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Where(project => !UnsafeProjects.Contains(project))
            .ToArray();

        Assert.True(offenders.Length == 0, $"unsafe code belongs in {string.Join(", ", UnsafeProjects)}; AllowUnsafeBlocks is on in: {string.Join(", ", offenders)}");
    }

    [Fact]
    public void The_rule_recognises_both_kinds_of_import()
    {
        Assert.Matches(NativeImport(), "    [LibraryImport(Lib, EntryPoint = \"read\")]");
        Assert.Matches(NativeImport(), "[DllImport(\"libc\", SetLastError = true)]");
        Assert.DoesNotMatch(NativeImport(), "/// <c>DllImport</c>s, not <c>LibraryImport</c>s");
    }

    private static string ProjectOf(string src, string path) => Path.GetRelativePath(src, path).Split(Path.DirectorySeparatorChar)[0];

    private static bool IsBuildOutput(string src, string path) =>
        Path.GetRelativePath(src, path).Split(Path.DirectorySeparatorChar) is [_, "obj" or "bin", ..];

    [GeneratedRegex(@"\[\s*(?:System\.Runtime\.InteropServices\.)?(?:LibraryImport|DllImport)(?:Attribute)?\s*\(")]
    private static partial Regex NativeImport();
}
