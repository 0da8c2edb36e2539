namespace SharpVmm.Gdb;

/// <summary>
/// The registers a gdb stub offers for an x86 vCPU: their numbers, widths and the target description that tells gdb
/// about them, and the <c>g</c>/<c>G</c>/<c>p</c>/<c>P</c> packet data for an <see cref="X86RegisterFile"/>.
/// </summary>
/// <remarks>
/// <para>
/// Two layouts, because gdb refuses to debug a 32-bit ELF (a Multiboot kernel) against an x86-64 description:
/// <see cref="X86_64"/> and <see cref="I386"/>. Both follow gdb's own numbering for its x86 features, which gdb checks
/// by name: <c>org.gnu.gdb.i386.core</c> (general registers, instruction pointer, eflags, selectors, x87),
/// <c>org.gnu.gdb.i386.sse</c> (XMM, MXCSR), for x86-64 <c>org.gnu.gdb.i386.segments</c> (fs_base, gs_base), then
/// <c>org.sharpvmm.x86.system</c>: cr0, cr2, cr3, cr4, cr8 (x86-64 only: it does not exist outside 64-bit mode) and
/// efer, all 64 bits wide in both layouts, so nothing is cut off when a kernel loaded as a 32-bit ELF enters long mode.
/// </para>
/// <para>
/// What each register maps to in the register file is described on <see cref="X86RegisterAccess"/>. In short: a register
/// narrower than its field (I386's eax, eflags) reads the field's low bytes, and writing it keeps the rest; a wider one
/// (the 32-bit selectors and x87 control words) reads zero-extended and keeps the field's bits on write; selectors
/// write the selector only, never the descriptor cache; <c>fioff</c>/<c>fiseg</c> and <c>fooff</c>/<c>foseg</c> are the
/// low/high halves of KVM's 64-bit x87 pointers; <c>ftag</c> is the full 16-bit tag word gdb expects, made from KVM's
/// abridged tag byte on read, and reduced back to it (empty or not, per register) on write.
/// </para>
/// </remarks>
public sealed class GdbRegisterLayout
{
    private readonly Dictionary<string, GdbRegister> _byName;

    private GdbRegisterLayout(string architecture, IReadOnlyList<GdbRegister> registers, string programCounter,
        string stackPointer, string framePointer)
    {
        Architecture = architecture;
        Registers = registers;
        _byName = registers.ToDictionary(r => r.Name, StringComparer.Ordinal);
        SizeInBytes = registers.Sum(r => r.ByteSize);
        TargetXml = GdbTargetXml.Build(architecture, registers);
        ProgramCounter = _byName[programCounter];
        StackPointer = _byName[stackPointer];
        FramePointer = _byName[framePointer];
    }

    /// <summary>
    /// 64-bit x86 (<c>i386:x86-64</c>), 65 registers: rax rbx rcx rdx rsi rdi rbp rsp r8-r15 (0-15), rip (16),
    /// eflags (17), cs ss ds es fs gs (18-23), st0-st7 (24-31), fctrl fstat ftag fiseg fioff foseg fooff fop (32-39),
    /// xmm0-xmm15 (40-55), mxcsr (56), fs_base gs_base (57-58), cr0 cr2 cr3 cr4 cr8 efer (59-64).
    /// </summary>
    public static GdbRegisterLayout X86_64 { get; } = Create64();

    /// <summary>
    /// 32-bit x86 (<c>i386</c>), 46 registers: eax ecx edx ebx esp ebp esi edi (0-7), eip (8), eflags (9),
    /// cs ss ds es fs gs (10-15), st0-st7 (16-23), the x87 control registers (24-31), xmm0-xmm7 (32-39), mxcsr (40),
    /// cr0 cr2 cr3 cr4 efer (41-45).
    /// </summary>
    public static GdbRegisterLayout I386 { get; } = Create32();

    /// <summary>
    /// The layout gdb should see for <paramref name="vm"/>: <see cref="I386"/> for a Multiboot kernel or a raw guest in
    /// real or protected mode (gdb refuses a 32-bit ELF against an x86-64 description), <see cref="X86_64"/> otherwise.
    /// </summary>
    public static GdbRegisterLayout For(MicroVm vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        bool is32 = vm.KernelBoot is { } boot
            ? boot.Format == Platform.KernelFormat.Multiboot
            : vm.Config.RawGuest is { } raw && raw.Mode != X86.CpuMode.Long64;
        return is32 ? I386 : X86_64;
    }

    /// <summary>The BFD architecture name in the target description (<c>i386:x86-64</c> or <c>i386</c>).</summary>
    public string Architecture { get; }

    /// <summary>The complete target description gdb reads with <c>qXfer:features:read:target.xml</c>: one document, no includes.</summary>
    public string TargetXml { get; }

    /// <summary>How many registers there are; they are numbered 0 to <c>Count - 1</c>.</summary>
    public int Count => Registers.Count;

    /// <summary>The registers in number order.</summary>
    public IReadOnlyList<GdbRegister> Registers { get; }

    /// <summary>The size of the <c>g</c> packet's data in bytes (its hex is twice as long).</summary>
    public int SizeInBytes { get; }

    /// <summary>rip or eip: the register a stop reply should carry first.</summary>
    public GdbRegister ProgramCounter { get; }

    /// <summary>rsp or esp.</summary>
    public GdbRegister StackPointer { get; }

    /// <summary>rbp or ebp.</summary>
    public GdbRegister FramePointer { get; }

