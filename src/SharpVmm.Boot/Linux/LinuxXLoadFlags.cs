namespace SharpVmm.Boot.Linux;

/// <summary>The setup header's <c>xloadflags</c> (offset 0x236, protocol 2.12 and later).</summary>
[Flags]
public enum LinuxXLoadFlags : ushort
{
    /// <summary>No flag set.</summary>
    None = 0,
    /// <summary>XLF_KERNEL_64: the kernel has the legacy 64-bit entry point at load address + 0x200.</summary>
    Kernel64 = 0x01,
    /// <summary>XLF_CAN_BE_LOADED_ABOVE_4G: kernel, boot_params, command line and ramdisk may be above 4 GiB.</summary>
    CanBeLoadedAbove4G = 0x02,
    /// <summary>XLF_EFI_HANDOVER_32.</summary>
    EfiHandover32 = 0x04,
    /// <summary>XLF_EFI_HANDOVER_64.</summary>
    EfiHandover64 = 0x08,
    /// <summary>XLF_EFI_KEXEC.</summary>
    EfiKexec = 0x10,
}
