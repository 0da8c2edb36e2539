namespace SharpVmm.Gdb;

/// <summary>One register of a <see cref="GdbRegisterLayout"/>, as its target description declares it to gdb.</summary>
public sealed class GdbRegister
{
    internal GdbRegister(string name, int number, int bitSize, string type, string? group, string feature, int offset,
        X86RegisterSlot slot)
    {
        Name = name;
        Number = number;
        BitSize = bitSize;
        Type = type;
        Group = group;
        Feature = feature;
        Offset = offset;
        Slot = slot;
    }

    /// <summary>gdb's name for it (<c>rip</c>, <c>st0</c>, <c>cr3</c>).</summary>
    public string Name { get; }

    /// <summary>Its number in <c>p</c>/<c>P</c> packets and stop replies: its position in the layout.</summary>
    public int Number { get; }

    /// <summary>Its width in bits.</summary>
    public int BitSize { get; }

    /// <summary>Its width in bytes, as it appears (little-endian) in register packets.</summary>
    public int ByteSize => BitSize / 8;

    /// <summary>The target-description type gdb shows it as (<c>int64</c>, <c>code_ptr</c>, <c>vec128</c>, ...).</summary>
    public string Type { get; }

    /// <summary>The register group given to gdb (<c>float</c>, <c>vector</c>, <c>system</c>), or null for gdb's default.</summary>
    public string? Group { get; }

    /// <summary>The name of the target-description feature it belongs to.</summary>
    public string Feature { get; }

    /// <summary>Where its bytes start in the <c>g</c>/<c>G</c> packet's data (hex digits are twice this).</summary>
    public int Offset { get; }

    internal X86RegisterSlot Slot { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Number}:{Name}({BitSize})";
}
