using SharpVmm.Platform;
using SharpVmm.Sys;
using SharpVmm.Tests.Support;
using Xunit;
using static Iced.Intel.AssemblerRegisters;

namespace SharpVmm.Tests.Kvm;

/// <summary>
/// The CLI's seccomp filters, seen from outside: a raw guest writes the test devices' host-call port, which makes its
/// vCPU thread open a socket (a call the vCPU allow-list leaves out) or, given 1, a thread-pool thread create a symbolic
/// link (a call the whole process's list leaves out); then it prints a letter and halts.
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

    [Fact]
    public void A_forbidden_system_call_on_a_thread_pool_thread_kills_the_vmm_with_sigsys_under_enforce()
    {
        CliProcess.Result result = RunGuest("enforce", PcTestDevices.HostCallOnThreadPool);

        Assert.True(result.ExitCode == KilledBySigsys, $"exit code {result.ExitCode}, expected {KilledBySigsys} (SIGSYS)\n{result.Stderr}");
        Assert.DoesNotContain("A", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_thread_pool_thread_carries_the_vmm_filter_not_a_vcpus_and_may_open_a_socket_under_enforce()
    {
        CliProcess.Result result = RunGuest("enforce", PcTestDevices.HostCallSocketOnThreadPool);

        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}\n{result.Stderr}");
        Assert.StartsWith("A", result.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("log", 0)]
    [InlineData("off", 0)]
    [InlineData("log", PcTestDevices.HostCallOnThreadPool)]
    [InlineData("off", PcTestDevices.HostCallOnThreadPool)]
    public void Under_log_or_off_the_same_call_is_made_and_the_guest_runs_to_its_end(string mode, byte call)
    {
        CliProcess.Result result = RunGuest(mode, call);

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
        Assert.DoesNotContain(88, SyscallAllowList.Vmm); // symlink
        Assert.DoesNotContain(59, SyscallAllowList.Vmm); // execve
        Assert.Contains(288, SyscallAllowList.Vmm); // accept4: the API socket
        Assert.Superset(new HashSet<int>(SyscallAllowList.Device), new HashSet<int>(SyscallAllowList.Vmm));
    }

    private static CliProcess.Result RunGuest(string? mode, byte call = 0)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string image = Path.Combine(dir.Path, "host-call.bin");
        File.WriteAllBytes(image, GuestCode.Assemble(16, 0x10000, a =>
        {
            a.mov(dx, PcTestDevices.HostCallPort);
            a.mov(al, call);
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
