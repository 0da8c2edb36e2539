using SharpVmm.Devices;

namespace SharpVmm.Tests.Support;

/// <summary>An interrupt line that records every level change a device drives.</summary>
public sealed class RecordingInterruptLine : IInterruptLine
{
    public List<bool> Levels { get; } = [];

    public bool IsHigh => Levels.Count > 0 && Levels[^1];

    public void SetLevel(bool high) => Levels.Add(high);
}
