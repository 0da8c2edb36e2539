using SharpVmm.Devices.Bus;

namespace SharpVmm.Tests.Kvm.HostileGuest;

/// <summary>A bus device with a bug the guest can reach: every access throws <see cref="InvalidOperationException"/>.</summary>
public sealed class ThrowingDevice(string message) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data) => throw new InvalidOperationException($"{message} (read at 0x{offset:x})");

    public void Write(ulong offset, ReadOnlySpan<byte> data) => throw new InvalidOperationException($"{message} (write at 0x{offset:x})");
}
