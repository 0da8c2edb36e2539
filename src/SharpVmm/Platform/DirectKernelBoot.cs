using System.Text;
using SharpVmm.Boot;
using SharpVmm.Boot.Linux;
using SharpVmm.Boot.MemoryMap;
using SharpVmm.Boot.Multiboot;
using SharpVmm.Boot.Pvh;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.X86;
using SharpVmm.X86.Acpi;

namespace SharpVmm.Platform;

/// <summary>
/// Starts a kernel the way Firecracker, kvmtool and QEMU's <c>-kernel</c> do, with no firmware: the loader places
/// the kernel, initrd, command line and boot parameters; this class adds the platform tables (MP table) and puts
/// every vCPU in the state the boot protocol requires: vCPU 0 at the entry point, the others waiting for INIT/SIPI.
/// </summary>
public static class DirectKernelBoot
{
    private static readonly byte[] ElfMagic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>True where guest ring-0 code runs in KVM's instruction emulator (a kvm_pvm host, no VT-x/AMD-V).</summary>
    public static bool HostEmulatesGuestKernel => Directory.Exists("/sys/module/kvm_pvm");

    /// <summary>
    /// The kernel parameters a Linux guest needs where its ring 0 is emulated (a kvm_pvm host, see ARCHITECTURE.md):
    /// they keep it away from instructions KVM's emulator lacks (<c>noxsave nosmap</c>, and <c>clearcpuid</c> for
    /// SSSE3, CX16, POPCNT and SMAP), skip the crypto self-tests that take minutes there, and keep the KVM PTP clock's
    /// driver from starting, because its boot-time hypercall never returns on such a host. Linux parameters: only Linux
    /// kernels are given them. Linux 6.x no longer knows <c>noxsave</c> and <c>nosmap</c>, and CPUID cannot hide these
    /// features on such a host, so <c>clearcpuid</c> names them by number (X86_FEATURE_SSSE3 4*32+9, _CX16 4*32+13,
    /// _POPCNT 4*32+23, _SMAP 9*32+20): kernels read a list of numbers from about 5.12 on, and names only from 5.19
    /// (older kernels clear the first number alone, and have <c>noxsave</c> and <c>nosmap</c>). Each of these
    /// instructions the kernel would otherwise run (every <c>clac</c> of a user-memory access) is an exit and an
    /// emulation in the VMM.
    /// </summary>
    public const string PvmLinuxWorkaroundParameters =
        "noxsave nosmap clearcpuid=137,141,151,308 cryptomgr.notests=1 initcall_blacklist=ptp_kvm_init module_blacklist=ptp_kvm";

    /// <summary>
    /// The parameters put in front of a <paramref name="format"/> kernel's command line on a host that does
    /// (<paramref name="hostEmulatesGuestKernel"/>) or does not emulate guest ring 0: <see cref="PvmLinuxWorkaroundParameters"/>
    /// for a Linux kernel (bzImage or PVH) on such a host, else nothing. A Multiboot kernel is no Linux kernel and
    /// gets none of them.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="format"/> is <see cref="KernelFormat.Auto"/> (resolve it with <see cref="Inspect"/> first).</exception>
    public static string WorkaroundParametersFor(KernelFormat format, bool hostEmulatesGuestKernel)
    {
        if (format == KernelFormat.Auto)
        {
            throw new ArgumentException("the kernel format must be known (DetectFormat or Inspect) to choose its host workarounds", nameof(format));
        }

        return hostEmulatesGuestKernel && format is KernelFormat.BzImage or KernelFormat.Pvh ? PvmLinuxWorkaroundParameters : "";
    }

