using SharpVmm.Cli;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Cli;

/// <summary>The two classic demos, end to end through the CLI process, byte for byte.</summary>
[Tier(TestTiers.KvmFast)]
public class DemoCommandTests
{
    private static string GuestBin(string name) => Path.Combine(RepoPaths.Root, "guests", "bin", name);

    [Fact]
    public void Demo_add_prints_exactly_what_the_classic_c_program_prints()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["demo", "add"]);

        Assert.Equal("", result.Stderr);
        Assert.Equal("4\nKVM_EXIT_HLT\n", result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Demo_add_from_a_config_file_prints_what_the_built_in_demo_prints()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string file = dir.File("demo.json");
        File.WriteAllText(file, """
            { "machine-config": { "mem_size_mib": 1 },
              "raw-guest": { "image_path": "builtin:demo-add", "load_address": 4096, "entry": "0x0:0x1000", "registers": { "rax": 3, "rbx": 4 } } }
            """);

        var result = CliProcess.Run(["run", "--config-file", file]);

        Assert.Equal("7\nKVM_EXIT_HLT\n", result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Demo_add_from_an_image_file_with_registers_matches_the_built_in_demo()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("demo-add.bin"), "--load-address", "0x1000", "--entry", "0x0:0x1000", "--reg", "rax=2", "--reg", "rbx=2"]);

        Assert.Equal("4\nKVM_EXIT_HLT\n", result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Exit_stats_count_demo_adds_two_serial_writes_at_their_port()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("demo-add.bin"), "--load-address", "0x1000", "--entry", "0x0:0x1000", "--reg", "rax=2", "--reg", "rbx=2", "--exit-stats"]);

        Assert.Equal("4\nKVM_EXIT_HLT\n", result.Stdout); // the guest's output is unchanged; the figures go to stderr
        Assert.Contains("sharpvmm: exits by reason: KVM_EXIT_IO 2 (", result.Stderr, StringComparison.Ordinal);
        Assert.Matches(@"sharpvmm:   IO out 0x3f8 +2 ", result.Stderr);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Boot_timer_reports_when_the_first_instruction_ran_without_touching_the_guests_output()
    {
        KvmTestEnvironment.RequireKvm();
        double before = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;

        var result = CliProcess.Run(["run", GuestBin("demo-add.bin"), "--load-address", "0x1000", "--entry", "0x0:0x1000", "--reg", "rax=2", "--reg", "rbx=2", "--boot-timer"]);

        double after = (DateTime.UtcNow - DateTime.UnixEpoch).TotalSeconds;
        Assert.Equal("4\nKVM_EXIT_HLT\n", result.Stdout);
        var line = System.Text.RegularExpressions.Regex.Match(result.Stderr,
            @"sharpvmm: boot timer: first KVM_RUN (\d+\.\d) ms after the process started \(runtime start-up to Main (-?\d+\.\d) ms.*; " +
            @"Main to VM built (\d+\.\d\d) ms; VM built to first KVM_RUN (\d+\.\d\d) ms\); first KVM_RUN at Unix time (\d+\.\d+)");
        Assert.True(line.Success, result.Stderr);
        double firstRun = double.Parse(line.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(firstRun, before - 0.1, after + 0.1); // by the host's clock, while the process ran
        double total = double.Parse(line.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        double built = double.Parse(line.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(total >= built, result.Stderr); // the whole span holds the part after Main
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Registers_change_what_demo_add_computes()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("demo-add.bin"), "--load-address", "0x1000", "--entry", "0x0:0x1000", "--reg", "rax=3", "--reg", "rbx=4"]);

        Assert.Equal("7\nKVM_EXIT_HLT\n", result.Stdout);
    }

    [Fact]
    public void Demo_kvmsample_prints_each_exit_like_the_classic_demo_and_stops_at_the_limit()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["demo", "kvmsample", "--max-exits", "3"]);

        Assert.Equal("KVM_EXIT_IO\nout port: 16, data: 0\nKVM_EXIT_IO\nout port: 16, data: 1\nKVM_EXIT_IO\nout port: 16, data: 2\n", result.Stdout);
        Assert.Contains("stopped after 3 exits", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Run_with_trace_io_prints_each_port_write_of_the_kvmsample_image()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("kvmsample.bin"), "--mode", "real", "--load-address", "0x10000", "--entry", "0x1000:0x0", "--trace-io", "--max-exits", "5"]);

        string expected = string.Concat(Enumerable.Range(0, 5).Select(i => $"KVM_EXIT_IO\nout port: 16, data: {i}\n"));
        Assert.Equal(expected, result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Without_trace_io_writes_to_unclaimed_ports_are_not_printed()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("kvmsample.bin"), "--entry", "0x1000:0x0", "--max-exits", "5"]);

        Assert.Equal("", result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void A_time_limit_stops_the_endless_kvmsample_loop()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run", GuestBin("kvmsample.bin"), "--time-limit", "0.5"]);

        Assert.Equal(ExitCodes.TimeLimitReached, result.ExitCode);
        Assert.Equal(124, result.ExitCode);
        Assert.Contains("time limit", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_without_an_image_boots_the_built_in_default_guest()
    {
        KvmTestEnvironment.RequireKvm();

        var result = CliProcess.Run(["run"]);

        Assert.Equal("4\nKVM_EXIT_HLT\n", result.Stdout);
        Assert.Equal(ExitCodes.Success, result.ExitCode);
    }

    [Fact]
    public void Help_explains_the_commands()
    {
        var result = CliProcess.Run(["run", "--help"]);

        Assert.Equal(0, result.ExitCode);
        foreach (string option in new[] { "--mode", "--load-address", "--entry", "--reg", "--mem", "--cpus", "--trace-io", "--max-exits", "--time-limit" })
        {
            Assert.Contains(option, result.Stdout, StringComparison.Ordinal);
        }
    }
}
