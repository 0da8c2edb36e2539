using SharpVmm.Devices.Virtio;

namespace SharpVmm.Tests.Support;

/// <summary>Counts what a virtio device signals; safe to call from a device's worker thread.</summary>
internal sealed class FakeVirtioInterrupt : IVirtioInterrupt
{
    private int _used, _config, _needsReset;

    public int UsedSignals => Volatile.Read(ref _used);

    public int ConfigSignals => Volatile.Read(ref _config);

    public int NeedsResetSignals => Volatile.Read(ref _needsReset);

    public void SignalUsedBuffers(int queueIndex) => Interlocked.Increment(ref _used);

    public void SignalConfigChange() => Interlocked.Increment(ref _config);

    public void SetNeedsReset() => Interlocked.Increment(ref _needsReset);

    /// <summary>
    /// Polls <paramref name="condition"/> for up to 30 s; false when it never held. Device threads answer in
    /// microseconds; the patience is for a loaded host that deschedules them for seconds.
    /// </summary>
    public static bool WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }
}