    /// <summary>
    /// Tells the format from the first bytes: "HdrS" at 0x202 is a bzImage; an ELF file is started through its PVH
    /// note when it has one, else through its Multiboot header when it has one; any other file with a Multiboot
    /// header in its first 8 KiB is a Multiboot kernel. Anything else is rejected with the list of what was checked.
    /// </summary>
    public static KernelFormat DetectFormat(ReadOnlySpan<byte> image, string name)
    {
        if (image.Length >= 0x206 && image.Slice(0x202, 4).SequenceEqual("HdrS"u8))
        {
            return KernelFormat.BzImage;
        }

        if (image.Length >= 4 && image[..4].SequenceEqual(ElfMagic))
        {
            return !HasPvhNote(image, name) && MultibootHeader.IsPresent(image) ? KernelFormat.Multiboot : KernelFormat.Pvh;
        }

        if (MultibootHeader.IsPresent(image))
        {
            return KernelFormat.Multiboot;
        }

        throw new BootImageException(name, BootImageError.Unsupported,
            "not a kernel image SharpVmm can boot (checked: Linux bzImage, 'HdrS' at offset 0x202; ELF with a PVH entry note, " +
            "'\\x7fELF' at offset 0; Multiboot header, magic 0x1BADB002 in the first 8 KiB)");
    }

    /// <summary>
    /// Checks a kernel image without a VM: detects (or confirms) its format and parses its headers, so a broken or
    /// unsupported file is reported before KVM is touched.
    /// </summary>
    /// <returns>The format the kernel will be started as.</returns>
    /// <exception cref="BootImageException">The file is not a kernel SharpVmm can start, or its headers are malformed.</exception>
    public static KernelFormat Inspect(ReadOnlySpan<byte> kernel, string name, KernelFormat format = KernelFormat.Auto)
    {
        KernelFormat resolved = format == KernelFormat.Auto ? DetectFormat(kernel, name) : format;
        switch (resolved)
        {
            case KernelFormat.BzImage:
                LinuxSetupHeader.Parse(name, kernel).Require64BitEntry(name);
                break;
            case KernelFormat.Multiboot:
                MultibootHeader.Find(kernel, name);
                break;
            default:
                PvhLoader.FindEntryPoint(Boot.Elf.ElfImage.Parse(name, kernel));
                break;
        }

        return resolved;
    }

    /// <summary>
    /// Loads the kernel into <paramref name="vm"/> and sets up every vCPU for it. Call once, before
    /// <see cref="VirtualMachine.Run"/>. More than one vCPU needs <see cref="VirtualMachineBuilder.WithInKernelIrqchip"/>
    /// (the boot processor wakes the others with INIT/SIPI through the local APICs).
    /// </summary>
    /// <exception cref="BootImageException">The kernel or initrd is malformed, unsupported, or does not fit.</exception>
    public static KernelBootResult Prepare(VirtualMachine vm, KernelBootOptions options)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(options);
        if (vm.Vcpus.Count > 1 && !vm.HasIrqchip)
        {
            throw new InvalidOperationException("a kernel on more than one vCPU needs the in-kernel irqchip (WithInKernelIrqchip)");
        }

        ReadOnlySpan<byte> kernel = options.Kernel.Span;
        KernelFormat format = options.Format == KernelFormat.Auto ? DetectFormat(kernel, options.KernelName) : options.Format;
        IReadOnlyList<E820Entry> e820 = E820Map.ForLayout(vm.RamLayout);

        // Platform tables first: a loader error must not leave half a machine, but these are cheap to redo.
        PciRootDescription? pci = options.PciSlots.Count > 0 ? new PciRootDescription(options.PciSlots) : null;
        if (options.WriteMpTable)
        {
            MpTable.Write(vm.Memory, MpTable.DefaultAddress, vm.Vcpus.Count, pci);
        }

        GuestAddress? rsdp = options.Acpi is { } acpi ? AcpiTables.Write(vm.Memory, vm.Vcpus.Count, acpi, pci) : null;

        KvmCpuidEntry2[] supported = vm.KvmSystem.GetSupportedCpuid();
        CpuidPolicy policy = options.CpuidPolicy ?? new CpuidPolicy { HideEmulatorGaps = HostEmulatesGuestKernel };
        var refused = new List<uint>();
        foreach (Vcpu vcpu in vm.Vcpus)
        {
            foreach (uint msr in VcpuPlatformSetup.Apply(vcpu.Kvm, policy.ForVcpu(supported, vcpu.Id, vm.Vcpus.Count), vm.HasIrqchip))
            {
                if (!refused.Contains(msr))
                {
                    refused.Add(msr);
                }
            }
        }

