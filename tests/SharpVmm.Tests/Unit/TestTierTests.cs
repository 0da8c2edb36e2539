using System.Reflection;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>./run-tests runs the suite tier by tier, so a test class without a tier would never run.</summary>
[Tier(TestTiers.Unit)]
public sealed class TestTierTests
{
    private static IEnumerable<Type> TestClasses() =>
        typeof(TestTierTests).Assembly.GetTypes().Where(t => t.GetMethods().Any(m =>
            m.GetCustomAttribute<FactAttribute>(inherit: true) is not null));

    [Fact]
    public void Every_test_class_belongs_to_exactly_one_known_tier()
    {
        var classes = TestClasses().ToList();
        Assert.True(classes.Count > 50, $"found only {classes.Count} test classes");
        foreach (Type type in classes)
        {
            TierAttribute? tier = type.GetCustomAttribute<TierAttribute>();
            Assert.True(tier is not null, $"{type.FullName} has no [Tier(...)]: ./run-tests would never run it");
            Assert.Contains(tier.Tier, TestTiers.All);
        }
    }

    [Fact]
    public void Only_linux_tier_classes_share_the_linux_guest_collection()
    {
        foreach (Type type in TestClasses())
        {
            bool linuxCollection = type.GetCustomAttribute<CollectionAttribute>() is { } c
                && c.Name == SharpVmm.Tests.Linux.LinuxGuestCollection.Name;
            if (linuxCollection)
            {
                Assert.Equal(TestTiers.Linux, type.GetCustomAttribute<TierAttribute>()!.Tier);
            }
        }
    }

    [Fact]
    public void Asking_for_kvm_from_a_unit_test_fails_and_names_the_tier()
    {
        var ex = Assert.ThrowsAny<Exception>(KvmTestEnvironment.RequireKvm);
        Assert.Contains("unit tier", ex.Message, StringComparison.Ordinal);
    }
}
