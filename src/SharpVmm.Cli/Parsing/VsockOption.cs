using System.Globalization;
using SharpVmm.Configuration;

namespace SharpVmm.Cli.Parsing;

/// <summary>
/// A <c>--vsock cid=N,uds=PATH</c> option: a virtio-vsock device for guest CID N whose host side is the Unix socket
/// PATH (Firecracker's <c>guest_cid</c> and <c>uds_path</c>). PATH must not exist yet and cannot hold a comma.
/// </summary>
public static class VsockOption
{
    private const string Expected = "expected cid=N,uds=PATH";

    /// <summary>Parses the option's value; null when it was not given.</summary>
    /// <exception cref="UsageException">The value is malformed.</exception>
    public static VsockConfig? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        uint? cid = null;
        string? uds = null;
        foreach (string part in text.Split(','))
        {
            if (part.StartsWith("cid=", StringComparison.Ordinal))
            {
                string value = part["cid=".Length..];
                if (!uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out uint parsed) || parsed < 3 || parsed == uint.MaxValue)
                {
                    throw new UsageException($"--vsock: cid '{value}' is not a guest CID (a number from 3 to {uint.MaxValue - 1}; 0 to 2 are reserved)");
                }

                cid = parsed;
            }
            else if (part.StartsWith("uds=", StringComparison.Ordinal))
            {
                uds = part["uds=".Length..];
                if (uds.Length == 0)
                {
                    throw new UsageException("--vsock: uds= names no path");
                }
            }
            else
            {
                throw new UsageException($"--vsock: unknown setting '{part}' ({Expected})");
            }
        }

        return new VsockConfig
        {
            GuestCid = cid ?? throw new UsageException($"--vsock: '{text}' gives no cid ({Expected})"),
            UdsPath = uds ?? throw new UsageException($"--vsock: '{text}' gives no uds path ({Expected})"),
        };
    }
}
