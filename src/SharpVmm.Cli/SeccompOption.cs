using System.CommandLine;
using SharpVmm.Sys;

namespace SharpVmm.Cli;

/// <summary>
/// The seccomp mode a command runs its VM under: <c>--seccomp enforce|log|off</c> for <c>run</c>, <c>boot</c> and
/// <c>restore</c>, Firecracker's <c>--no-seccomp</c> for <c>firecracker</c>. Process-wide, as in Firecracker: every thread
/// gets the VMM allow-list at once, before the VM is built, and every vCPU and device thread the run starts confines itself
/// further as it starts (<see cref="SeccompPolicy"/>).
/// </summary>
internal static class SeccompOption
{
    /// <summary>The mode when none is given.</summary>
    public const string Default = "enforce";

    /// <summary>A new <c>--seccomp</c> option, <see cref="Default"/> when not given.</summary>
    public static Option<string> Create() => new("--seccomp")
    {
        Description = "seccomp filters on every thread, narrower on the vCPU and device threads: enforce (the default: a forbidden system call kills the process with SIGSYS), log (it is allowed and logged by the kernel) or off",
        DefaultValueFactory = _ => Default,
    };

    /// <summary>
    /// Makes <paramref name="value"/> (enforce, log or off) the mode of the threads this process starts from now on,
    /// after checking that the kernel accepts such a filter; a <see cref="UsageException"/> says what to do otherwise.
    /// </summary>
    public static void Apply(string value)
    {
        SeccompMode mode = value switch
        {
            "enforce" => SeccompMode.Enforce,
            "log" => SeccompMode.Log,
            "off" => SeccompMode.Off,
            _ => throw new UsageException($"--seccomp must be enforce, log or off, not '{value}'"),
        };
        try
        {
            SeccompPolicy.ConfineProcess(mode);
        }
        catch (SystemCallException ex)
        {
            throw new UsageException($"--seccomp {value}: this kernel refused a seccomp filter ({ex.Message}); run with --seccomp off (firecracker: --no-seccomp)");
        }
        catch (InvalidOperationException ex)
        {
            throw new UsageException($"--seccomp {value}: {ex.Message}; run with --seccomp off (firecracker: --no-seccomp)");
        }
    }
}
