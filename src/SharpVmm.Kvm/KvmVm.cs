using SharpVmm.Kvm.Interop;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

/// <summary>A KVM virtual machine file descriptor.</summary>
public sealed unsafe class KvmVm : IDisposable
{
    private readonly FileDescriptorHandle _fd;
    private readonly KvmSystem _system;

    internal KvmVm(FileDescriptorHandle fd, KvmSystem system)
    {
        _fd = fd;
        _system = system;
    }

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
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetUserMemoryRegion, &region), "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>Places the three-page TSS region Intel VMX needs for real mode (<c>KVM_SET_TSS_ADDR</c>).</summary>
    public void SetTssAddress(ulong address) =>
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetTssAddr, (nint)address), "KVM_SET_TSS_ADDR");

    /// <summary>Places the one-page identity-map table (<c>KVM_SET_IDENTITY_MAP_ADDR</c>).</summary>
    public void SetIdentityMapAddress(ulong address) =>
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.SetIdentityMapAddr, &address), "KVM_SET_IDENTITY_MAP_ADDR");

    /// <summary>Creates the in-kernel PIC, IOAPIC and local APICs (<c>KVM_CREATE_IRQCHIP</c>).</summary>
    public void CreateIrqchip() =>
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreateIrqchip, 0), "KVM_CREATE_IRQCHIP");

    /// <summary>Creates the in-kernel i8254 PIT (<c>KVM_CREATE_PIT2</c>).</summary>
    public void CreatePit2(uint flags = 0)
    {
        var config = new KvmPitConfig { Flags = flags };
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreatePit2, &config), "KVM_CREATE_PIT2");
    }

    /// <summary>Sets the level of an in-kernel irqchip input (<c>KVM_IRQ_LINE</c>).</summary>
    public void SetIrqLine(uint gsi, bool high)
    {
        var level = new KvmIrqLevel { Irq = gsi, Level = high ? 1u : 0u };
        KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.IrqLine, &level), "KVM_IRQ_LINE");
    }

    /// <summary>Creates vCPU <paramref name="id"/> and maps its kvm_run area.</summary>
    public KvmVcpu CreateVcpu(int id)
    {
        int fd = KvmSystem.Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreateVcpu, id), "KVM_CREATE_VCPU");
        var handle = new FileDescriptorHandle(fd);
        try
        {
            return new KvmVcpu(handle, id, _system.VcpuMmapSize);
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
