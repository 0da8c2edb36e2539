namespace SharpVmm.Devices.Legacy;

/// <summary>The guest-visible state of a <see cref="Uart8250"/> (<see cref="Uart8250.SaveState"/>): plain data.</summary>
public sealed record Uart8250State
{
    /// <summary>Interrupt Enable Register (bits 0-3).</summary>
    public byte Ier { get; set; }

    /// <summary>Line Control Register, DLAB included.</summary>
    public byte Lcr { get; set; }

    /// <summary>Modem Control Register (bits 0-4).</summary>
    public byte Mcr { get; set; }

    /// <summary>Scratch register.</summary>
    public byte Scr { get; set; }

    /// <summary>FIFO Control Register as last written.</summary>
    public byte Fcr { get; set; }

    /// <summary>Divisor latch, low byte.</summary>
    public byte DivisorLow { get; set; }

    /// <summary>Divisor latch, high byte.</summary>
    public byte DivisorHigh { get; set; }

    /// <summary>Line Status error bits not yet read (overrun, parity, framing, break: bits 1-4).</summary>
    public byte LineStatusErrors { get; set; }

    /// <summary>Whether a transmitter-holding-register-empty interrupt is pending.</summary>
    public bool ThrEmptyPending { get; set; }

    /// <summary>Received bytes the guest has not read yet, oldest first (at most <see cref="Uart8250.ReceiveBufferSize"/>).</summary>
    public byte[] ReceiveFifo { get; set; } = [];
}
