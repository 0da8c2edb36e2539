namespace SharpVmm.Devices.Firmware;

/// <summary>
/// Selector keys of QEMU's fw_cfg device, named after the <c>FW_CFG_*</c> constants of QEMU's
/// include/standard-headers/linux/qemu_fw_cfg.h (the same values as Linux's include/uapi/linux/qemu_fw_cfg.h).
/// Integer items are little-endian; the file directory is big-endian (docs/specs/fw_cfg.rst).
/// </summary>
public static class FwCfgKey
{
    /// <summary>FW_CFG_SIGNATURE: the four bytes "QEMU".</summary>
    public const ushort Signature = 0x00;

    /// <summary>FW_CFG_ID: u32 feature bitmap (<see cref="FwCfgDevice.InterfaceTraditional"/>, bit 1 DMA).</summary>
    public const ushort Id = 0x01;

    /// <summary>FW_CFG_UUID: the 16-byte VM UUID.</summary>
    public const ushort Uuid = 0x02;

    /// <summary>FW_CFG_RAM_SIZE: u64 guest RAM size in bytes.</summary>
    public const ushort RamSize = 0x03;

    /// <summary>FW_CFG_NOGRAPHIC: u16, non-zero when there is no display.</summary>
    public const ushort NoGraphic = 0x04;

    /// <summary>FW_CFG_NB_CPUS: u16 number of CPUs present at boot.</summary>
    public const ushort NbCpus = 0x05;

    /// <summary>FW_CFG_MACHINE_ID: u32 machine identifier.</summary>
    public const ushort MachineId = 0x06;

    /// <summary>FW_CFG_KERNEL_ADDR: u32 guest address the kernel is loaded at.</summary>
    public const ushort KernelAddr = 0x07;

    /// <summary>FW_CFG_KERNEL_SIZE: u32 size of <see cref="KernelData"/>.</summary>
    public const ushort KernelSize = 0x08;

    /// <summary>FW_CFG_KERNEL_CMDLINE: u32 command-line address on machines that use it (not x86, which uses <see cref="CmdlineAddr"/>).</summary>
    public const ushort KernelCmdline = 0x09;

    /// <summary>FW_CFG_INITRD_ADDR: u32 guest address the initrd is loaded at.</summary>
    public const ushort InitrdAddr = 0x0A;

    /// <summary>FW_CFG_INITRD_SIZE: u32 size of <see cref="InitrdData"/>.</summary>
    public const ushort InitrdSize = 0x0B;

    /// <summary>FW_CFG_BOOT_DEVICE: u16 boot device.</summary>
    public const ushort BootDevice = 0x0C;

    /// <summary>FW_CFG_NUMA: NUMA node table.</summary>
    public const ushort Numa = 0x0D;

    /// <summary>FW_CFG_BOOT_MENU: u16, non-zero to show the firmware boot menu.</summary>
    public const ushort BootMenu = 0x0E;

    /// <summary>FW_CFG_MAX_CPUS: u16 highest possible CPU count (on x86, the APIC ID limit).</summary>
    public const ushort MaxCpus = 0x0F;

    /// <summary>FW_CFG_KERNEL_ENTRY: u32 kernel entry point.</summary>
    public const ushort KernelEntry = 0x10;

    /// <summary>FW_CFG_KERNEL_DATA: the kernel image bytes.</summary>
    public const ushort KernelData = 0x11;

    /// <summary>FW_CFG_INITRD_DATA: the initrd bytes.</summary>
    public const ushort InitrdData = 0x12;

    /// <summary>FW_CFG_CMDLINE_ADDR: u32 guest address the command line is copied to.</summary>
    public const ushort CmdlineAddr = 0x13;

    /// <summary>FW_CFG_CMDLINE_SIZE: u32 size of <see cref="CmdlineData"/>, including its NUL.</summary>
    public const ushort CmdlineSize = 0x14;

    /// <summary>FW_CFG_CMDLINE_DATA: the NUL-terminated kernel command line.</summary>
    public const ushort CmdlineData = 0x15;

    /// <summary>FW_CFG_SETUP_ADDR: u32 address of the Linux real-mode setup code.</summary>
    public const ushort SetupAddr = 0x16;

    /// <summary>FW_CFG_SETUP_SIZE: u32 size of <see cref="SetupData"/>.</summary>
    public const ushort SetupSize = 0x17;

    /// <summary>FW_CFG_SETUP_DATA: the Linux real-mode setup code.</summary>
    public const ushort SetupData = 0x18;

    /// <summary>FW_CFG_FILE_DIR: the directory of named files (big-endian, see <see cref="FwCfgDevice"/>).</summary>
    public const ushort FileDir = 0x19;

    /// <summary>FW_CFG_FILE_FIRST: the selector of the first named file; files take consecutive selectors.</summary>
    public const ushort FileFirst = 0x20;

    /// <summary>FW_CFG_WRITE_CHANNEL: selector bit asking for write access to the item.</summary>
    public const ushort WriteChannel = 0x4000;

    /// <summary>FW_CFG_ARCH_LOCAL: selector bit choosing the architecture-specific item table.</summary>
    public const ushort ArchLocal = 0x8000;

    /// <summary>FW_CFG_ENTRY_MASK: the selector bits that index an item table.</summary>
    public const ushort EntryMask = unchecked((ushort)~(WriteChannel | ArchLocal));

    /// <summary>FW_CFG_INVALID: a selector that names no item.</summary>
    public const ushort Invalid = 0xFFFF;
}
