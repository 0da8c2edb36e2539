using System.Runtime.CompilerServices;
using SharpVmm.Kvm.Structs;

namespace SharpVmm.Kvm;

/// <summary>
/// KVM ioctl request numbers, computed the way <c>&lt;asm-generic/ioctl.h&gt;</c> does:
/// direction in bits 30-31, argument size in bits 16-29, type (<c>KVMIO</c> = 0xAE) in bits 8-15, number in bits 0-7.
/// </summary>
public static class KvmIoctl
{
    private const uint KvmIo = 0xAE;
    private const uint IocNone = 0, IocWrite = 1, IocRead = 2;

    // System ioctls.
    /// <summary><c>KVM_GET_API_VERSION</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint GetApiVersion = Io(0x00);
    /// <summary><c>KVM_CREATE_VM</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint CreateVm = Io(0x01);
    /// <summary><c>KVM_CHECK_EXTENSION</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint CheckExtension = Io(0x03);
    /// <summary><c>KVM_GET_VCPU_MMAP_SIZE</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint GetVcpuMmapSize = Io(0x04);
    /// <summary><c>KVM_GET_SUPPORTED_CPUID</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint GetSupportedCpuid = IoWR<KvmCpuid2>(0x05);
    /// <summary><c>KVM_GET_MSR_INDEX_LIST</c>, on the /dev/kvm descriptor.</summary>
    public static readonly uint GetMsrIndexList = IoWR<KvmMsrList>(0x02);

    // VM ioctls.
    /// <summary><c>KVM_CREATE_VCPU</c>, on a VM descriptor.</summary>
    public static readonly uint CreateVcpu = Io(0x41);
    /// <summary><c>KVM_SET_USER_MEMORY_REGION</c>, on a VM descriptor.</summary>
    public static readonly uint SetUserMemoryRegion = IoW<KvmUserspaceMemoryRegion>(0x46);
    /// <summary><c>KVM_SET_TSS_ADDR</c>, on a VM descriptor.</summary>
    public static readonly uint SetTssAddr = Io(0x47);
    /// <summary><c>KVM_SET_IDENTITY_MAP_ADDR</c>, on a VM descriptor.</summary>
    public static readonly uint SetIdentityMapAddr = IoW<ulong>(0x48);
    /// <summary><c>KVM_CREATE_IRQCHIP</c>, on a VM descriptor.</summary>
    public static readonly uint CreateIrqchip = Io(0x60);
    /// <summary><c>KVM_IRQ_LINE</c>, on a VM descriptor.</summary>
    public static readonly uint IrqLine = IoW<KvmIrqLevel>(0x61);
    /// <summary><c>KVM_CREATE_PIT2</c>, on a VM descriptor.</summary>
    public static readonly uint CreatePit2 = IoW<KvmPitConfig>(0x77);
    /// <summary><c>KVM_ENABLE_CAP</c>, on a VM descriptor.</summary>
    public static readonly uint EnableCap = IoW<KvmEnableCap>(0xa3);
    /// <summary><c>KVM_SET_GSI_ROUTING</c>, on a VM descriptor.</summary>
    public static readonly uint SetGsiRouting = IoW<KvmIrqRouting>(0x6a);
    /// <summary><c>KVM_IRQFD</c>, on a VM descriptor.</summary>
    public static readonly uint Irqfd = IoW<KvmIrqfd>(0x76);
    /// <summary><c>KVM_IOEVENTFD</c>, on a VM descriptor.</summary>
    public static readonly uint Ioeventfd = IoW<KvmIoeventfd>(0x79);
    /// <summary><c>KVM_SIGNAL_MSI</c>, on a VM descriptor.</summary>
    public static readonly uint SignalMsi = IoW<KvmMsi>(0xa5);
    /// <summary><c>KVM_GET_DIRTY_LOG</c>, on a VM descriptor.</summary>
    public static readonly uint GetDirtyLog = IoW<KvmDirtyLog>(0x42);
    /// <summary><c>KVM_GET_IRQCHIP</c>, on a VM descriptor.</summary>
    public static readonly uint GetIrqchip = IoWR<KvmIrqchipState>(0x62);
    /// <summary><c>KVM_SET_IRQCHIP</c>, on a VM descriptor.</summary>
    public static readonly uint SetIrqchip = IoR<KvmIrqchipState>(0x63); // _IOR in <linux/kvm.h>, a historical quirk
    /// <summary><c>KVM_SET_CLOCK</c>, on a VM descriptor.</summary>
    public static readonly uint SetClock = IoW<KvmClockData>(0x7b);
    /// <summary><c>KVM_GET_CLOCK</c>, on a VM descriptor.</summary>
    public static readonly uint GetClock = IoR<KvmClockData>(0x7c);
    /// <summary><c>KVM_GET_PIT2</c>, on a VM descriptor.</summary>
    public static readonly uint GetPit2 = IoR<KvmPitState2>(0x9f);
    /// <summary><c>KVM_SET_PIT2</c>, on a VM descriptor.</summary>
    public static readonly uint SetPit2 = IoW<KvmPitState2>(0xa0);
    /// <summary><c>KVM_REGISTER_COALESCED_MMIO</c>, on a VM descriptor.</summary>
    public static readonly uint RegisterCoalescedMmio = IoW<KvmCoalescedMmioZone>(0x67);
    /// <summary><c>KVM_UNREGISTER_COALESCED_MMIO</c>, on a VM descriptor.</summary>
    public static readonly uint UnregisterCoalescedMmio = IoW<KvmCoalescedMmioZone>(0x68);

