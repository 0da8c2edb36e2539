namespace SharpVmm.Platform;

/// <summary>
/// Lets KVM queue the guest's writes to an index register, the port that picks which register a device's data port
/// reaches, instead of exiting for each: the CMOS RTC's at 0x70 and PCI's CONFIG_ADDRESS at 0xCF8, as QEMU does for
/// both. Such a write changes nothing the guest can see until it next touches the device, so the zone is confined to
/// the device's ports: the queued writes reach the device before the
/// next access to any of its ports, and no other exit waits for them. Reading a CMOS or PCI configuration register
/// then costs one exit instead of two.
/// </summary>
public static class IndexRegisterCoalescing
{
    /// <summary>
    /// Coalesces the writes to the <paramref name="indexSize"/>-byte index register at <paramref name="indexPort"/>
    /// of the device decoded at the <paramref name="portCount"/> ports from <paramref name="firstPort"/>; call before
    /// the VM starts. The device must be one whose index writes matter to nothing but its own ports: no interrupt, no
    /// memory, no other device. Do not use it with an exit tracer that must see every access.
    /// </summary>
    /// <param name="vm">The VM the device is attached to (or, for ports no device claims yet, the VM whose platform
    /// reserves them).</param>
    /// <param name="indexPort">The index register's first port.</param>
    /// <param name="indexSize">Its width in bytes: an access only partly inside it still exits.</param>
    /// <param name="firstPort">The device's first port.</param>
    /// <param name="portCount">How many ports the device decodes, the index register's among them.</param>
    /// <returns>False where KVM has no coalesced port I/O or refuses the zone; the writes then exit as before.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index register is not within the device's ports.</exception>
    public static bool Attach(VirtualMachine vm, ushort indexPort, uint indexSize, ushort firstPort, int portCount)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentOutOfRangeException.ThrowIfZero(indexSize);
        if (indexPort < firstPort || indexPort + indexSize > firstPort + (long)portCount)
        {
            throw new ArgumentOutOfRangeException(nameof(indexPort),
                $"the index register at 0x{indexPort:x} ({indexSize} bytes) is not within the device's {portCount} ports from 0x{firstPort:x}");
        }

        if (vm.CoalescedWriteReplay is not { } writes)
        {
            return false;
        }

        writes.ConfineZone(indexPort, firstPort, portCount); // first: the zone is never registered unconfined
        return writes.TryAdd(indexPort, indexSize, isPortIo: true);
    }
}
