using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_debug_exit_arch</c> (x86).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmDebugExitArch
{
    /// <summary>Exception vector (1 or 3).</summary>
    public uint Exception;
    private readonly uint _pad;
    /// <summary>Guest RIP (linear).</summary>
    public ulong Pc;
    /// <summary>DR6 at exit.</summary>
    public ulong Dr6;
    /// <summary>DR7 at exit.</summary>
    public ulong Dr7;
}
