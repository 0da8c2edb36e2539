using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>internal</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmRunInternal
{
    /// <summary><c>KVM_INTERNAL_ERROR_*</c>.</summary>
    public uint Suberror;
    /// <summary>Number of valid entries in <see cref="Data"/>.</summary>
    public uint Ndata;
    /// <summary>Suberror-specific data.</summary>
    public fixed ulong Data[16];
}
