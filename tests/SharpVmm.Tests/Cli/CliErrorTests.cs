using SharpVmm.Cli;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>Every bad input gets a one-line message on stderr and its own exit code.</summary>
[Tier(TestTiers.KvmFast)]
public class CliErrorTests
{
    private static string GuestBin(string name) => Path.Combine(RepoPaths.Root, "guests", "bin", name);

    private static string FirstErrorLine(CliProcess.Result r) =>
        r.Stderr.Split('\n').First(l => l.StartsWith("sharpvmm: error: ", StringComparison.Ordinal));

    [Fact]
    public void Missing_kvm_device_is_reported_with_its_own_exit_code()
    {
        var result = CliProcess.Run(["demo", "add"], new Dictionary<string, string> { [RawGuestRunner.KvmDeviceVariable] = "/nonexistent/kvm" });

        Assert.Equal(ExitCodes.KvmUnavailable, result.ExitCode);
        Assert.Equal("sharpvmm: error: /nonexistent/kvm does not exist: this host has no KVM (load kvm_intel/kvm_amd, or enable nested virtualization)", FirstErrorLine(result));
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void A_device_that_is_not_kvm_is_refused()
    {
        var result = CliProcess.Run(["demo", "add"], new Dictionary<string, string> { [RawGuestRunner.KvmDeviceVariable] = "/dev/null" });

        Assert.Equal(ExitCodes.KvmUnavailable, result.ExitCode);
        Assert.Contains("/dev/null is not a KVM device", FirstErrorLine(result), StringComparison.Ordinal);
    }

    [Fact]
    public void No_permission_on_the_kvm_device_is_reported_with_the_fix()
    {
        KvmTestEnvironment.RequireKvm();
        bool root = Environment.UserName == "root";
        bool accessible = CanOpen("/dev/kvm");
        if (!root && accessible)
        {
            Assert.Skip("the test user can open /dev/kvm and is not root, so it cannot drop to a user who cannot");
        }

        // As root, drop to 'nobody' (uid 65534), who has no access to a root-only or kvm-group /dev/kvm.
        var result = root
            ? CliProcess.Run(["demo", "add"], runAsUser: "65534", environment: new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = "/tmp", ["HOME"] = "/tmp" })
            : CliProcess.Run(["demo", "add"]);

        Assert.True(result.ExitCode == ExitCodes.KvmUnavailable, $"exit code {result.ExitCode}, stderr:\n{result.Stderr}");
        Assert.Equal("sharpvmm: error: permission denied opening /dev/kvm: run as a member of the 'kvm' group or as root", FirstErrorLine(result));
    }

    private static bool CanOpen(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    [Fact]
    public void Missing_image_is_reported_by_path()
    {
        var result = CliProcess.Run(["run", "/no/such/guest.bin"]);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.Equal("sharpvmm: error: /no/such/guest.bin: image file not found", FirstErrorLine(result));
    }

    [Fact]
    public void Image_larger_than_guest_memory_is_refused()
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.Combine(Path.GetTempPath(), $"sharpvmm-big-{Environment.ProcessId}.bin");
        File.WriteAllBytes(image, new byte[(1 << 20) + 1]);

        var result = CliProcess.Run(["run", image, "--mem", "1M", "--load-address", "0", "--entry", "0:0"]);
        File.Delete(image);

        Assert.Equal(ExitCodes.BadImage, result.ExitCode);
        Assert.Equal($"sharpvmm: error: {image}: image of 1048577 bytes does not fit in guest memory at 0x0 (1 MiB of guest memory)", FirstErrorLine(result));
    }

    [Fact]
    public void Load_address_outside_guest_memory_is_refused()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("demo-add.bin"), "--mem", "1M", "--load-address", "0x200000", "--mode", "protected"]);

        Assert.Equal(ExitCodes.LoadAddressOutsideMemory, result.ExitCode);
        Assert.Equal($"sharpvmm: error: {GuestBin("demo-add.bin")}: load address 0x200000 is outside guest memory (1 MiB at 0x0)", FirstErrorLine(result));
    }

    [Fact]
    public void Guest_triple_fault_is_reported_with_the_vcpu_state()
    {
        KvmTestEnvironment.RequireKvm();
        string image = Path.Combine(Path.GetTempPath(), $"sharpvmm-ud2-{Environment.ProcessId}.bin");
        File.WriteAllBytes(image, [0x0F, 0x0B]); // ud2 with no IDT: #UD -> #GP -> #DF -> triple fault

        var result = CliProcess.Run(["run", image, "--mode", "long", "--load-address", "0x100000"]);
        File.Delete(image);

        Assert.Equal(ExitCodes.GuestTripleFault, result.ExitCode);
        Assert.Equal("sharpvmm: error: vCPU 0: KVM_EXIT_SHUTDOWN (guest triple fault)", FirstErrorLine(result));
        // KVM on AMD SVM resets the vCPU at shutdown; the report then says so instead of showing the faulting code.
        if (!result.Stderr.Contains(SharpVmm.Exits.VcpuReport.ResetStateNote, StringComparison.Ordinal))
        {
            Assert.Contains("ud2", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("rip=0x0000000000100000", result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Guest_entry_failure_has_its_own_exit_code_and_message()
    {
        // KVM_EXIT_FAIL_ENTRY needs hardware VM entry to reject the state, which neither kvm_pvm nor KVM's
        // invalid-state emulation on VMX ever does for a state KVM_SET_SREGS accepted; so the exit is fed to the
        // same dispatcher and exit-code mapping the CLI uses, from a kvm_run area filled as KVM fills it.
        var area = new byte[SharpVmm.Kvm.Structs.KvmRun.Size];
        ref var run = ref System.Runtime.InteropServices.MemoryMarshal.AsRef<SharpVmm.Kvm.Structs.KvmRun>(area.AsSpan());
        run.ExitReason = (uint)SharpVmm.Kvm.KvmExitReason.FailEntry;
        run.FailEntry.HardwareEntryFailureReason = 0x80000021;

        var outcome = new SharpVmm.Exits.ExitDispatcher(new(), new()).Dispatch(0, new SharpVmm.Kvm.VcpuExit(area));

        Assert.Equal(VmStopReason.EntryFailure, outcome.StopReason);
        Assert.Equal(ExitCodes.GuestEntryFailure, ExitCodes.For(outcome.StopReason));
        Assert.StartsWith("KVM_EXIT_FAIL_ENTRY: hardware_entry_failure_reason = 0x80000021", outcome.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run", "img", "--mode", "weird")]
    [InlineData("run", "img", "--entry", "0x10000:0")]
    [InlineData("run", "img", "--reg", "eax=1")]
    [InlineData("run", "img", "--mem", "lots")]
    [InlineData("run", "img", "--mode", "long", "--entry", "0x10:0x0")]
    [InlineData("frobnicate")]
    public void Bad_arguments_are_usage_errors(params string[] args)
    {
        var result = CliProcess.Run(args);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("sharpvmm: error: ", result.Stderr, StringComparison.Ordinal);
    }
}
