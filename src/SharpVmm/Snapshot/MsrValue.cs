namespace SharpVmm.Snapshot;

/// <summary>One saved model-specific register.</summary>
public sealed class MsrValue
{
    /// <summary>An empty entry (for the serializer).</summary>
    public MsrValue()
    {
    }

    /// <summary>The MSR <paramref name="index"/> holding <paramref name="value"/>.</summary>
    public MsrValue(uint index, ulong value)
    {
        Index = index;
        Value = value;
    }

    /// <summary>The MSR's index (ECX of RDMSR).</summary>
    public uint Index { get; set; }

    /// <summary>Its value.</summary>
    public ulong Value { get; set; }
}
