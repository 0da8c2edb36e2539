namespace SharpVmm.Memory;

/// <summary>An access to guest memory that falls outside every region, or whose address arithmetic overflows.</summary>
public sealed class GuestMemoryException : Exception
{
    /// <summary>Creates the exception for an access of <paramref name="length"/> bytes at <paramref name="address"/>.</summary>
    public GuestMemoryException(GuestAddress address, ulong length, string problem)
        : base($"guest memory access of {length} byte(s) at {address}: {problem}")
    {
        Address = address;
        Length = length;
    }

    /// <summary>Creates the exception with a free-form message (region set-up failures).</summary>
    public GuestMemoryException(string message) : base(message)
    {
    }

    /// <summary>The start of the access.</summary>
    public GuestAddress Address { get; }

    /// <summary>The length of the access in bytes.</summary>
    public ulong Length { get; }
}
