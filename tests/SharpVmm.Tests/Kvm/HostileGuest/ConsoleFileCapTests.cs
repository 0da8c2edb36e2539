using SharpVmm.Configuration;
using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Kvm.HostileGuest;

/// <summary>A guest that prints without end cannot fill the host's disk through <c>console.output_path</c>.</summary>
[Tier(TestTiers.KvmFast)]
public class ConsoleFileCapTests
{
    [Fact]
    public void A_console_file_stops_growing_at_its_output_limit_while_the_guest_goes_on_printing()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string file = dir.File("console.log");
        var config = new VmConfig
        {
            Machine = new MachineConfig { MemSizeMib = 1 },
            RawGuest = new RawGuestConfig { ImagePath = BuiltInGuests.CounterPath, LoadAddress = 0x10000, Entry = "0x1000:0x0" },
            Console = new ConsoleConfig { OutputPath = file, OutputLimitBytes = 100 },
        };

        using (MicroVm vm = MicroVm.Create(config))
        {
            vm.Start();
            // The counter prints 9 bytes a line: 100 bytes are 11 lines and a piece; wait for well past that.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (vm.Machine.ExitCount < 40 * 9 && clock.Elapsed < CountingOutput.Patience)
            {
                Thread.Sleep(20);
            }

            Assert.True(vm.Machine.ExitCount >= 40 * 9, $"the guest made only {vm.Machine.ExitCount} exits");
            Assert.Equal(VmState.Running, vm.State);
            vm.Stop();
        }

        string text = File.ReadAllText(file);
        Assert.Equal(100, text.Length);
        Assert.StartsWith("00000001\n00000002\n", text, StringComparison.Ordinal);
    }
}
