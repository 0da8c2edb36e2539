namespace SharpVmm.Platform;

/// <summary>The kernel image formats <see cref="DirectKernelBoot"/> can start.</summary>
public enum KernelFormat
{
    /// <summary>Decide from the file's contents (see <see cref="DirectKernelBoot.DetectFormat"/>).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("auto")]
    Auto,
    /// <summary>A Linux bzImage (x86 boot protocol 2.06+), entered at its 64-bit entry point in long mode.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("bzimage")]
    BzImage,
    /// <summary>An ELF kernel with a Xen PVH entry note, entered in 32-bit protected mode with <c>hvm_start_info</c>.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("pvh")]
    Pvh,
    /// <summary>A Multiboot (version 1) kernel, entered in 32-bit protected mode with EAX = 0x2BADB002 and EBX = the information structure.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("multiboot")]
    Multiboot,
}
