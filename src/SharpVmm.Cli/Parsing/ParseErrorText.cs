using System.CommandLine;
using System.CommandLine.Parsing;

namespace SharpVmm.Cli.Parsing;

/// <summary>
/// One line per parse error that names the option it is about: System.CommandLine's own message for a value outside
/// an option's list ("Argument 'isa' not recognized. Must be one of: ...") does not say which option it was given to.
/// </summary>
internal static class ParseErrorText
{
    /// <summary>The message of <paramref name="error"/> on one line, led by its option's name when the message lacks it.</summary>
    public static string Describe(ParseError error)
    {
        string message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Option? option = error.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        return option is null || message.Contains(option.Name, StringComparison.Ordinal) ? message : $"{option.Name}: {message}";
    }
}
