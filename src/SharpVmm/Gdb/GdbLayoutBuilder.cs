namespace SharpVmm.Gdb;

/// <summary>Collects a layout's registers in order, numbering them and placing them in the <c>g</c> packet.</summary>
internal sealed class GdbLayoutBuilder
{
    private readonly List<GdbRegister> _registers = [];
    private int _offset;

    /// <summary>The registers added so far.</summary>
    public IReadOnlyList<GdbRegister> Registers => _registers;

    /// <summary>Appends a register of <paramref name="feature"/>, read from and written to <paramref name="slot"/>.</summary>
    public GdbLayoutBuilder Add(string feature, string name, int bitSize, string type, X86RegisterSlot slot, string? group = null)
    {
        _registers.Add(new GdbRegister(name, _registers.Count, bitSize, type, group, feature, _offset, slot));
        _offset += bitSize / 8;
        return this;
    }

    /// <summary>Appends the x87 registers gdb expects at the end of the core feature: st0-st7 and the control registers.</summary>
    public GdbLayoutBuilder AddX87()
    {
        for (int i = 0; i < 8; i++)
        {
            Add(GdbFeatures.Core, $"st{i}", 80, "i387_ext", X86RegisterSlot.St0 + i);
        }

        (string Name, X86RegisterSlot Slot)[] control =
        [
            ("fctrl", X86RegisterSlot.Fctrl), ("fstat", X86RegisterSlot.Fstat), ("ftag", X86RegisterSlot.Ftag),
            ("fiseg", X86RegisterSlot.Fiseg), ("fioff", X86RegisterSlot.Fioff), ("foseg", X86RegisterSlot.Foseg),
            ("fooff", X86RegisterSlot.Fooff), ("fop", X86RegisterSlot.Fop),
        ];
        foreach (var (name, slot) in control)
        {
            Add(GdbFeatures.Core, name, 32, "int", slot, "float");
        }

        return this;
    }

    /// <summary>Appends the segment selectors cs, ss, ds, es, fs, gs (32 bits each, as gdb has them).</summary>
    public GdbLayoutBuilder AddSelectors()
    {
        (string Name, X86RegisterSlot Slot)[] selectors =
        [
            ("cs", X86RegisterSlot.Cs), ("ss", X86RegisterSlot.Ss), ("ds", X86RegisterSlot.Ds),
            ("es", X86RegisterSlot.Es), ("fs", X86RegisterSlot.Fs), ("gs", X86RegisterSlot.Gs),
        ];
        foreach (var (name, slot) in selectors)
        {
            Add(GdbFeatures.Core, name, 32, "int32", slot);
        }

        return this;
    }

    /// <summary>Appends the SSE feature: <paramref name="count"/> XMM registers and MXCSR.</summary>
    public GdbLayoutBuilder AddSse(int count)
    {
        for (int i = 0; i < count; i++)
        {
            Add(GdbFeatures.Sse, $"xmm{i}", 128, "vec128", X86RegisterSlot.Xmm0 + i);
        }

        return Add(GdbFeatures.Sse, "mxcsr", 32, "i386_mxcsr", X86RegisterSlot.Mxcsr, "vector");
    }

    /// <summary>Appends the system feature: cr0, cr2, cr3, cr4, cr8 when <paramref name="withCr8"/>, and efer, 64 bits each.</summary>
    public GdbLayoutBuilder AddSystem(bool withCr8)
    {
        Add(GdbFeatures.System, "cr0", 64, "x86_cr0", X86RegisterSlot.Cr0, "system");
        Add(GdbFeatures.System, "cr2", 64, "int64", X86RegisterSlot.Cr2, "system");
        Add(GdbFeatures.System, "cr3", 64, "int64", X86RegisterSlot.Cr3, "system");
        Add(GdbFeatures.System, "cr4", 64, "x86_cr4", X86RegisterSlot.Cr4, "system");
        if (withCr8)
        {
            Add(GdbFeatures.System, "cr8", 64, "int64", X86RegisterSlot.Cr8, "system");
        }

        return Add(GdbFeatures.System, "efer", 64, "x86_efer", X86RegisterSlot.Efer, "system");
    }
}
