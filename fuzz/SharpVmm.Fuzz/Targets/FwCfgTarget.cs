using SharpVmm.Devices.Firmware;

namespace SharpVmm.Fuzz.Targets;

/// <summary>
/// The fw_cfg device (<see cref="FwCfgDevice"/>) as a VM sets it up (machine items, a kernel, an initrd, a command line,
/// files): selector and data port accesses at offsets 0-3 (the two ports and the bytes past them).
/// </summary>
public sealed class FwCfgTarget : IFuzzTarget
{
    private static readonly byte[] Kernel = [.. Enumerable.Range(0, 700).Select(i => (byte)i)];
    private static readonly byte[] Initrd = [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 7))];

    /// <inheritdoc />
    public string Name => "fw-cfg";

    /// <inheritdoc />
    public string Description => "fw_cfg: selector and data port accesses over machine items, kernel, initrd, command line and files";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var script = new AccessScript(input);
        int cpus = 1 + (script.NextByte() & 0x3F);
        FwCfgDevice device = FwCfgDevice.ForMachine(script.NextValue(2) << 20, cpus, cpus + script.NextByte())
            .SetKernel(0x10_0000, Kernel)
            .SetInitrd(0x80_0000, Initrd)
            .SetCommandLine(0x2_0000, "console=ttyS0 reboot=k panic=1")
            .AddFile("etc/acpi/tables", Kernel[..200])
            .AddFile("etc/table-loader", [])
            .AddFile("opt/sharpvmm/" + new string('x', 40), Initrd[..12]);
        BusDeviceDriver.Play(ref script, device, 4, 1, _ => { });
    }
}
