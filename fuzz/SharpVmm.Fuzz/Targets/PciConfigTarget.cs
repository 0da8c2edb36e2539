using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Pci;
using SharpVmm.Devices.Virtio.Pci;
using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// PCI configuration space as the guest reaches it: the host bridge's ports 0xCF8-0xCFF (offsets 0-7) in front of the
/// bus with the host bridge function and two virtio-pci functions (virtio-rng at 00:01.0, virtio-blk at 00:02.0), and
/// MMIO accesses in the first 16 MiB of the PCI window (operation bit 4 set), where the guest's BAR programming puts the
/// devices' registers. The harness's own operation moves a BAR by writing a device's configuration space directly.
/// </summary>
public sealed class PciConfigTarget : IFuzzTarget, IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.CreateFlat(1 << 20);

    /// <inheritdoc />
    public string Name => "pci-config";

    /// <inheritdoc />
    public string Description => "PCI config space via 0xCF8/0xCFC: host bridge, two virtio-pci functions, BAR programming and decoding";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var mmio = new MmioBus();
        var bus = new PciBus(mmio);
        var bridge = new PciHostBridge(bus);
        var rng = new VirtioPciDevice(FuzzVirtioDevices.Create(0), _memory, new NullMsiSink(), new CountingInterruptLine());
        var blk = new VirtioPciDevice(FuzzVirtioDevices.Create(1), _memory, new NullMsiSink(), new CountingInterruptLine());
        try
        {
            bus.Add(1, rng);
            bus.Add(2, blk);
            Play(new AccessScript(input), bridge, mmio, [rng, blk]);
        }
        finally
        {
            rng.Device.Dispose();
            blk.Device.Dispose();
        }
    }

    private static void Play(AccessScript script, PciHostBridge bridge, MmioBus mmio, VirtioPciDevice[] devices)
    {
        Span<byte> data = stackalloc byte[8];
        for (int i = 0; i < 4096 && script.HasMore; i++)
        {
            GuestAccess access = script.Next(1UL << 24, 3, data);
            bool memory = (access.Extra & 1) != 0;
            ulong address = PciLayout.MmioWindowBase + access.Offset;
            switch (access.Kind)
            {
                case GuestAccessKind.Read when memory:
                    mmio.Read(address, data[..access.Width]);
                    break;
                case GuestAccessKind.Read:
                    bridge.Read(access.Offset % PciLayout.ConfigPortCount, data[..access.Width]);
                    break;
                case GuestAccessKind.Action:
                    // A BAR write straight into a device's configuration space: BAR 0-5 of either function, an
                    // address in the window's first 16 MiB.
                    uint bar = (uint)(PciLayout.MmioWindowBase + (access.Offset & 0xFF_F000));
                    devices[access.Offset & 1].WriteConfig(0x10 + (4 * ((access.Extra >> 1) % 6)), BitConverter.GetBytes(bar));
                    break;
                default:
                    if (memory)
                    {
                        mmio.Write(address, data[..access.Width]);
                    }
                    else
                    {
                        bridge.Write(access.Offset % PciLayout.ConfigPortCount, data[..access.Width]);
                    }

                    break;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _memory.Dispose();
}
