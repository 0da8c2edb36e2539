using SharpVmm.Fuzz;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Fuzz;

/// <summary>
/// Every fuzz harness (fuzz/SharpVmm.Fuzz) run in this process, without afl-fuzz, over every file of its seed corpus
/// (fuzz/corpus/TARGET) and of its regressions (fuzz/regressions/TARGET: inputs that once crashed it), so that a bug
/// fuzzing found stays fixed and the seeds stay valid inputs.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class FuzzCorpusRegressionTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.Names];

    private static string[] Inputs(string folder, string target)
    {
        string path = Path.Combine(RepoPaths.Root, "fuzz", folder, target);
        return Directory.Exists(path) ? Directory.GetFiles(path) : [];
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_seed_and_every_past_crash_of_a_target_runs_without_a_finding(string target)
    {
        string[] seeds = Inputs("corpus", target);
        Assert.NotEmpty(seeds); // fuzz/run.sh needs at least one seed
        IFuzzTarget harness = FuzzTargets.Create(target) ?? throw new InvalidOperationException($"no target {target}");
        try
        {
            foreach (string input in seeds.Concat(Inputs("regressions", target)))
            {
                try
                {
                    harness.Run(File.ReadAllBytes(input));
                }
                catch (Exception ex)
                {
                    Assert.Fail($"{Path.GetRelativePath(RepoPaths.Root, input)}: {ex}");
                }
            }
        }
        finally
        {
            (harness as IDisposable)?.Dispose();
        }
    }

    [Fact]
    public void Every_target_has_a_seed_folder_and_every_seed_folder_a_target()
    {
        string[] folders = [.. Directory.GetDirectories(Path.Combine(RepoPaths.Root, "fuzz", "corpus")).Select(Path.GetFileName).Order()!];
        Assert.Equal(FuzzTargets.Names.Order(), folders);
    }

    [Fact]
    public void A_harness_reports_an_input_that_breaks_a_promise_as_a_finding()
    {
        // The instruction emulator's environment holds the emulator to cmpxchg16b at aligned addresses only; the
        // harness must turn such a broken promise into an exception, or afl-fuzz would never see it.
        var environment = new WindowEmulationEnvironment();
        UInt128 expected = 0;
        Assert.Throws<FuzzFindingException>(() => environment.TryCompareExchange128(WindowEmulationEnvironment.WindowBase + 8, ref expected, 1, out _));
    }
}
