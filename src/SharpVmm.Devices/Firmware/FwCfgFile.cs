namespace SharpVmm.Devices.Firmware;

/// <summary>An entry of the fw_cfg file directory (QEMU's <c>struct FWCfgFile</c>): a named item and its selector.</summary>
/// <param name="Name">The file name, at most <see cref="FwCfgDevice.MaxFileNameLength"/> ASCII characters.</param>
/// <param name="Selector">The key the guest writes to the selector register to read the file.</param>
/// <param name="Size">The file's size in bytes.</param>
public readonly record struct FwCfgFile(string Name, ushort Selector, int Size);
