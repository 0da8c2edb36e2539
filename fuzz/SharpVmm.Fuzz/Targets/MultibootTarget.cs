using SharpVmm.Boot;
using SharpVmm.Boot.Multiboot;

namespace SharpVmm.Fuzz.Targets;

/// <summary>The Multiboot loader (<see cref="MultibootLoader"/>): the input is the kernel file; two modules go with it.</summary>
public sealed class MultibootTarget : IFuzzTarget
{
    private static readonly MultibootModule[] Modules =
    [
        new("module one"u8.ToArray(), "mod1 arg", "mod1"),
        new(new byte[5000], "", "mod2"),
    ];

    /// <inheritdoc />
    public string Name => "multiboot";

    /// <inheritdoc />
    public string Description => "Multiboot loader: header search, a.out kludge and ELF images, modules, information structure";

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            MultibootLoader.Load(LoaderMemory.Shared, input, Modules, "console=ttyS0");
        }
        catch (BootImageException)
        {
            // The documented answer to an image without a valid header, an unsupported feature, or one that does not fit.
        }
    }
}
