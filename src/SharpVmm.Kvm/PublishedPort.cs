namespace SharpVmm.Kvm;

/// <summary>
/// A port whose one-byte accesses <see cref="PublishedPortRunLoop"/> answers: reads with the value in the 32-bit cell
/// at <paramref name="ValueCell"/> (the byte, or -1 while withdrawn: the access then reaches the caller), and writes
/// that put that value back by dropping them.
/// </summary>
/// <param name="Port">The I/O port.</param>
/// <param name="ValueCell">The address of the published value's cell, which must not move while the port is set.</param>
/// <param name="AnswersReads">Whether a read is answered.</param>
/// <param name="DropsRewrites">Whether a write of the published value is dropped.</param>
/// <param name="Unclaimed">A port no device decodes: a read of 1, 2 or 4 bytes gets the value's byte (0xFF, as the bus
/// answers) in every byte, and any write is dropped.</param>
/// <param name="Counter">A free-running counter read as 4 bytes (the ACPI PM timer): <paramref name="ValueCell"/> is
/// where its start (the host's <c>CLOCK_MONOTONIC</c> in ns at which it read 0), its rate in Hz (at most 10^9) and
/// its mask are, as three 64-bit words; a read answers ((now - start) * rate / 10^9) &amp; mask. Other accesses reach
/// the caller.</param>
public readonly record struct PublishedPort(ushort Port, nint ValueCell, bool AnswersReads, bool DropsRewrites, bool Unclaimed = false, bool Counter = false);
