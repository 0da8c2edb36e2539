namespace SharpVmm.Boot;

/// <summary>What is wrong with a boot image.</summary>
public enum BootImageError
{
    /// <summary>The file does not exist.</summary>
    Missing,
    /// <summary>The file exists but cannot be read.</summary>
    Unreadable,
    /// <summary>The image does not fit in guest memory at the requested address.</summary>
    TooLarge,
    /// <summary>The requested load address is not backed by guest memory.</summary>
    LoadAddressOutsideMemory,
    /// <summary>The file's contents are not a valid image of the expected kind.</summary>
    Malformed,
}
