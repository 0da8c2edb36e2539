using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>Linux guests run one at a time: each keeps a host core busy for minutes on a host that emulates ring 0.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LinuxGuestCollection
{
    public const string Name = "Linux guests";
}
