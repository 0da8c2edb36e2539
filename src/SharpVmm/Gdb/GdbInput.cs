namespace SharpVmm.Gdb;

/// <summary>One item read from gdb's byte stream by <see cref="GdbPacketReader"/>.</summary>
/// <param name="Kind">What arrived.</param>
/// <param name="Payload">
/// For <see cref="GdbInputKind.Packet"/>, the bytes between <c>$</c> and <c>#</c> exactly as sent (escapes not removed);
/// empty for every other kind.
/// </param>
public readonly record struct GdbInput(GdbInputKind Kind, byte[] Payload);
