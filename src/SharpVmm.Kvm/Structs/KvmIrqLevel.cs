using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_irq_level</c> for <c>KVM_IRQ_LINE</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmIrqLevel
{
    /// <summary>GSI number (the union's <c>irq</c>; <c>status</c> on return for the _STATUS variant).</summary>
    public uint Irq;
    /// <summary>1 asserts, 0 deasserts.</summary>
    public uint Level;
}
