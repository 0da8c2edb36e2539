using SharpVmm.Cli;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// How a guest run ended, asserted exactly: the exit code alone cannot tell a guest's own reboot from a triple fault
/// (both resets on the PC platform) or, before exit code 124, from a time limit. The closing line the VMM prints
/// (<c>sharpvmm: SUMMARY</c>) or <see cref="VmRunResult.Summary"/> says which.
/// </summary>
public static class GuestEnding
{
    /// <summary>A Linux guest with <c>reboot=k</c> (every test command line has it) rebooted, or panicked with <c>panic=-1</c>.</summary>
    public const string KeyboardControllerReset = "guest requested a reset (i8042 reset line)";

    /// <summary>A Linux guest with <c>reboot=acpi</c> rebooted through the FADT's reset register.</summary>
    public const string AcpiReset = "guest requested a reset (ACPI reset register)";

    /// <summary>The guest wrote SLP_TYP=S5 | SLP_EN to PM1a control.</summary>
    public const string AcpiPowerOff = "guest powered off (ACPI S5 (PM1a_CNT SLP_EN))";

    /// <summary>
    /// Asserts that the CLI process ended because the guest did what <paramref name="summary"/> says, with exit code 0:
    /// not through <c>--time-limit</c> (exit code 124), not through a triple fault or any other stop.
    /// </summary>
    public static void AssertCliRun(CliProcess.Result run, string summary, string? console = null)
    {
        string context = $"\n--- stderr ---\n{run.Stderr}\n--- console (tail) ---\n{Tail(console ?? run.Stdout)}";
        Assert.False(run.ExitCode == ExitCodes.TimeLimitReached, $"the guest was still running when --time-limit stopped it (exit code 124), instead of: {summary}{context}");
        Assert.True(run.ExitCode == ExitCodes.Success, $"exit code {run.ExitCode}, expected 0 ({summary}){context}");
        Assert.True(run.Stderr.Split('\n').Any(l => l.TrimEnd('\r') == $"sharpvmm: {summary}"),
            $"the VMM did not end with 'sharpvmm: {summary}'{context}");
    }

    /// <summary>Asserts that a library run ended for <paramref name="reason"/> with exactly <paramref name="summary"/>.</summary>
    public static void AssertRun(VmRunResult result, VmStopReason reason, string summary, string console)
    {
        string context = $"the run ended with {result.Reason} ({result.Summary}), expected {reason} ({summary}); console:\n{Tail(console)}\n{result.Report}";
        Assert.True(result.Reason == reason && result.Summary == summary, context);
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
