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

#pragma warning disable CS1591 // names follow <linux/kvm.h>
    // System ioctls.
    public static readonly uint GetApiVersion = Io(0x00);
    public static readonly uint CreateVm = Io(0x01);
    public static readonly uint CheckExtension = Io(0x03);
    public static readonly uint GetVcpuMmapSize = Io(0x04);
    public static readonly uint GetSupportedCpuid = IoWR<KvmCpuid2>(0x05);
    public static readonly uint GetMsrIndexList = IoWR<KvmMsrList>(0x02);

    // VM ioctls.
    public static readonly uint CreateVcpu = Io(0x41);
    public static readonly uint SetUserMemoryRegion = IoW<KvmUserspaceMemoryRegion>(0x46);
    public static readonly uint SetTssAddr = Io(0x47);
    public static readonly uint SetIdentityMapAddr = IoW<ulong>(0x48);
    public static readonly uint CreateIrqchip = Io(0x60);
    public static readonly uint IrqLine = IoW<KvmIrqLevel>(0x61);
    public static readonly uint CreatePit2 = IoW<KvmPitConfig>(0x77);
    public static readonly uint EnableCap = IoW<KvmEnableCap>(0xa3);
    public static readonly uint SetGsiRouting = IoW<KvmIrqRouting>(0x6a);
    public static readonly uint Irqfd = IoW<KvmIrqfd>(0x76);
    public static readonly uint Ioeventfd = IoW<KvmIoeventfd>(0x79);
    public static readonly uint SignalMsi = IoW<KvmMsi>(0xa5);
    public static readonly uint GetDirtyLog = IoW<KvmDirtyLog>(0x42);
    public static readonly uint GetIrqchip = IoWR<KvmIrqchipState>(0x62);
    public static readonly uint SetIrqchip = IoR<KvmIrqchipState>(0x63); // _IOR in <linux/kvm.h>, a historical quirk
    public static readonly uint SetClock = IoW<KvmClockData>(0x7b);
    public static readonly uint GetClock = IoR<KvmClockData>(0x7c);
    public static readonly uint GetPit2 = IoR<KvmPitState2>(0x9f);
    public static readonly uint SetPit2 = IoW<KvmPitState2>(0xa0);
    public static readonly uint RegisterCoalescedMmio = IoW<KvmCoalescedMmioZone>(0x67);
    public static readonly uint UnregisterCoalescedMmio = IoW<KvmCoalescedMmioZone>(0x68);

    // vCPU ioctls.
    public static readonly uint Run = Io(0x80);
    public static readonly uint GetRegs = IoR<KvmRegs>(0x81);
    public static readonly uint SetRegs = IoW<KvmRegs>(0x82);
    public static readonly uint GetSregs = IoR<KvmSregs>(0x83);
    public static readonly uint SetSregs = IoW<KvmSregs>(0x84);
    public static readonly uint Translate = IoWR<KvmTranslation>(0x85);
    public static readonly uint GetMsrs = IoWR<KvmMsrs>(0x88);
    public static readonly uint SetMsrs = IoW<KvmMsrs>(0x89);
    public static readonly uint GetFpu = IoR<KvmFpu>(0x8c);
    public static readonly uint SetFpu = IoW<KvmFpu>(0x8d);
    public static readonly uint GetLapic = IoR<KvmLapicState>(0x8e);
    public static readonly uint SetLapic = IoW<KvmLapicState>(0x8f);
    public static readonly uint SetCpuid2 = IoW<KvmCpuid2>(0x90);
    public static readonly uint GetCpuid2 = IoWR<KvmCpuid2>(0x91);
    public static readonly uint GetMpState = IoR<KvmMpState>(0x98);
    public static readonly uint SetMpState = IoW<KvmMpState>(0x99);
    public static readonly uint SetGuestDebug = IoW<KvmGuestDebug>(0x9b);
    public static readonly uint GetVcpuEvents = IoR<KvmVcpuEvents>(0x9f);
    public static readonly uint SetVcpuEvents = IoW<KvmVcpuEvents>(0xa0);
    public static readonly uint GetDebugregs = IoR<KvmDebugregs>(0xa1);
    public static readonly uint SetDebugregs = IoW<KvmDebugregs>(0xa2);
    public static readonly uint SetTscKhz = Io(0xa2);
    public static readonly uint GetTscKhz = Io(0xa3);
    public static readonly uint GetXsave = IoR<KvmXsave>(0xa4);
    public static readonly uint SetXsave = IoW<KvmXsave>(0xa5);
    public static readonly uint GetXcrs = IoR<KvmXcrs>(0xa6);
    public static readonly uint SetXcrs = IoW<KvmXcrs>(0xa7);
    public static readonly uint GetXsave2 = IoR<KvmXsave>(0xcf);
#pragma warning restore CS1591

    private static uint Ioc(uint dir, uint nr, uint size) => (dir << 30) | (size << 16) | (KvmIo << 8) | nr;

    private static uint Io(uint nr) => Ioc(IocNone, nr, 0);

    private static uint IoR<T>(uint nr) where T : unmanaged => Ioc(IocRead, nr, (uint)Unsafe.SizeOf<T>());

    private static uint IoW<T>(uint nr) where T : unmanaged => Ioc(IocWrite, nr, (uint)Unsafe.SizeOf<T>());

    private static uint IoWR<T>(uint nr) where T : unmanaged => Ioc(IocRead | IocWrite, nr, (uint)Unsafe.SizeOf<T>());
}
