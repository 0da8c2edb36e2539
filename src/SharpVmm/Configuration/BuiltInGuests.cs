namespace SharpVmm.Configuration;

/// <summary>
/// The classic demo guests, embedded from <c>guests/bin</c> (assembled from <c>guests/*.S</c>); a
/// <see cref="RawGuestConfig.ImagePath"/> of <c>builtin:NAME</c> names one.
/// </summary>
public static class BuiltInGuests
{
    /// <summary>What an image path starts with when it names a built-in guest.</summary>
    public const string Prefix = "builtin:";

    /// <summary>Demo 1's image path.</summary>
    public const string DemoAddPath = Prefix + "demo-add";

    /// <summary>Demo 2's image path.</summary>
    public const string KvmSamplePath = Prefix + "kvmsample";

    /// <summary>The counting guest's image path.</summary>
    public const string CounterPath = Prefix + "counter";

    /// <summary>The image paths of every built-in guest.</summary>
    public static IReadOnlyList<string> Names { get; } = [DemoAddPath, KvmSamplePath, CounterPath];

    /// <summary>Demo 1: adds AL and BL, prints the digit and a newline on port 0x3f8, halts (12 bytes).</summary>
    public static byte[] DemoAdd => Load("demo-add.bin");

    /// <summary>Demo 2: loops writing an incrementing counter to port 0x10 (7 bytes).</summary>
    public static byte[] KvmSample => Load("kvmsample.bin");

    /// <summary>
    /// A guest that counts in its own memory: adds one to a 32-bit counter, prints it in hex on port 0x3f8 and waits,
    /// forever (16-bit, loaded at 0x10000, entered at 1000:0000). Snapshot tests check that a restored copy goes on
    /// from the next value.
    /// </summary>
    public static byte[] Counter => Load("counter.bin");

    /// <summary>The image a <c>builtin:NAME</c> path names; null for an unknown name.</summary>
    public static byte[]? Find(string imagePath) => imagePath switch
    {
        DemoAddPath => DemoAdd,
        KvmSamplePath => KvmSample,
        CounterPath => Counter,
        _ => null,
    };

    private static byte[] Load(string name)
    {
        using Stream stream = typeof(BuiltInGuests).Assembly.GetManifestResourceStream($"guests/{name}")
            ?? throw new InvalidOperationException($"built-in guest {name} is missing from the assembly");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
