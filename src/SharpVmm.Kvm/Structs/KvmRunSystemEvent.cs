using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>system_event</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmRunSystemEvent
{
    /// <summary><c>KVM_SYSTEM_EVENT_*</c>.</summary>
    public uint Type;
    /// <summary>Number of valid entries in <see cref="Data"/>.</summary>
    public uint Ndata;
    /// <summary>Event-specific data (the union's <c>flags</c> is <c>Data[0]</c>).</summary>
    public fixed ulong Data[16];
}
