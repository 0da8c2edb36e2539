using SharpVmm.Devices.Virtio;

namespace SharpVmm.Tests.Support;

/// <summary>A virtio device that records what the transport asks of it.</summary>
public sealed class FakeVirtioDevice(ulong features, params ushort[] queueSizes) : IVirtioDevice
{
    public byte[] Config { get; init; } = [1, 2, 3, 4, 5, 6, 7, 8];

    public List<VirtioActivation> Activations { get; } = [];

    public List<int> Notified { get; } = [];

    public int Resets { get; private set; }

    public VirtioDeviceType DeviceType => VirtioDeviceType.Block;

    public ulong DeviceFeatures => features;

    public IReadOnlyList<ushort> QueueMaxSizes => queueSizes;

    public int ConfigSize => Config.Length;

    public void ReadConfig(uint offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = offset + i < Config.Length ? Config[offset + i] : (byte)0;
        }
    }

    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        for (int i = 0; i < data.Length && offset + i < Config.Length; i++)
        {
            Config[offset + i] = data[i];
        }
    }

    /// <summary>Thrown by <see cref="Activate"/> when set: a device that cannot start.</summary>
    public Exception? ActivationError { get; set; }

    /// <summary>Runs inside <see cref="Activate"/>, before it returns or throws.</summary>
    public Action<VirtioActivation>? DuringActivation { get; set; }

    public int ActivateCalls { get; private set; }

    public void Activate(VirtioActivation activation)
    {
        ActivateCalls++;
        DuringActivation?.Invoke(activation);
        if (ActivationError is { } error)
        {
            throw error;
        }

        Activations.Add(activation);
    }

    public void Notify(int queueIndex) => Notified.Add(queueIndex);

    public void Reset() => Resets++;

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;
}