    /// <summary>The register called <paramref name="name"/> (gdb's name, lowercase), or null.</summary>
    public GdbRegister? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The reply to <c>g</c>: every register in number order, each as little-endian lowercase hex.</summary>
    public string ReadAll(in X86RegisterFile file)
    {
        var bytes = new byte[SizeInBytes];
        foreach (GdbRegister register in Registers)
        {
            X86RegisterAccess.Read(register.Slot, in file, bytes.AsSpan(register.Offset, register.ByteSize));
        }

        return GdbPacket.ToHex(bytes);
    }

    /// <summary>The reply to <c>p</c> for register <paramref name="number"/> (little-endian hex), or null for an unknown number.</summary>
    public string? ReadOne(int number, in X86RegisterFile file)
    {
        if ((uint)number >= (uint)Count)
        {
            return null;
        }

        GdbRegister register = Registers[number];
        Span<byte> bytes = stackalloc byte[register.ByteSize];
        X86RegisterAccess.Read(register.Slot, in file, bytes);
        return GdbPacket.ToHex(bytes);
    }

    /// <summary>
    /// Applies a <c>G</c> packet's data: every register, as <see cref="ReadAll"/> writes them. False, with
    /// <paramref name="file"/> unchanged, unless <paramref name="hex"/> is exactly <see cref="SizeInBytes"/> bytes of hex.
    /// </summary>
    public bool WriteAll(ReadOnlySpan<char> hex, ref X86RegisterFile file)
    {
        var bytes = new byte[SizeInBytes];
        if (!GdbPacket.TryParseHex(hex, bytes))
        {
            return false;
        }

        foreach (GdbRegister register in Registers)
        {
            X86RegisterAccess.Write(register.Slot, ref file, bytes.AsSpan(register.Offset, register.ByteSize));
        }

        return true;
    }

    /// <summary>
    /// Applies a <c>P</c> packet: register <paramref name="number"/> set to <paramref name="hex"/> (little-endian). False,
    /// with <paramref name="file"/> unchanged, for an unknown number or hex that is not exactly the register's size.
    /// </summary>
    public bool WriteOne(int number, ReadOnlySpan<char> hex, ref X86RegisterFile file)
    {
        if ((uint)number >= (uint)Count)
        {
            return false;
        }

        GdbRegister register = Registers[number];
        Span<byte> bytes = stackalloc byte[register.ByteSize];
        if (!GdbPacket.TryParseHex(hex, bytes))
        {
            return false;
        }

        X86RegisterAccess.Write(register.Slot, ref file, bytes);
        return true;
    }

    private static GdbRegisterLayout Create64()
    {
        var layout = new GdbLayoutBuilder();
        (string Name, X86RegisterSlot Slot)[] general =
        [
            ("rax", X86RegisterSlot.Rax), ("rbx", X86RegisterSlot.Rbx), ("rcx", X86RegisterSlot.Rcx), ("rdx", X86RegisterSlot.Rdx),
            ("rsi", X86RegisterSlot.Rsi), ("rdi", X86RegisterSlot.Rdi), ("rbp", X86RegisterSlot.Rbp), ("rsp", X86RegisterSlot.Rsp),
            ("r8", X86RegisterSlot.R8), ("r9", X86RegisterSlot.R9), ("r10", X86RegisterSlot.R10), ("r11", X86RegisterSlot.R11),
            ("r12", X86RegisterSlot.R12), ("r13", X86RegisterSlot.R13), ("r14", X86RegisterSlot.R14), ("r15", X86RegisterSlot.R15),
        ];
        foreach (var (name, slot) in general)
        {
            layout.Add(GdbFeatures.Core, name, 64, name is "rbp" or "rsp" ? "data_ptr" : "int64", slot);
        }

        layout.Add(GdbFeatures.Core, "rip", 64, "code_ptr", X86RegisterSlot.Rip)
            .Add(GdbFeatures.Core, "eflags", 32, "i386_eflags", X86RegisterSlot.Rflags)
            .AddSelectors()
            .AddX87()
            .AddSse(16)
            .Add(GdbFeatures.Segments, "fs_base", 64, "int", X86RegisterSlot.FsBase)
            .Add(GdbFeatures.Segments, "gs_base", 64, "int", X86RegisterSlot.GsBase)
            .AddSystem(withCr8: true);
        return new GdbRegisterLayout("i386:x86-64", layout.Registers, "rip", "rsp", "rbp");
    }

    private static GdbRegisterLayout Create32()
    {
        var layout = new GdbLayoutBuilder();
        (string Name, X86RegisterSlot Slot)[] general =
        [
            ("eax", X86RegisterSlot.Rax), ("ecx", X86RegisterSlot.Rcx), ("edx", X86RegisterSlot.Rdx), ("ebx", X86RegisterSlot.Rbx),
            ("esp", X86RegisterSlot.Rsp), ("ebp", X86RegisterSlot.Rbp), ("esi", X86RegisterSlot.Rsi), ("edi", X86RegisterSlot.Rdi),
        ];
        foreach (var (name, slot) in general)
        {
            layout.Add(GdbFeatures.Core, name, 32, name is "ebp" or "esp" ? "data_ptr" : "int32", slot);
        }

        layout.Add(GdbFeatures.Core, "eip", 32, "code_ptr", X86RegisterSlot.Rip)
            .Add(GdbFeatures.Core, "eflags", 32, "i386_eflags", X86RegisterSlot.Rflags)
            .AddSelectors()
            .AddX87()
            .AddSse(8)
            .AddSystem(withCr8: false);
        return new GdbRegisterLayout("i386", layout.Registers, "eip", "esp", "ebp");
    }
}
