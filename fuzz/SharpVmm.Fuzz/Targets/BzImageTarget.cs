using SharpVmm.Boot;
using SharpVmm.Boot.Linux;

namespace SharpVmm.Fuzz.Targets;

/// <summary>The bzImage loader (<see cref="LinuxKernelLoader"/>): the input is the kernel file; an initrd goes with it.</summary>
public sealed class BzImageTarget : IFuzzTarget
{
    /// <inheritdoc />
    public string Name => "bzimage";

    /// <inheritdoc />
    public string Description => "Linux bzImage loader: setup header, init_size, initrd placement, zero page";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            LinuxKernelLoader.Load(LoaderMemory.Shared, input, LoaderMemory.Initrd, "console=ttyS0", LinuxBootLayout.Default);
        }
        catch (BootImageException)
        {
            // The documented answer to a malformed or unsupported image.
        }
    }
}
