using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>fail_entry</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmRunFailEntry
{
    /// <summary>Hardware-specific reason (on VMX, the VM-entry failure exit reason).</summary>
    public ulong HardwareEntryFailureReason;
    /// <summary>Host CPU the entry was tried on.</summary>
    public uint Cpu;
}
