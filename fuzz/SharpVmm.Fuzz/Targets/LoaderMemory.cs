using SharpVmm.Memory;

namespace SharpVmm.Fuzz.Targets;

/// <summary>The guest memory the loader targets load into: 32 MiB, made once per process (loaders only write it).</summary>
public static class LoaderMemory
{
    /// <summary>Guest memory size.</summary>
    public const ulong Size = 32 << 20;

    private static readonly Lazy<GuestMemory> Memory = new(() => GuestMemory.CreateFlat(Size));

    /// <summary>The shared guest memory.</summary>
    public static GuestMemory Shared => Memory.Value;

    /// <summary>A small initrd, so that the loaders' placement runs too.</summary>
    public static ReadOnlySpan<byte> Initrd => "07070100000000"u8;
}
