using System.Globalization;
using SharpVmm.Devices.Bus;
using SharpVmm.Diagnostics;
using SharpVmm.Kvm;

namespace SharpVmm.Exits;

/// <summary>
/// Names the device a failed exit was dispatched to: the exit is still in <c>kvm_run</c> (the vCPU has not
/// re-entered the guest), so its port or MMIO address, direction and size say which registration the access hit.
/// Used only once an exception has already ended the vCPU's loop, so it may allocate.
/// </summary>
internal static class FailedAccess
{
    /// <summary>A <see cref="DeviceFailure"/> for <paramref name="error"/>, thrown while <paramref name="exit"/> was dispatched.</summary>
    public static DeviceFailure Describe(VcpuExit exit, IoBus io, MmioBus mmio, Exception error)
    {
        string where = exit.Reason switch
        {
            KvmExitReason.Io => Access(io.Find(exit.IoPort), "port", exit.IoPort, exit.IoIsWrite, exit.IoSize),
            KvmExitReason.Mmio => Access(mmio.Find(exit.MmioAddress), "MMIO address", exit.MmioAddress, exit.MmioIsWrite, exit.MmioData.Length),
            _ => $"exit handling ({KvmExitReasonNames.Of(exit.Run.ExitReason)})",
        };
        return new DeviceFailure(where, error);
    }

    private static string Access(BusRange? range, string space, ulong address, bool isWrite, int size)
    {
        string owner = range is null
            ? "an unclaimed address"
            : string.Create(CultureInfo.InvariantCulture, $"{range.Device.GetType().Name} at 0x{range.Base:x}-0x{range.Last:x}");
        return string.Create(CultureInfo.InvariantCulture,
            $"{owner} ({size}-byte {(isWrite ? "write" : "read")} at {space} 0x{address:x})");
    }
}
