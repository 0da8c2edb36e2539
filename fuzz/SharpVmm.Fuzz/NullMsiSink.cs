using SharpVmm.Devices.Pci;

namespace SharpVmm.Fuzz;

/// <summary>An MSI sink that counts the messages and delivers none.</summary>
public sealed class NullMsiSink : IMsiSink
{
    /// <summary>Messages sent so far.</summary>
    public long Sent { get; private set; }

    /// <inheritdoc />
    public void Send(MsiMessage message) => Sent++;
}
