using SharpVmm.Tests.Support;
using SharpVmm.Boot;
using SharpVmm.Cli;
using SharpVmm.Cli.Parsing;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class CliParsingTests
{
    [Theory]
    [InlineData("0x10000", 0x10000UL)]
    [InlineData("65536", 65536UL)]
    [InlineData("0XfF", 255UL)]
    [InlineData("0x1_0000", 0x10000UL)]
    public void Numbers_parse_as_decimal_or_hex(string text, ulong expected) =>
        Assert.Equal(expected, NumberParser.ParseUnsigned(text, "x"));

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("-1")]
    [InlineData("12abc")]
    [InlineData("0x1ffffffffffffffff")]
    public void Bad_numbers_are_usage_errors(string text) =>
        Assert.Throws<UsageException>(() => NumberParser.ParseUnsigned(text, "--load-address"));

    [Theory]
    [InlineData("64M", 64UL << 20)]
    [InlineData("1G", 1UL << 30)]
    [InlineData("512k", 512UL << 10)]
    [InlineData("4096", 4096UL)]
    public void Sizes_take_binary_suffixes(string text, ulong expected) =>
        Assert.Equal(expected, NumberParser.ParseSize(text, "--mem"));

    [Fact]
    public void Iec_suffixes_get_a_hint_and_overflow_is_caught()
    {
        Assert.Contains("write '64M'", Assert.Throws<UsageException>(() => NumberParser.ParseSize("64Mi", "--mem")).Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => NumberParser.ParseSize("0xffffffffffffG", "--mem"));
    }

    [Fact]
    public void Entry_points_are_seg_off_or_flat()
    {
        Assert.Equal(new EntryPoint(0x1000, 0), EntryPoint.Parse("0x1000:0x0"));
        Assert.Equal(new EntryPoint(null, 0x100000), EntryPoint.Parse("0x100000"));
        Assert.Throws<UsageException>(() => EntryPoint.Parse("0x10000:0"));
        Assert.Throws<UsageException>(() => EntryPoint.Parse("a:b"));
    }

    [Fact]
    public void Register_assignments_set_the_named_register()
    {
        var regs = new KvmRegs();

        RegisterAssignment.Parse("rax=2").ApplyTo(ref regs);
        RegisterAssignment.Parse("RBX=0x2").ApplyTo(ref regs);
        RegisterAssignment.Parse("r15=7").ApplyTo(ref regs);

        Assert.Equal((2UL, 2UL, 7UL), (regs.Rax, regs.Rbx, regs.R15));
        Assert.Contains("unknown register 'eax'", Assert.Throws<UsageException>(() => RegisterAssignment.Parse("eax=1")).Message, StringComparison.Ordinal);
        Assert.Throws<UsageException>(() => RegisterAssignment.Parse("rax"));
    }

    [Theory]
    [InlineData(VmStopReason.AllVcpusHalted, ExitCodes.Success)]
    [InlineData(VmStopReason.ExitLimitReached, ExitCodes.Success)]
    [InlineData(VmStopReason.TimeLimitReached, ExitCodes.TimeLimitReached)]
    [InlineData(VmStopReason.GuestReset, ExitCodes.Success)]
    [InlineData(VmStopReason.GuestPowerOff, ExitCodes.Success)]
    [InlineData(VmStopReason.TripleFault, ExitCodes.GuestTripleFault)]
    [InlineData(VmStopReason.EntryFailure, ExitCodes.GuestEntryFailure)]
    [InlineData(VmStopReason.InternalError, ExitCodes.GuestInternalError)]
    [InlineData(VmStopReason.UnhandledExit, ExitCodes.GuestUnhandledExit)]
    [InlineData(VmStopReason.HostError, ExitCodes.HostError)]
    public void Stop_reasons_have_distinct_exit_codes(VmStopReason reason, int code) =>
        Assert.Equal(code, ExitCodes.For(reason));

    [Fact]
    public void Failure_exit_codes_are_all_distinct()
    {
        int[] codes = [ExitCodes.InternalError, ExitCodes.Usage, ExitCodes.KvmUnavailable, ExitCodes.BadImage,
            ExitCodes.LoadAddressOutsideMemory, ExitCodes.GuestTripleFault, ExitCodes.GuestEntryFailure,
            ExitCodes.GuestInternalError, ExitCodes.GuestUnhandledExit, ExitCodes.HostError, ExitCodes.DeviceBackend, ExitCodes.TimeLimitReached];
        Assert.Equal(codes.Length, codes.Distinct().Count());
        Assert.DoesNotContain(ExitCodes.Success, codes);
        Assert.True(ExitCodes.TimeLimitReached % 2 == 0, "an isa-debug-exit status, (V << 1) | 1, is odd: the time limit's code must not be");
    }

    [Fact]
    public void Host_errors_map_to_exit_codes_and_one_line_messages()
    {
        Assert.Equal((ExitCodes.KvmUnavailable, "no kvm"), CliErrors.Describe(new KvmUnavailableException("/dev/kvm", 2, "no kvm")));
        Assert.Equal(ExitCodes.LoadAddressOutsideMemory, CliErrors.Describe(new BootImageException("x", BootImageError.LoadAddressOutsideMemory, "p")).ExitCode);
        Assert.Equal(ExitCodes.BadImage, CliErrors.Describe(new BootImageException("x", BootImageError.TooLarge, "p")).ExitCode);
        Assert.Equal(ExitCodes.BadImage, CliErrors.Describe(new BootImageException("x", BootImageError.Missing, "p")).ExitCode);
        Assert.Equal(ExitCodes.HostError, CliErrors.Describe(new KvmException("KVM_RUN", 5)).ExitCode);
        Assert.DoesNotContain('\n', CliErrors.Describe(new ArgumentOutOfRangeException("bytes", 3, "guest memory must be a multiple")).Message);
    }
}
