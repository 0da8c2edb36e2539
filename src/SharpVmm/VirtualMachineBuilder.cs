using SharpVmm.Devices.Bus;
using SharpVmm.Exits;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;

namespace SharpVmm;

/// <summary>
/// Describes a VM and creates it in order: guest memory → <c>/dev/kvm</c> and <c>KVM_CREATE_VM</c> with the memory's
/// slots → the in-kernel irqchip and PIT → the vCPUs (each with its <c>kvm_run</c> mapped) → the
/// <see cref="VirtualMachine"/>, which is the <see cref="IVmControl"/>. Devices come after: those that need the VM
/// (memory, interrupt lines, MSIs, the control) are built against <see cref="VirtualMachine.Devices"/>, before the VM
/// starts; those that need nothing of it can be given here (<see cref="AddIoDevice"/>, <see cref="AddMmioDevice"/>).
/// </summary>
/// <example>
/// <code>
/// using var vm = new VirtualMachineBuilder().WithMemory(1 &lt;&lt; 20).AddIoDevice(0x3f8, 8, uart).Build();
/// vm.Devices.AddIoDevice(DebugExitPort.DefaultPort, DebugExitPort.DefaultSize, new DebugExitPort(vm.RequestDebugExit));
/// vm.Memory.Write(new GuestAddress(0x1000), code);
/// CpuModeSetup.EnterRealMode(vm.Vcpus[0].Kvm, 0, 0x1000);
/// VmRunResult result = vm.Run(new VmRunOptions { TimeLimit = TimeSpan.FromSeconds(5) });
/// </code>
/// </example>
public sealed class VirtualMachineBuilder
{
    /// <summary>Default guest memory: 64 MiB.</summary>
    public const ulong DefaultMemorySize = 64UL << 20;

    /// <summary>
    /// The most guest RAM this VMM lays out (<see cref="GuestRamLayout.MaxSize"/>): up to 3 GiB from guest-physical 0,
    /// below the 32-bit device hole, and the rest from 4 GiB (<see cref="GuestRamLayout"/>).
    /// </summary>
    public const ulong MaxMemorySize = GuestRamLayout.MaxSize;

    /// <summary>Where KVM's three-page real-mode TSS goes on Intel hosts: just below the BIOS area at the top of 4 GiB.</summary>
    public const ulong TssAddress = 0xFFFB_D000;

    /// <summary>Where KVM's one-page EPT identity map goes on Intel hosts: the page below the TSS.</summary>
    public const ulong IdentityMapAddress = 0xFFFB_C000;

    // KVM_PIT_SPEAKER_DUMMY: the PIT's speaker port (0x61) is answered in the kernel.
    private const uint PitSpeakerDummy = 1;

    private readonly List<(ulong Base, ulong Length, IBusDevice Device)> _ioDevices = [];
    private readonly List<(ulong Base, ulong Length, IBusDevice Device)> _mmioDevices = [];
    private GuestRamLayout _ramLayout = GuestRamLayout.ForSize(DefaultMemorySize);
    private int _vcpuCount = 1;
    private string _kvmDevice = KvmSystem.DefaultDevicePath;
    private bool _hugePages;
    private bool _irqchip;
    private bool _tripleFaultResets;
    private bool _dirtyPageTracking;
    private readonly List<IDisposable> _owned = [];
    private IExitTracer? _tracer;
    private Func<GuestRamLayout, GuestMemory>? _memorySource;
    private Action<DeviceBus, ulong, bool>? _unclaimedAccess;

    /// <summary>
    /// Hands <paramref name="resource"/> (a device with host threads, a back-end file) to the VM: it is disposed when the
    /// VM is, after every vCPU thread has joined and before guest memory is unmapped, last added first, or here when
    /// <see cref="Build"/> fails. A device thread that writes guest memory (a network receive, a disk completion) must be
    /// stopped by then, so such devices belong here (or, for those built after the VM, <see cref="VmDevices.Owns"/>).
    /// </summary>
    public VirtualMachineBuilder Owns(IDisposable resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        _owned.Add(resource);
        return this;
    }

