using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>A KVM virtual machine file descriptor.</summary>
public sealed unsafe partial class KvmVm : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly KvmSystem _system;

    internal KvmVm(FileDescriptor fd, KvmSystem system)
    {
        _fd = fd;
        _system = system;
    }

    /// <summary>KVM_MAX_IRQ_ROUTES: the most entries <see cref="SetGsiRouting"/> accepts.</summary>
    public const int MaxGsiRoutes = 4096;

    /// <summary>Returns the VM-level <c>KVM_CHECK_EXTENSION</c> value for <paramref name="cap"/>.</summary>
    public int CheckExtension(KvmCap cap) => Math.Max(0, Libc.Ioctl(_fd.Fd, KvmIoctl.CheckExtension, (nint)cap));

    /// <summary>
    /// Enables a VM capability (<c>KVM_ENABLE_CAP</c> on the VM file descriptor) with its first argument
    /// <paramref name="arg0"/>. Check <see cref="CheckExtension"/> first: KVM refuses capabilities it lacks.
    /// </summary>
    public void EnableCapability(KvmCap cap, ulong arg0 = 0)
    {
        var request = new KvmEnableCap { Cap = (uint)cap };
        request.Args[0] = arg0;
        // SAFETY: request is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.EnableCap, &request), $"KVM_ENABLE_CAP({cap})");
    }

    /// <summary>Maps host memory into the guest-physical address space (<c>KVM_SET_USER_MEMORY_REGION</c>).</summary>
    public void SetUserMemoryRegion(uint slot, ulong guestPhysicalAddress, ulong size, nint hostAddress, uint flags = 0)
    {
        var region = new KvmUserspaceMemoryRegion
        {
            Slot = slot,
            Flags = flags,
            GuestPhysAddr = guestPhysicalAddress,
            MemorySize = size,
            UserspaceAddr = (ulong)hostAddress,
        };
        // SAFETY: region is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetUserMemoryRegion, &region), "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>Places the three-page TSS region Intel VMX needs for real mode (<c>KVM_SET_TSS_ADDR</c>).</summary>
    public void SetTssAddress(ulong address) =>
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetTssAddr, (nint)address), "KVM_SET_TSS_ADDR");

    /// <summary>Places the one-page identity-map table (<c>KVM_SET_IDENTITY_MAP_ADDR</c>).</summary>
    public void SetIdentityMapAddress(ulong address)
    {
        // SAFETY: address is a parameter (a local) that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetIdentityMapAddr, &address), "KVM_SET_IDENTITY_MAP_ADDR");
    }

    /// <summary>Creates the in-kernel PIC, IOAPIC and local APICs (<c>KVM_CREATE_IRQCHIP</c>).</summary>
    public void CreateIrqchip()
    {
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreateIrqchip, 0), "KVM_CREATE_IRQCHIP");
        HasIrqchip = true;
    }

    /// <summary>Creates the in-kernel i8254 PIT (<c>KVM_CREATE_PIT2</c>).</summary>
    public void CreatePit2(uint flags = 0)
    {
        var config = new KvmPitConfig { Flags = flags };
        // SAFETY: config is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreatePit2, &config), "KVM_CREATE_PIT2");
        HasPit = true;
    }

    /// <summary>Sets the level of an in-kernel irqchip input (<c>KVM_IRQ_LINE</c>).</summary>
    public void SetIrqLine(uint gsi, bool high)
    {
        var level = new KvmIrqLevel { Irq = gsi, Level = high ? 1u : 0u };
        // SAFETY: level is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.IrqLine, &level), "KVM_IRQ_LINE");
    }

    /// <summary>
    /// Makes a guest write to <paramref name="address"/> signal <paramref name="eventFd"/> inside KVM, without an exit
    /// to user space (<c>KVM_IOEVENTFD</c>). Writes that do not match (length, or data with
    /// <paramref name="dataMatch"/>) still exit as usual.
    /// </summary>
    /// <param name="eventFd">The eventfd to signal.</param>
    /// <param name="address">A port (<paramref name="isPortIo"/>) or a guest-physical MMIO address.</param>
    /// <param name="length">Access length to match: 1, 2, 4 or 8; 0 matches any length (MMIO only).</param>
    /// <param name="isPortIo">Port I/O (<c>KVM_IOEVENTFD_FLAG_PIO</c>) rather than MMIO.</param>
    /// <param name="dataMatch">If set, only writes of this value signal (<c>KVM_IOEVENTFD_FLAG_DATAMATCH</c>).</param>
    /// <exception cref="KvmException">KVM refused (EEXIST: the same registration exists; EINVAL: bad length).</exception>
    public void AddIoEventFd(EventFd eventFd, ulong address, uint length, bool isPortIo, ulong? dataMatch)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        IoEventFd(eventFd.Handle, address, length, isPortIo, dataMatch, 0, "KVM_IOEVENTFD");
    }

    /// <summary>
    /// Like <see cref="AddIoEventFd(EventFd, ulong, uint, bool, ulong?)"/>, for an eventfd some other component owns (a
    /// device's own <c>NotificationEvent</c>, so that the guest's write wakes the device thread directly). KVM keeps its
    /// own reference to the eventfd: closing the handle does not undo the registration, but
    /// <see cref="RemoveIoEventFd(SafeHandle, ulong, uint, bool, ulong?)"/> needs it open.
    /// </summary>
    /// <param name="eventFd">An open eventfd (any other descriptor makes KVM fail with EINVAL).</param>
    /// <param name="address">A port (<paramref name="isPortIo"/>) or a guest-physical MMIO address.</param>
    /// <param name="length">Access length to match: 1, 2, 4 or 8; 0 matches any length (MMIO only).</param>
    /// <param name="isPortIo">Port I/O (<c>KVM_IOEVENTFD_FLAG_PIO</c>) rather than MMIO.</param>
    /// <param name="dataMatch">If set, only writes of this value signal (<c>KVM_IOEVENTFD_FLAG_DATAMATCH</c>).</param>
    /// <exception cref="KvmException">KVM refused (EEXIST: the same registration exists; EINVAL: not an eventfd, bad length).</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    public void AddIoEventFd(SafeHandle eventFd, ulong address, uint length, bool isPortIo, ulong? dataMatch) =>
        IoEventFd(eventFd, address, length, isPortIo, dataMatch, 0, "KVM_IOEVENTFD");

    /// <summary>Removes a registration made by <see cref="AddIoEventFd(EventFd, ulong, uint, bool, ulong?)"/> with the same arguments.</summary>
    /// <exception cref="KvmException">No such registration (ENOENT).</exception>
    public void RemoveIoEventFd(EventFd eventFd, ulong address, uint length, bool isPortIo, ulong? dataMatch)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        IoEventFd(eventFd.Handle, address, length, isPortIo, dataMatch, KvmIoeventfd.FlagDeassign, "KVM_IOEVENTFD(DEASSIGN)");
    }

    /// <summary>Removes a registration made by <see cref="AddIoEventFd(SafeHandle, ulong, uint, bool, ulong?)"/> with the same arguments.</summary>
    /// <exception cref="KvmException">No such registration (ENOENT).</exception>
    /// <exception cref="ObjectDisposedException">The handle is closed.</exception>
    public void RemoveIoEventFd(SafeHandle eventFd, ulong address, uint length, bool isPortIo, ulong? dataMatch) =>
        IoEventFd(eventFd, address, length, isPortIo, dataMatch, KvmIoeventfd.FlagDeassign, "KVM_IOEVENTFD(DEASSIGN)");

    /// <summary>
    /// Makes a signal of <paramref name="eventFd"/> inject <paramref name="gsi"/> (<c>KVM_IRQFD</c>): an edge, routed
    /// by the GSI routing table (irqchip pin or MSI). Needs the in-kernel irqchip.
    /// </summary>
    /// <exception cref="KvmException">KVM refused (EBUSY: the eventfd is already bound).</exception>
    public void AddIrqFd(EventFd eventFd, uint gsi)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        var request = new KvmIrqfd { Fd = (uint)eventFd.Handle.Fd, Gsi = gsi };
        // SAFETY: request is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.Irqfd, &request), "KVM_IRQFD");
    }

    /// <summary>Removes a binding made by <see cref="AddIrqFd"/>.</summary>
    /// <exception cref="KvmException">KVM refused.</exception>
    public void RemoveIrqFd(EventFd eventFd, uint gsi)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        var request = new KvmIrqfd { Fd = (uint)eventFd.Handle.Fd, Gsi = gsi, Flags = KvmIrqfd.FlagDeassign };
        // SAFETY: request is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.Irqfd, &request), "KVM_IRQFD(DEASSIGN)");
    }

    /// <summary>
    /// Injects the MSI (<paramref name="address"/>, <paramref name="data"/>) (<c>KVM_SIGNAL_MSI</c>).
    /// Returns false if the guest blocked it or no APIC matched the destination (the message is dropped, as on hardware).
    /// </summary>
    /// <exception cref="KvmException">KVM refused the call (no in-kernel irqchip, bad flags).</exception>
    public bool SignalMsi(ulong address, uint data)
    {
        var msi = new KvmMsi { AddressLo = (uint)address, AddressHi = (uint)(address >> 32), Data = data };
        // SAFETY: msi is a local that outlives the synchronous ioctl, which only reads it.
        int result = Libc.Ioctl(_fd.Fd, KvmIoctl.SignalMsi, &msi);
        if (result < 0 && Errno.Last() == Errno.EPERM)
        {
            return false; // the delivery path's bare -1: no local APIC matched the destination (api.rst 4.71)
        }

        return KvmSystem.Checked(result, "KVM_SIGNAL_MSI") > 0;
    }

    /// <summary>
    /// Replaces the whole GSI routing table (<c>KVM_SET_GSI_ROUTING</c>). The kernel's default irqchip routes are
    /// dropped too: start from <see cref="GsiRoutingTable.DefaultX86"/> to keep the legacy interrupts working.
    /// </summary>
    /// <exception cref="KvmException">KVM refused (EINVAL: a bad chip, pin or duplicate).</exception>
    public void SetGsiRouting(IReadOnlyList<GsiRoute> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(routes.Count, MaxGsiRoutes);
        int size = sizeof(KvmIrqRouting) + (routes.Count * sizeof(KvmIrqRoutingEntry));
        // SAFETY: the buffer is zeroed, sized for the header and every entry, and freed after the synchronous ioctl.
        byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)size);
        try
        {
            var header = (KvmIrqRouting*)buffer;
            header->Nr = (uint)routes.Count;
            var entries = (KvmIrqRoutingEntry*)(buffer + sizeof(KvmIrqRouting));
            for (int i = 0; i < routes.Count; i++)
            {
                entries[i] = routes[i].ToKernelEntry();
            }

            KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetGsiRouting, buffer), "KVM_SET_GSI_ROUTING");
        }
        finally
        {
            NativeMemory.Free(buffer);
        }
    }

    /// <summary>
    /// Queues the guest's writes to <paramref name="size"/> bytes at <paramref name="address"/> in the coalesced write
    /// ring instead of exiting (<c>KVM_REGISTER_COALESCED_MMIO</c>); reads still exit. The VMM must replay the ring
    /// (<see cref="CoalescedWriteRing"/>) before it handles any exit, so that the device sees every access in order.
    /// </summary>
    /// <param name="address">A port (<paramref name="isPortIo"/>) or a guest-physical MMIO address.</param>
    /// <param name="size">Length of the zone in bytes.</param>
    /// <param name="isPortIo">A port range (needs <see cref="KvmCap.CoalescedPio"/>).</param>
    /// <exception cref="KvmException">KVM refused (no coalesced I/O, too many zones, overlap).</exception>
    public void RegisterCoalescedZone(ulong address, uint size, bool isPortIo) =>
        CoalescedZone(KvmIoctl.RegisterCoalescedMmio, address, size, isPortIo, "KVM_REGISTER_COALESCED_MMIO");

    /// <summary>Ends coalescing for a zone registered by <see cref="RegisterCoalescedZone"/>; writes already queued
    /// stay in the ring until they are replayed.</summary>
    /// <param name="address">The zone's first port or address.</param>
    /// <param name="size">The zone's length.</param>
    /// <param name="isPortIo">A port range.</param>
    public void UnregisterCoalescedZone(ulong address, uint size, bool isPortIo) =>
        CoalescedZone(KvmIoctl.UnregisterCoalescedMmio, address, size, isPortIo, "KVM_UNREGISTER_COALESCED_MMIO");

    private void CoalescedZone(uint request, ulong address, uint size, bool isPortIo, string operation)
    {
        var zone = new KvmCoalescedMmioZone { Addr = address, Size = size, Pio = isPortIo ? 1u : 0u };
        // SAFETY: zone is a local that outlives the synchronous ioctl, which only reads it.
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, request, &zone), operation);
    }

    private void IoEventFd(SafeHandle eventFd, ulong address, uint length, bool isPortIo, ulong? dataMatch, uint flags, string operation)
    {
        ArgumentNullException.ThrowIfNull(eventFd);
        bool added = false;
        try
        {
            // Holds the descriptor open (its number not reused) until the ioctl has taken KVM's own reference.
            eventFd.DangerousAddRef(ref added);
            var request = new KvmIoeventfd
            {
                Addr = address,
                Len = length,
                Fd = (int)eventFd.DangerousGetHandle(),
                Datamatch = dataMatch ?? 0,
                Flags = flags | (isPortIo ? KvmIoeventfd.FlagPio : 0) | (dataMatch.HasValue ? KvmIoeventfd.FlagDatamatch : 0),
            };
            // SAFETY: request is a local that outlives the synchronous ioctl, which only reads it.
            KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.Ioeventfd, &request), operation);
        }
        finally
        {
            if (added)
            {
                eventFd.DangerousRelease();
            }
        }
    }

    /// <summary>Creates vCPU <paramref name="id"/> and maps its kvm_run area.</summary>
    public KvmVcpu CreateVcpu(int id)
    {
        int fd = KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreateVcpu, id), "KVM_CREATE_VCPU");
        var handle = new FileDescriptor(fd);
        try
        {
            return new KvmVcpu(handle, id, _system.VcpuMmapSize) { Vm = this, XsaveSize = XsaveSize() };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
