using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary><c>struct kvm_clock_data</c> for <c>KVM_GET_CLOCK</c>/<c>KVM_SET_CLOCK</c> (<c>KVM_CAP_ADJUST_CLOCK</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmClockData
{
    /// <summary>
    /// <c>KVM_CLOCK_TSC_STABLE</c>: the clock comes from KVM's master clock, the same on every vCPU (GET only).
    /// </summary>
    public const uint FlagTscStable = 2;

    /// <summary><c>KVM_CLOCK_REALTIME</c>: <see cref="Realtime"/> is valid; on SET, KVM adds the time passed since it.</summary>
    public const uint FlagRealtime = 4;

    /// <summary><c>KVM_CLOCK_HOST_TSC</c>: <see cref="HostTsc"/> is valid (GET only).</summary>
    public const uint FlagHostTsc = 8;

    /// <summary>The kvmclock value, in nanoseconds.</summary>
    public ulong Clock;
    /// <summary><c>KVM_CLOCK_*</c>.</summary>
    public uint Flags;
    private readonly uint _pad0;
    /// <summary>Host CLOCK_REALTIME (nanoseconds) when <see cref="Clock"/> was read.</summary>
    public ulong Realtime;
    /// <summary>Host TSC when <see cref="Clock"/> was read.</summary>
    public ulong HostTsc;
    private fixed uint _pad[4];
}
