using System.Text.Json.Serialization;
using SharpVmm.X86;

namespace SharpVmm.Configuration;

/// <summary>
/// A raw binary image copied byte for byte into guest memory and started in a chosen CPU mode at CPL0, with COM1 at
/// 0x3f8 and isa-debug-exit at 0xf4 (<c>sharpvmm run</c>; the classic KVM demos are such guests).
/// </summary>
public sealed record RawGuestConfig
{
    /// <summary>The image file, or <c>builtin:demo-add</c> / <c>builtin:kvmsample</c> for the two classic demos.</summary>
    [JsonPropertyName("image_path")]
    public required string ImagePath { get; set; }

    /// <summary>The CPU mode at entry.</summary>
    [JsonPropertyName("mode")]
    public CpuMode Mode { get; set; } = CpuMode.Real;

    /// <summary>Guest-physical address the image is loaded at.</summary>
    [JsonPropertyName("load_address")]
    public ulong LoadAddress { get; set; } = 0x10000;

    /// <summary>The entry point: <c>SEG:OFF</c> in real mode, an address otherwise; null for the load address.</summary>
    [JsonPropertyName("entry")]
    public string? Entry { get; set; }

    /// <summary>Initial general registers by name (rax ... r15, rip, rflags), e.g. <c>{"rax": 2}</c>.</summary>
    [JsonPropertyName("registers")]
    public IReadOnlyDictionary<string, ulong> Registers { get; set; } = new Dictionary<string, ulong>();
}
