using SharpVmm.Boot;
using SharpVmm.Boot.Pvh;

namespace SharpVmm.Fuzz.Targets;

/// <summary>The ELF/PVH loader (<see cref="PvhLoader"/>): the input is the ELF file; an initrd goes with it.</summary>
public sealed class PvhTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "elf-pvh";

    /// <inheritdoc />
    public string Description => "ELF/PVH loader: ELF headers, program headers, notes, PVH entry, hvm_start_info";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            PvhLoader.Load(LoaderMemory.Shared, input, LoaderMemory.Initrd, "console=ttyS0", PvhBootLayout.Default);
        }
        catch (BootImageException)
        {
            // The documented answer to a malformed image, one without a PVH note, or one that does not fit.
        }
    }
}
