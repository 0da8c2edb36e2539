using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Tests that count what the whole process holds (open file descriptors, threads) run alone: a test running beside
/// them would open and close its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide counts";
}
