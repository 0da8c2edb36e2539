namespace SharpVmm.Gdb;

/// <summary>What one item read from gdb's byte stream is (see <see cref="GdbPacketReader"/>).</summary>
public enum GdbInputKind
{
    /// <summary>A <c>$payload#xx</c> packet whose checksum matched; the stub acknowledges it with <c>+</c>.</summary>
    Packet,

    /// <summary>
    /// A packet that must be sent again: its checksum did not match, its checksum digits were not hex, or it was longer
    /// than <see cref="GdbPacketReader.MaxPacketSize"/>. The stub answers <c>-</c>.
    /// </summary>
    BadChecksum,

    /// <summary>A 0x03 byte between packets: gdb asks the stub to stop the target (Ctrl-C).</summary>
    Interrupt,

    /// <summary>A <c>+</c> between packets: gdb received the stub's last packet.</summary>
    Ack,

    /// <summary>A <c>-</c> between packets: gdb asks for the stub's last packet again.</summary>
    Nack,
}