    // vCPU ioctls.
    /// <summary><c>KVM_RUN</c>, on a vCPU descriptor.</summary>
    public static readonly uint Run = Io(0x80);
    /// <summary><c>KVM_GET_REGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetRegs = IoR<KvmRegs>(0x81);
    /// <summary><c>KVM_SET_REGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetRegs = IoW<KvmRegs>(0x82);
    /// <summary><c>KVM_GET_SREGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetSregs = IoR<KvmSregs>(0x83);
    /// <summary><c>KVM_SET_SREGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetSregs = IoW<KvmSregs>(0x84);
    /// <summary><c>KVM_TRANSLATE</c>, on a vCPU descriptor.</summary>
    public static readonly uint Translate = IoWR<KvmTranslation>(0x85);
    /// <summary><c>KVM_GET_MSRS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetMsrs = IoWR<KvmMsrs>(0x88);
    /// <summary><c>KVM_SET_MSRS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetMsrs = IoW<KvmMsrs>(0x89);
    /// <summary><c>KVM_GET_FPU</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetFpu = IoR<KvmFpu>(0x8c);
    /// <summary><c>KVM_SET_FPU</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetFpu = IoW<KvmFpu>(0x8d);
    /// <summary><c>KVM_GET_LAPIC</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetLapic = IoR<KvmLapicState>(0x8e);
    /// <summary><c>KVM_SET_LAPIC</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetLapic = IoW<KvmLapicState>(0x8f);
    /// <summary><c>KVM_SET_CPUID2</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetCpuid2 = IoW<KvmCpuid2>(0x90);
    /// <summary><c>KVM_GET_CPUID2</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetCpuid2 = IoWR<KvmCpuid2>(0x91);
    /// <summary><c>KVM_GET_MP_STATE</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetMpState = IoR<KvmMpState>(0x98);
    /// <summary><c>KVM_SET_MP_STATE</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetMpState = IoW<KvmMpState>(0x99);
    /// <summary><c>KVM_SET_GUEST_DEBUG</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetGuestDebug = IoW<KvmGuestDebug>(0x9b);
    /// <summary><c>KVM_GET_VCPU_EVENTS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetVcpuEvents = IoR<KvmVcpuEvents>(0x9f);
    /// <summary><c>KVM_SET_VCPU_EVENTS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetVcpuEvents = IoW<KvmVcpuEvents>(0xa0);
    /// <summary><c>KVM_GET_DEBUGREGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetDebugregs = IoR<KvmDebugregs>(0xa1);
    /// <summary><c>KVM_SET_DEBUGREGS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetDebugregs = IoW<KvmDebugregs>(0xa2);
    /// <summary><c>KVM_SET_TSC_KHZ</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetTscKhz = Io(0xa2);
    /// <summary><c>KVM_GET_TSC_KHZ</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetTscKhz = Io(0xa3);
    /// <summary><c>KVM_GET_XSAVE</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetXsave = IoR<KvmXsave>(0xa4);
    /// <summary><c>KVM_SET_XSAVE</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetXsave = IoW<KvmXsave>(0xa5);
    /// <summary><c>KVM_GET_XCRS</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetXcrs = IoR<KvmXcrs>(0xa6);
    /// <summary><c>KVM_SET_XCRS</c>, on a vCPU descriptor.</summary>
    public static readonly uint SetXcrs = IoW<KvmXcrs>(0xa7);
    /// <summary><c>KVM_GET_XSAVE2</c>, on a vCPU descriptor.</summary>
    public static readonly uint GetXsave2 = IoR<KvmXsave>(0xcf);

    private static uint Ioc(uint dir, uint nr, uint size) => (dir << 30) | (size << 16) | (KvmIo << 8) | nr;

    private static uint Io(uint nr) => Ioc(IocNone, nr, 0);

    private static uint IoR<T>(uint nr) where T : unmanaged => Ioc(IocRead, nr, (uint)Unsafe.SizeOf<T>());

    private static uint IoW<T>(uint nr) where T : unmanaged => Ioc(IocWrite, nr, (uint)Unsafe.SizeOf<T>());

    private static uint IoWR<T>(uint nr) where T : unmanaged => Ioc(IocRead | IocWrite, nr, (uint)Unsafe.SizeOf<T>());
}
