using SharpVmm.Cli.Parsing;
using SharpVmm.X86;

namespace SharpVmm.Cli;

/// <summary>Everything <c>run</c> and <c>demo</c> need to start a raw guest.</summary>
public sealed record RawGuestSpec
{
    /// <summary>Name for messages (a path, or <c>built-in:NAME</c>).</summary>
    public required string ImageName { get; init; }

    /// <summary>The image bytes, or null to read <see cref="ImageName"/> from disk.</summary>
    public byte[]? ImageBytes { get; init; }

    /// <summary>CPU mode at entry.</summary>
    public CpuMode Mode { get; init; } = CpuMode.Real;

    /// <summary>Guest-physical load address.</summary>
    public ulong LoadAddress { get; init; } = 0x10000;

    /// <summary>Entry point; null means the default for the mode.</summary>
    public EntryPoint? Entry { get; init; }

    /// <summary>Guest RAM bytes.</summary>
    public ulong MemorySize { get; init; } = VirtualMachineBuilder.DefaultMemorySize;

    /// <summary>vCPUs (all start at the same entry).</summary>
    public int Vcpus { get; init; } = 1;

    /// <summary>Initial register values.</summary>
    public IReadOnlyList<RegisterAssignment> Registers { get; init; } = [];

    /// <summary>Print every device access.</summary>
    public bool TraceIo { get; init; }

    /// <summary>Feed the host's stdin to the UART's receiver (raw mode on a terminal; Ctrl-A x quits).</summary>
    public bool SerialInput { get; init; }

    /// <summary>Add QEMU's pc-testdev (<see cref="Platform.PcTestDevices"/>); its interrupt lines reach nothing here.</summary>
    public bool TestDevices { get; init; }

    /// <summary>Stop after this many exits.</summary>
    public long? MaxExits { get; init; }

    /// <summary>Stop after this long.</summary>
    public TimeSpan? TimeLimit { get; init; }
}