        KvmVcpu boot = vm.Vcpus[0].Kvm;
        switch (format)
        {
            case KernelFormat.BzImage:
            {
                LinuxBootInfo info = LinuxKernelLoader.Load(vm.Memory, kernel, options.Initrd.Span, options.CommandLine,
                    LinuxBootLayout.Default with { AcpiRsdp = rsdp }, e820, options.KernelName, options.InitrdName);
                CpuModeSetup.EnterLongMode(boot, vm.Memory, info.EntryPoint.Value);
                SetBootRegisters(boot, rsi: info.ZeroPage.Value);
                return new KernelBootResult(format, info.EntryPoint, info.ZeroPage, info.InitrdAddress, info.MemoryMap, refused, rsdp);
            }

            case KernelFormat.Pvh:
            {
                PvhBootInfo info = PvhLoader.Load(vm.Memory, kernel, options.Initrd.Span, options.CommandLine,
                    PvhBootLayout.Default with { AcpiRsdp = rsdp }, e820, options.KernelName, options.InitrdName);
                CpuModeSetup.EnterProtectedMode(boot, vm.Memory, checked((uint)info.EntryPoint.Value));
                SetBootRegisters(boot, rbx: info.StartInfo.Value);
                KernelSegment[] segments = [.. info.Image.LoadSegments.Select(p =>
                    new KernelSegment(p.VirtualAddress, new GuestAddress(p.PhysicalAddress), p.MemorySize))];
                return new KernelBootResult(format, info.EntryPoint, info.StartInfo, info.InitrdAddress, info.MemoryMap, refused, rsdp, segments);
            }

            case KernelFormat.Multiboot:
            {
                MultibootModule[] modules = options.Initrd.IsEmpty ? [] : [new MultibootModule(options.Initrd, options.InitrdName, options.InitrdName)];
                MultibootBootInfo info = MultibootLoader.Load(vm.Memory, kernel, modules, options.CommandLine, e820,
                    MultibootLayout.Default, options.KernelName);
                CpuModeSetup.EnterProtectedMode(boot, vm.Memory, checked((uint)info.EntryPoint.Value));
                SetBootRegisters(boot, rax: MultibootLoader.BootloaderMagic, rbx: info.InfoAddress.Value);
                GuestAddress? module = info.Modules.Count > 0 ? new GuestAddress(info.Modules[0].Start) : null;
                return new KernelBootResult(format, info.EntryPoint, info.InfoAddress, module, info.MemoryMap, refused, rsdp);
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(options), format, "unknown kernel format");
        }
    }

    /// <summary>
    /// The command line a <paramref name="format"/> kernel is given on this host: the workaround parameters this host
    /// needs for it (see <see cref="WorkaroundParametersFor"/>), then the user's command line, kept whole.
    /// </summary>
    public static string CommandLineFor(string userCommandLine, KernelFormat format) =>
        CommandLineFor(userCommandLine, format, HostEmulatesGuestKernel);

    /// <summary>
    /// Joins the workaround parameters a <paramref name="format"/> kernel needs on a host that does
    /// (<paramref name="hostEmulatesGuestKernel"/>) or does not emulate guest ring 0, and the user's command line.
    /// </summary>
    public static string CommandLineFor(string userCommandLine, KernelFormat format, bool hostEmulatesGuestKernel)
    {
        ArgumentNullException.ThrowIfNull(userCommandLine);
        var text = new StringBuilder(WorkaroundParametersFor(format, hostEmulatesGuestKernel));
        if (userCommandLine.Length > 0)
        {
            text.Append(text.Length > 0 ? " " : "").Append(userCommandLine);
        }

        return text.ToString();
    }

    private static bool HasPvhNote(ReadOnlySpan<byte> image, string name)
    {
        try
        {
            PvhLoader.FindEntryPoint(Boot.Elf.ElfImage.Parse(name, image));
            return true;
        }
        catch (BootImageException)
        {
            return false;
        }
    }

    // The entry protocols hand over their boot structure in a register; the mode set-up has already set RIP/RFLAGS.
    private static void SetBootRegisters(KvmVcpu vcpu, ulong? rax = null, ulong? rbx = null, ulong? rsi = null)
    {
        KvmRegs regs = vcpu.GetRegs();
        regs.Rax = rax ?? regs.Rax;
        regs.Rbx = rbx ?? regs.Rbx;
        regs.Rsi = rsi ?? regs.Rsi;
        vcpu.SetRegs(regs);
    }
}
