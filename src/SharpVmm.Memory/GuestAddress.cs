using System.Globalization;

namespace SharpVmm.Memory;

/// <summary>A guest-physical address. Arithmetic is checked: wrapping past 2^64 throws.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    /// <summary>Returns this address plus <paramref name="offset"/>, or throws when that overflows.</summary>
    /// <exception cref="GuestMemoryException">The sum does not fit in 64 bits.</exception>
    public GuestAddress Add(ulong offset) =>
        Value + offset < Value
            ? throw new GuestMemoryException(this, offset, "address arithmetic overflows 64 bits")
            : new GuestAddress(Value + offset);

    /// <summary>Returns this address plus <paramref name="offset"/>, or <c>null</c> when that overflows.</summary>
    public GuestAddress? TryAdd(ulong offset) => Value + offset < Value ? null : new GuestAddress(Value + offset);

    /// <inheritdoc />
    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    /// <summary>Formats as <c>0x…</c>.</summary>
    public override string ToString() => "0x" + Value.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="a"/> is below <paramref name="b"/>.</summary>
    public static bool operator <(GuestAddress a, GuestAddress b) => a.Value < b.Value;

    /// <summary>Whether <paramref name="a"/> is above <paramref name="b"/>.</summary>
    public static bool operator >(GuestAddress a, GuestAddress b) => a.Value > b.Value;

    /// <summary>Whether <paramref name="a"/> is at or below <paramref name="b"/>.</summary>
    public static bool operator <=(GuestAddress a, GuestAddress b) => a.Value <= b.Value;

    /// <summary>Whether <paramref name="a"/> is at or above <paramref name="b"/>.</summary>
    public static bool operator >=(GuestAddress a, GuestAddress b) => a.Value >= b.Value;
}
