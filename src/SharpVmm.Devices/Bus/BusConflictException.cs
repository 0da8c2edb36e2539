namespace SharpVmm.Devices.Bus;

/// <summary>A device registration that overlaps another, is empty, or runs past the bus's address space.</summary>
public sealed class BusConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BusConflictException(string message) : base(message)
    {
    }
}
