using SharpVmm.Devices.Virtio;
using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// What both virtio transport targets share: a real device behind the transport (the input's first byte picks which,
/// <see cref="FuzzVirtioDevices"/>), 1 MiB of guest memory, and an <see cref="AccessScript"/> of register accesses
/// (2-byte offsets) mixed with the driver's other moves: 8-byte stores to guest memory (rings and buffers), waiting for
/// the device to serve what was notified, the transport's other register space (PCI configuration space), and resets.
/// After the input the driver resets the device; a device thread that failed, or an activation that threw, is a finding.
/// </summary>
public abstract class VirtioTransportTarget : IFuzzTarget, IDisposable
{
    /// <summary>Guest memory size: 1 MiB.</summary>
    public const int MemorySize = 1 << 20;

    private const int MaxSettles = 4;
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMilliseconds(10);
    private readonly GuestMemory _memory = GuestMemory.CreateFlat(MemorySize);
    private long? _idleBeforeKick; // the device thread's idle count before the last kick not waited for yet

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <summary>The size of the register window the accesses go to.</summary>
    protected abstract ulong Window { get; }

    /// <summary>Puts <paramref name="device"/> behind a new transport.</summary>
    protected abstract IVirtioTransport Attach(IVirtioDevice device, GuestMemory memory);

    /// <summary>A guest read of the register window.</summary>
    protected abstract void Read(IVirtioTransport transport, ulong offset, Span<byte> data);

    /// <summary>A guest write of the register window.</summary>
    protected abstract void Write(IVirtioTransport transport, ulong offset, ReadOnlySpan<byte> data);

    /// <summary>An access to the transport's other register space (PCI configuration space); none by default.</summary>
    protected virtual void OtherAccess(IVirtioTransport transport, GuestAccess access, Span<byte> data)
    {
    }

    /// <summary>Whether a write at <paramref name="offset"/> may wake the device's thread: a notification, or the status.</summary>
    protected abstract bool Kicks(ulong offset);

    /// <summary>The driver writes 0 to the device status: the device stops and forgets its queues.</summary>
    protected abstract void ResetDevice(IVirtioTransport transport);

    /// <summary>Frees the transport and its device.</summary>
    protected abstract void Detach(IVirtioTransport transport);

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        _memory.GetSpan(new GuestAddress(0), MemorySize).Clear();
        var script = new AccessScript(input);
        IVirtioTransport transport = Attach(FuzzVirtioDevices.Create(script.NextByte()), _memory);
        _idleBeforeKick = null;
        try
        {
            Play(ref script, transport);
            Settle(transport);
            ResetDevice(transport);
            DeviceHealthCheck.Require(transport);
        }
        finally
        {
            Detach(transport);
        }
    }

    private void Play(ref AccessScript script, IVirtioTransport transport)
    {
        Span<byte> data = stackalloc byte[8];
        int settles = 0;
        for (int i = 0; i < 4096 && script.HasMore; i++)
        {
            GuestAccess access = script.Next(Window, 2, data);
            switch (access.Kind)
            {
                case GuestAccessKind.Read:
                    Read(transport, access.Offset, data[..access.Width]);
                    break;
                case GuestAccessKind.Action:
                    switch (access.Extra & 3)
                    {
                        case 0:
                            // An 8-byte store to guest memory, at 8 times the offset (anywhere in the first 512 KiB).
                            script.NextBytes(data);
                            _memory.Write(new GuestAddress(access.Offset * 8 % MemorySize), (ReadOnlySpan<byte>)data);
                            break;
                        case 1:
                            if (settles++ < MaxSettles)
                            {
                                Settle(transport);
                            }

                            break;
                        case 2:
                            if ((access.Extra & 4) != 0)
                            {
                                script.NextBytes(data[..access.Width]);
                            }

                            OtherAccess(transport, access, data[..access.Width]);
                            break;
                        default:
                            ResetDevice(transport);
                            DeviceHealthCheck.Require(transport);
                            break;
                    }

                    break;
                default:
                    long idle = DeviceHealthCheck.IdleCount(transport.Device);
                    bool wasActive = transport.IsActivated;
                    Write(transport, access.Offset, data[..access.Width]);
                    if (!wasActive && transport.IsActivated)
                    {
                        // A thread that has just started goes idle for the first time only now; a kick's idle count
                        // read before that would be passed before the kick was seen.
                        DeviceHealthCheck.Settle(transport.Device, idle, SettleLimit);
                    }
                    else if (Kicks(access.Offset))
                    {
                        _idleBeforeKick = idle;
                    }

                    break;
            }
        }
    }

    // Waits only after a kick, and only for an active device: one that was never started has no thread to wait for.
    private void Settle(IVirtioTransport transport)
    {
        if (_idleBeforeKick is long idle && transport.IsActivated)
        {
            DeviceHealthCheck.Settle(transport.Device, idle, SettleLimit);
        }

        _idleBeforeKick = null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _memory.Dispose();
        GC.SuppressFinalize(this);
    }
}
