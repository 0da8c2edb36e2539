using System.Globalization;
using SharpVmm.Configuration;

namespace SharpVmm.Cli.Parsing;

/// <summary>
/// A <c>--balloon amount_mib=N[,deflate_on_oom=on|off][,stats_polling_interval_s=N]</c> option: a virtio-balloon
/// device, with Firecracker's field names.
/// </summary>
public static class BalloonOption
{
    private const string Usage = "amount_mib=N[,deflate_on_oom=on|off][,stats_polling_interval_s=N]";

    /// <summary>Parses the option's value.</summary>
    /// <exception cref="UsageException">The value is malformed.</exception>
    public static BalloonConfig Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int? amount = null;
        bool deflateOnOom = false;
        int interval = 0;
        foreach (string part in text.Split(','))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string key = equals < 0 ? part : part[..equals];
            string value = equals < 0 ? "" : part[(equals + 1)..];
            switch (key)
            {
                case "amount_mib":
                    amount = Count(key, value);
                    break;
                case "stats_polling_interval_s":
                    interval = Count(key, value);
                    break;
                case "deflate_on_oom":
                    deflateOnOom = value switch
                    {
                        "on" or "true" => true,
                        "off" or "false" => false,
                        _ => throw new UsageException($"--balloon: deflate_on_oom must be on or off, not '{value}'"),
                    };
                    break;
                default:
                    throw new UsageException($"--balloon: unknown setting '{part}' (expected {Usage})");
            }
        }

        return new BalloonConfig
        {
            AmountMib = amount ?? throw new UsageException($"--balloon: '{text}' gives no amount_mib (expected {Usage})"),
            DeflateOnOom = deflateOnOom,
            StatsPollingIntervalSeconds = interval,
        };
    }

    private static int Count(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new UsageException($"--balloon: {key} must be a whole number of at least 0, not '{value}'");
}
