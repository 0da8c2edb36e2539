using SharpFuzz;

namespace SharpVmm.Fuzz;

/// <summary>
/// The fuzzing harness. <c>SharpVmm.Fuzz TARGET</c> runs TARGET under afl-fuzz (SharpFuzz's out-of-process runner:
/// an input that throws is a crash, one that runs past afl's limit a hang); <c>SharpVmm.Fuzz TARGET FILE...</c>
/// runs each file once in this process and says which threw; <c>SharpVmm.Fuzz --list</c> lists the targets (both
/// only from an uninstrumented build: instrumented code needs afl's coverage map).
/// </summary>
public static class Program
{
    /// <summary>Largest input read; afl-fuzz's own limit is 1 MiB.</summary>
    public const int MaxInputBytes = 1 << 20;

    /// <summary>Entry point: 0 on success, 1 when a file threw, 2 on a usage error.</summary>
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["--list"])
        {
            foreach (string name in FuzzTargets.Names)
            {
                Console.WriteLine($"{name,-22} {FuzzTargets.Create(name)!.Description}");
            }

            return 0;
        }

        // Nothing of SharpVmm may run before Fuzzer.OutOfProcess.Run: its instrumented code writes afl's coverage map,
        // which exists only from there on. The target is made on the first input.
        if (args.Length == 0 || !FuzzTargets.Names.Contains(args[0]))
        {
            Console.Error.WriteLine($"usage: SharpVmm.Fuzz TARGET [FILE...] | --list   (targets: {string.Join(", ", FuzzTargets.Names)})");
            return 2;
        }

        string targetName = args[0];
        if (args.Length > 1)
        {
            return Replay(FuzzTargets.Create(targetName)!, args[1..]);
        }

        IFuzzTarget? target = null;
        Fuzzer.OutOfProcess.Run(stream => (target ??= FuzzTargets.Create(targetName)!).Run(ReadInput(stream)));
        return 0;
    }

    /// <summary>Reads a whole input, at most <see cref="MaxInputBytes"/>.</summary>
    public static byte[] ReadInput(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        byte[] buffer = new byte[64 * 1024];
        int read;
        while (copy.Length < MaxInputBytes && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, MaxInputBytes - copy.Length))) > 0)
        {
            copy.Write(buffer, 0, read);
        }

        return copy.ToArray();
    }

    private static int Replay(IFuzzTarget target, string[] files)
    {
        int failed = 0;
        foreach (string file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"ok      {file}");
            }
#pragma warning disable CA1031 // a replay reports every finding and goes on with the next file
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failed++;
                Console.WriteLine($"FAILED  {file}: {ex}");
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
