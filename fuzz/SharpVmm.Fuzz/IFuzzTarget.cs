namespace SharpVmm.Fuzz;

/// <summary>
/// One fuzz target: a part of SharpVmm that takes input a guest or an image file controls, driven by one input. An
/// exception that escapes <see cref="Run"/> is a finding (a crash, for afl-fuzz); what the code under test may throw by
/// contract (a loader's <c>BootImageException</c>) is caught inside.
/// </summary>
public interface IFuzzTarget
{
    /// <summary>The name fuzz/run.sh and the corpus folders use (fuzz/corpus/NAME, fuzz/regressions/NAME).</summary>
    string Name { get; }

    /// <summary>What the target drives, in one line.</summary>
    string Description { get; }

    /// <summary>Runs one input. Throws only for a finding.</summary>
    void Run(ReadOnlySpan<byte> input);
}
