using SharpVmm.Devices.Pci;

namespace SharpVmm.Tests.Unit.Pci;

/// <summary>An MSI sink that records every message.</summary>
internal sealed class RecordingMsiSink : IMsiSink
{
    public List<MsiMessage> Messages { get; } = [];

    public void Send(MsiMessage message) => Messages.Add(message);
}
