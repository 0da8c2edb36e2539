using System.Text;
using SharpVmm.Memory;

namespace SharpVmm.Boot;

/// <summary>Writes a NUL-terminated kernel command line into guest memory.</summary>
internal static class CommandLineWriter
{
    /// <summary>
    /// Writes <paramref name="cmdline"/> (UTF-8) and a NUL at <paramref name="address"/>.
    /// <paramref name="maxLength"/> is the longest accepted line in bytes, not counting the NUL.
    /// </summary>
    /// <returns>The bytes written, NUL included.</returns>
    /// <exception cref="BootImageException">The line is too long, contains a NUL, or does not fit in guest memory.</exception>
    public static int Write(GuestMemory memory, GuestAddress address, string cmdline, ulong maxLength, string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(cmdline);
        if (Array.IndexOf(bytes, (byte)0) >= 0)
        {
            throw new BootImageException(name, BootImageError.Malformed, "kernel command line contains a NUL character");
        }

        if ((ulong)bytes.Length > maxLength)
        {
            throw new BootImageException(name, BootImageError.CommandLineTooLong,
                $"kernel command line is {bytes.Length} bytes; the kernel accepts at most {maxLength}");
        }

        if (!memory.Contains(address, (ulong)bytes.Length + 1))
        {
            throw new BootImageException(name, BootImageError.LoadAddressOutsideMemory,
                $"kernel command line of {bytes.Length} bytes does not fit in guest memory at {address}");
        }

        memory.Write(address, bytes);
        memory.Write(address.Add((ulong)bytes.Length), (byte)0);
        return bytes.Length + 1;
    }
}
