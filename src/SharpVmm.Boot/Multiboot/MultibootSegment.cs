namespace SharpVmm.Boot.Multiboot;

/// <summary>One range of a Multiboot kernel in memory.</summary>
/// <param name="FileOffset">Where its bytes start in the file.</param>
/// <param name="Address">Its physical address.</param>
/// <param name="FileSize">Bytes copied from the file.</param>
/// <param name="MemorySize">Bytes it occupies; those past <paramref name="FileSize"/> are zeroed (bss).</param>
internal readonly record struct MultibootSegment(ulong FileOffset, ulong Address, ulong FileSize, ulong MemorySize)
{
    /// <summary>First physical address after the range.</summary>
    public ulong End => Address + MemorySize;
}
