using SharpVmm.Platform;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The CLI's seccomp filters, seen from outside: a raw guest writes the test devices' host-call port, which makes its
/// vCPU thread open a socket (a call the vCPU allow-list leaves out), then prints a letter and halts.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class SeccompTests
{
    private const int KilledBySigsys = 128 + 31; // how .NET reports a child killed by signal 31

    [Fact]
    public void A_forbidden_system_call_on_a_vcpu_thread_kills_the_vmm_with_sigsys_under_enforce()
    {
        CliProcess.Result result = RunGuest("enforce");

        Assert.True(result.ExitCode == KilledBySigsys, $"exit code {result.ExitCode}, expected {KilledBySigsys} (SIGSYS)\n{result.Stderr}");
        Assert.DoesNotContain("A", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Enforce_is_the_default()
    {
        CliProcess.Result result = RunGuest(null);

        Assert.True(result.ExitCode == KilledBySigsys, $"exit code {result.ExitCode}, expected {KilledBySigsys} (SIGSYS)\n{result.Stderr}");
    }

    [Theory]
    [InlineData("log")]
    [InlineData("off")]
    public void Under_log_or_off_the_same_call_is_made_and_the_guest_runs_to_its_end(string mode)
    {
        CliProcess.Result result = RunGuest(mode);

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\n{result.Stderr}");
        Assert.StartsWith("A", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_mode_is_refused_with_the_ones_there_are()
    {
        CliProcess.Result result = CliProcess.Run(["demo", "add", "--seccomp", "sometimes"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--seccomp must be enforce, log or off", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_filter_allows_its_list_and_refuses_other_architectures_before_anything_else()
    {
        ulong[] program = SeccompFilter.Build([0, 1, 16], SeccompMode.Enforce);

        Assert.Equal(3 + 6, program.Length);
        Assert.Equal(0xC000003EUL, program[1] >> 32); // AUDIT_ARCH_X86_64 first
        Assert.Equal(0x80000000UL, program[2] >> 32); // a foreign ABI is killed whatever the mode
        Assert.Equal([0UL, 1UL, 16UL], program[4..7].Select(i => i >> 32).ToArray());
        Assert.Equal(0x80000000UL, program[7] >> 32); // the rest: SECCOMP_RET_KILL_PROCESS
        Assert.Equal(0x7FFF0000UL, program[8] >> 32); // a match: SECCOMP_RET_ALLOW
        Assert.Equal(0x7FFC0000UL, SeccompFilter.Build([0], SeccompMode.Log)[5] >> 32); // under log: SECCOMP_RET_LOG
        Assert.DoesNotContain(59, SyscallAllowList.Vcpu); // execve
        Assert.DoesNotContain(41, SyscallAllowList.Vcpu); // socket
        Assert.Contains(41, SyscallAllowList.Device); // vsock's host side
        Assert.DoesNotContain(57, SyscallAllowList.Device); // fork
    }

    private static CliProcess.Result RunGuest(string? mode)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string image = Path.Combine(dir.Path, "host-call.bin");
        File.WriteAllBytes(image, GuestCode.Assemble(16, 0x10000, a =>
        {
            a.mov(dx, PcTestDevices.HostCallPort);
            a.@out(dx, al);
            a.mov(dx, PcPlatform.Com1Port);
            a.mov(al, (byte)'A');
            a.@out(dx, al);
            a.hlt();
        }));
        string[] args = ["run", image, "--test-devices", "--time-limit", "60"];
        return CliProcess.Run(mode is null ? args : [.. args, "--seccomp", mode], timeout: TimeSpan.FromSeconds(120));
    }
}
