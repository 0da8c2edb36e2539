using System.Diagnostics;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm.Snapshot;

/// <summary>Waits, with a time limit, for a running test guest to get somewhere.</summary>
internal static class SnapshotGuestWait
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Until the guest has stored 1 at <paramref name="flag"/>; fails with the run's end if it stopped first.</summary>
    public static void ForFlag(VirtualMachine vm, ulong flag, string what)
    {
        var clock = Stopwatch.StartNew();
        while (vm.Memory.Read<uint>(new GuestAddress(flag)) != 1)
        {
            if (vm.State == VmState.Stopped || clock.Elapsed > Patience)
            {
                VmRunResult result = vm.WaitForExit(TimeSpan.Zero);
                Assert.Fail($"the guest did not {what}: {result.Reason} {result.Summary}\n{result.Report}");
            }

            Thread.Sleep(5);
        }
    }

    /// <summary>Until the guest has written <paramref name="count"/> values to <paramref name="port"/>.</summary>
    public static void ForWrites(RecordingDevice port, int count)
    {
        var clock = Stopwatch.StartNew();
        while (port.Writes.Count() < count)
        {
            Assert.True(clock.Elapsed < Patience, $"the guest wrote {port.Writes.Count()} values within {Patience}, not {count}");
            Thread.Sleep(5);
        }
    }
}
