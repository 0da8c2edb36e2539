namespace SharpVmm.Devices.Legacy;

// The transmitter's side towards the host: what reached the output stream, and when the output thread is woken.
public sealed partial class Uart8250
{
    /// <summary>Bytes transmitted so far (written to <see cref="Output"/>; see <see cref="FlushOutput"/>).</summary>
    public long BytesTransmitted => _transmitter.BytesTransmitted;

    /// <summary>
    /// Bytes the guest transmitted that never reached <see cref="Output"/>: it had failed (<see cref="OutputError"/>),
    /// or its reader stalled and the buffer (<see cref="OutputBufferSize"/> bytes) was full. The guest does
    /// not notice: the line stays up and it goes on running. The writer hands the stream what it finds queued in one
    /// write, and a write that fails counts all its bytes lost: a stream does not say how many of them it took.
    /// </summary>
    public long BytesLost => _transmitter.BytesLost;

    /// <summary>
    /// The error that stopped output (an <see cref="IOException"/> for EPIPE or ENOSPC, a closed stream...), or null.
    /// After the first failure the UART writes nothing more to <see cref="Output"/> and counts <see cref="BytesLost"/>.
    /// </summary>
    public Exception? OutputError => _transmitter.Error;

    /// <summary>
    /// While true, transmitted bytes do not wake the thread that writes them to <see cref="Output"/>: they wait for
    /// <see cref="ReleaseOutput"/> or <see cref="FlushOutput"/>. A VMM that delivers queued THR writes in batches sets it
    /// and releases output from its own periodic thread, so that no vCPU exit pays for a thread wake-up; clearing it
    /// releases what waits.
    /// </summary>
    public bool HoldOutputWakeUps
    {
        get => _transmitter.HoldWakeUps;
        set => _transmitter.HoldWakeUps = value;
    }

    /// <summary>Wakes the output thread for bytes transmitted while <see cref="HoldOutputWakeUps"/> was set.</summary>
    public void ReleaseOutput() => _transmitter.ReleaseWakeUp();

    /// <summary>Called once, on the writer thread, with the error that stopped output (for a log line).</summary>
    public Action<Exception>? OutputFailed { get; set; }

    /// <summary>Waits until every byte transmitted so far reached <see cref="Output"/> (or was counted lost), at most
    /// <paramref name="timeout"/>; false when the time ran out (the stream's reader stalls).</summary>
    public bool FlushOutput(TimeSpan timeout) => _transmitter.Drain(timeout);
}
