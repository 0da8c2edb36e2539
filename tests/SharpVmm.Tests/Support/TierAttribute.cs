using Xunit.v3;

namespace SharpVmm.Tests.Support;

/// <summary>Puts a test class in one of <see cref="TestTiers"/>, as the trait <c>Tier=NAME</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TierAttribute(string tier) : Attribute, ITraitAttribute
{
    public string Tier { get; } = tier;

    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(TestTiers.Trait, Tier)];
}
