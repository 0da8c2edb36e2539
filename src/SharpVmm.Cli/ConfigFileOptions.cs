using System.CommandLine;
using SharpVmm.Configuration;

namespace SharpVmm.Cli;

/// <summary>
/// <c>--config-file</c> and <c>--print-config</c>: a command's VM comes either from its options or from a JSON file
/// (<see cref="VmConfig"/>), and can be printed as that JSON instead of run.
/// </summary>
internal sealed class ConfigFileOptions
{
    private readonly Option<string?> _configFile = new("--config-file")
    {
        Description = "Take the VM from this JSON file (the VmConfig format, a superset of Firecracker's configuration file); " +
            "options that describe the VM cannot be given with it, the run limits and --trace-io can",
    };

    private readonly Option<bool> _printConfig = new("--print-config")
    {
        Description = "Print the VM the other options (or --config-file) describe, as JSON for --config-file, and exit",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_configFile);
        command.Options.Add(_printConfig);
    }

    /// <summary>Whether --config-file was given.</summary>
    public bool HasFile(ParseResult parse) => parse.GetValue(_configFile) is not null;

    /// <summary>
    /// The VM to run: the file's, or <paramref name="fromOptions"/>(); <paramref name="vmOptionsGiven"/> names an option
    /// that describes the VM and was given, which a file excludes.
    /// </summary>
    public VmConfig Resolve(ParseResult parse, Func<VmConfig> fromOptions, string? vmOptionsGiven)
    {
        if (parse.GetValue(_configFile) is not { } path)
        {
            return fromOptions();
        }

        if (vmOptionsGiven is not null)
        {
            throw new UsageException($"{vmOptionsGiven} cannot be combined with --config-file, which describes the whole VM");
        }

        // A file's mistakes, missing files included, are reported by field (exit 2), as the file's author wrote them.
        VmConfig config = VmConfigJson.Load(path);
        config.Validate();
        return config;
    }

    /// <summary>With --print-config, writes <paramref name="config"/> to <paramref name="output"/> and returns true.</summary>
    public bool Print(ParseResult parse, VmConfig config, TextWriter output)
    {
        if (!parse.GetValue(_printConfig))
        {
            return false;
        }

        config.Validate(checkHostResources: false);
        output.WriteLine(VmConfigJson.Serialize(config));
        output.Flush();
        return true;
    }
}
