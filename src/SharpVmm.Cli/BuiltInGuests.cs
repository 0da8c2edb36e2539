namespace SharpVmm.Cli;

/// <summary>The classic demo guests, embedded from <c>guests/bin</c> (assembled from <c>guests/*.S</c>).</summary>
public static class BuiltInGuests
{
    /// <summary>Demo 1: adds AL and BL, prints the digit and a newline on port 0x3f8, halts (12 bytes).</summary>
    public static byte[] DemoAdd => Load("demo-add.bin");

    /// <summary>Demo 2: loops writing an incrementing counter to port 0x10 (7 bytes).</summary>
    public static byte[] KvmSample => Load("kvmsample.bin");

    private static byte[] Load(string name)
    {
        using Stream stream = typeof(BuiltInGuests).Assembly.GetManifestResourceStream($"guests/{name}")
            ?? throw new InvalidOperationException($"built-in guest {name} is missing from the assembly");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