    /// <summary>
    /// Guest RAM size in bytes (a non-zero multiple of 4 KiB, at most <see cref="MaxMemorySize"/>), laid out by
    /// <see cref="GuestRamLayout.ForSize"/>: from guest-physical 0 up to 3 GiB, the rest from 4 GiB.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is 0, not a multiple of 4 KiB, or too large.</exception>
    public VirtualMachineBuilder WithMemory(ulong bytes)
    {
        _ramLayout = GuestRamLayout.ForSize(bytes);
        return this;
    }

    /// <summary>Number of vCPUs (each gets its own host thread).</summary>
    public VirtualMachineBuilder WithVcpus(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 255);
        _vcpuCount = count;
        return this;
    }

    /// <summary>The KVM device to open (default <c>/dev/kvm</c>).</summary>
    public VirtualMachineBuilder WithKvmDevice(string path)
    {
        _kvmDevice = path;
        return this;
    }

    /// <summary>
    /// Gives the VM KVM's in-kernel interrupt controllers and timer, as a PC has them: two 8259 PICs, an IOAPIC at
    /// 0xfec00000, a local APIC per vCPU (<c>KVM_CREATE_IRQCHIP</c>) and the i8254 PIT on ports 0x40-0x43
    /// (<c>KVM_CREATE_PIT2</c>). With it, HLT waits for an interrupt in the kernel instead of ending the run, and
    /// vCPUs other than 0 wait for INIT/SIPI from the boot processor.
    /// </summary>
    public VirtualMachineBuilder WithInKernelIrqchip(bool enabled = true)
    {
        _irqchip = enabled;
        return this;
    }

    /// <summary>
    /// Makes a guest triple fault reset the machine, as on a PC, ending the run with
    /// <see cref="VmStopReason.GuestReset"/> (kernels reboot this way when nothing else works; Firecracker treats it
    /// the same). Off by default, where a triple fault is an error (<see cref="VmStopReason.TripleFault"/>).
    /// </summary>
    public VirtualMachineBuilder WithTripleFaultAsReset(bool enabled = true)
    {
        _tripleFaultResets = enabled;
        return this;
    }

    /// <summary>
    /// Makes KVM log the pages the guest writes in every memory slot (<c>KVM_MEM_LOG_DIRTY_PAGES</c>), to be read with
    /// <see cref="Snapshot.DirtyPageLog"/> for a diff snapshot. Off by default: logging write-protects guest pages and
    /// costs a fault on the first write to each after every read of the log.
    /// </summary>
    public VirtualMachineBuilder WithDirtyPageTracking(bool enabled = true)
    {
        _dirtyPageTracking = enabled;
        return this;
    }

    /// <summary>The number of vCPUs chosen so far.</summary>
    public int VcpuCount => _vcpuCount;

    /// <summary>The guest memory size chosen so far.</summary>
    public ulong MemorySize => _ramLayout.TotalSize;

    /// <summary>Where the guest memory chosen so far lies (below the 32-bit hole, and from 4 GiB when it does not fit there).</summary>
    public GuestRamLayout RamLayout => _ramLayout;

    /// <summary>
    /// Where guest memory comes from instead of fresh anonymous pages: called with the layout
    /// (<see cref="WithMemory"/>), it returns memory of exactly that layout, such as a snapshot's memory file mapped
    /// copy-on-write (<see cref="GuestMemoryFile.Load"/>). The VM owns what it returns.
    /// </summary>
    public VirtualMachineBuilder WithMemorySource(Func<GuestRamLayout, GuestMemory> source)
    {
        _memorySource = source ?? throw new ArgumentNullException(nameof(source));
        return this;
    }

    /// <summary>Advise transparent huge pages for guest memory.</summary>
    public VirtualMachineBuilder WithHugePages(bool enabled = true)
    {
        _hugePages = enabled;
        return this;
    }

    /// <summary>Observes every port I/O and MMIO access (e.g. to print them).</summary>
    public VirtualMachineBuilder WithExitTracer(IExitTracer tracer)
    {
        _tracer = tracer;
        return this;
    }

    /// <summary>Called once per address for the first access no device claims (bus, address, is-write).</summary>
    public VirtualMachineBuilder OnFirstUnclaimedAccess(Action<DeviceBus, ulong, bool> callback)
    {
        _unclaimedAccess = callback;
        return this;
    }

    /// <summary>Puts <paramref name="device"/> on ports [<paramref name="port"/>, +<paramref name="count"/>).</summary>
    public VirtualMachineBuilder AddIoDevice(ushort port, ushort count, IBusDevice device)
    {
        _ioDevices.Add((port, count, device));
        return this;
    }

    /// <summary>Puts <paramref name="device"/> at MMIO [<paramref name="address"/>, +<paramref name="length"/>).</summary>
    public VirtualMachineBuilder AddMmioDevice(ulong address, ulong length, IBusDevice device)
    {
        _mmioDevices.Add((address, length, device));
        return this;
    }

    /// <summary>
    /// Creates the VM: guest memory, the KVM VM with the memory's slots, the irqchip, the vCPUs, and the devices given
    /// here. Their addresses are checked first, so a conflicting layout fails before memory or KVM is touched.
    /// </summary>
    /// <exception cref="KvmUnavailableException">No usable <c>/dev/kvm</c>.</exception>
    /// <exception cref="BusConflictException">Two devices claim the same addresses.</exception>
    public VirtualMachine Build()
    {
        var io = new IoBus();
        var mmio = new MmioBus();
        foreach (var (b, length, device) in _ioDevices)
        {
            io.Register(b, length, device);
        }

        foreach (var (b, length, device) in _mmioDevices)
        {
            VmDevices.CheckOutsideRam(_ramLayout, b, length);
            mmio.Register(b, length, device);
        }

        if (_unclaimedAccess is { } callback)
        {
            io.FirstUnclaimedAccess = (address, write) => callback(io, address, write);
            mmio.FirstUnclaimedAccess = (address, write) => callback(mmio, address, write);
        }

        var disposables = new Stack<IDisposable>();
        try
        {
            // 1. Guest memory.
            GuestRamLayout ramLayout = _ramLayout;
            GuestMemory memory = _memorySource?.Invoke(ramLayout) ?? ramLayout.CreateMemory(_hugePages);
            disposables.Push(memory);

            // 2. The KVM VM, with the memory in its slots.
            var kvm = KvmSystem.Open(_kvmDevice);
            disposables.Push(kvm);
            KvmVm vm = kvm.CreateVm();
            disposables.Push(vm);
            if (kvm.CheckExtension(KvmCap.SetTssAddr) > 0)
            {
                vm.SetTssAddress(TssAddress);
            }

            if (kvm.CheckExtension(KvmCap.SetIdentityMapAddr) > 0)
            {
                vm.SetIdentityMapAddress(IdentityMapAddress); // must precede KVM_CREATE_VCPU
            }

            uint slotFlags = _dirtyPageTracking ? KvmUserspaceMemoryRegion.LogDirtyPages : 0;
            var slots = new List<MemorySlot>();
            foreach (GuestMemoryRegion region in memory.Regions)
            {
                var slot = new MemorySlot((uint)slots.Count, region.Start, region.Size, slotFlags);
                vm.SetUserMemoryRegion(slot.Slot, region.Start.Value, region.Size, region.HostAddress, slot.Flags);
                slots.Add(slot);
            }

            // 3. The irqchip, before any vCPU, so that every vCPU gets a local APIC.
            if (_irqchip)
            {
                vm.CreateIrqchip();
                vm.CreatePit2(PitSpeakerDummy);
            }

            // 4. The vCPUs, inside the VirtualMachine they report to; it is the control its devices will be given.
            return new VirtualMachine(kvm, vm, memory, ramLayout, io, mmio, _tracer, _irqchip, _tripleFaultResets, _owned, owner =>
            {
                var vcpus = new Vcpu[_vcpuCount];
                for (int i = 0; i < vcpus.Length; i++)
                {
                    KvmVcpu handle = vm.CreateVcpu(i);
                    disposables.Push(handle);
                    vcpus[i] = new Vcpu(owner, handle);
                }

                return vcpus;
            })
            { MemorySlots = slots };
        }
        catch
        {
            while (disposables.TryPop(out IDisposable? d))
            {
                d.Dispose();
            }

            for (int i = _owned.Count - 1; i >= 0; i--)
            {
                _owned[i].Dispose();
            }

            throw;
        }
    }
}
