using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_xcr</c>: one extended control register (XCR0 is number 0).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmXcr
{
    /// <summary>The register's number (ECX of XSETBV).</summary>
    public uint Xcr;
    private readonly uint _reserved;
    /// <summary>Its value.</summary>
    public ulong Value;
}
