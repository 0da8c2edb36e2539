using SharpVmm.Devices;

namespace SharpVmm.Fuzz;

/// <summary>An interrupt line that only remembers its level and how often it rose.</summary>
public sealed class CountingInterruptLine : IInterruptLine
{
    /// <summary>The line's level now.</summary>
    public bool High { get; private set; }

    /// <summary>How many times the line went from low to high.</summary>
    public long Edges { get; private set; }

    /// <inheritdoc />
    public void SetLevel(bool high)
    {
        if (high && !High)
        {
            Edges++;
        }

        High = high;
    }
}
