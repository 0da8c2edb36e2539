using SharpVmm.Tests.Support;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using Xunit;

namespace SharpVmm.Tests.Interop;

/// <summary>
/// Compiles Interop/kvm_layout.c against this system's &lt;linux/kvm.h&gt; and checks every struct size, field
/// offset, ioctl number and constant it prints against the C# definitions in SharpVmm.Kvm.
/// </summary>
[Tier(TestTiers.Unit)]
public class KvmLayoutTests
{
    private static readonly Lazy<Dictionary<string, long>> CLayout = new(CompileAndRun);

    private const BindingFlags Fields = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;

    [Fact]
    public void Struct_sizes_match_the_kernel_headers()
    {
        var checkedTypes = new List<string>();
        foreach (var (name, value) in Entries("size"))
        {
            Assert.Equal((name, value), (name, (long)Marshal.SizeOf(StructType(name))));
            checkedTypes.Add(name);
        }

        Assert.Contains("kvm_run", checkedTypes);
        Assert.Equal(KvmRun.Size, CLayout.Value["size kvm_run"]);
    }

    [Fact]
    public void Field_offsets_match_the_kernel_headers()
    {
        int count = 0;
        foreach (var (name, value) in Entries("offset"))
        {
            int dot = name.IndexOf('.', StringComparison.Ordinal);
            Assert.Equal((name, value), (name, (long)Offset(name[..dot], name[(dot + 1)..])));
            count++;
        }

        Assert.True(count > 100, $"only {count} offsets were checked");
    }

    [Fact]
    public void Ioctl_numbers_match_the_kernel_headers()
    {
        var fromC = Entries("ioctl").ToDictionary(e => e.Name, e => e.Value);
        var fromCs = typeof(KvmIoctl).GetFields(BindingFlags.Public | BindingFlags.Static)
            .ToDictionary(f => "KVM_" + Snake(f.Name), f => (long)(uint)f.GetValue(null)!);

        Assert.Equal(fromC.OrderBy(e => e.Key), fromCs.OrderBy(e => e.Key));
    }

    [Fact]
    public void Exit_reasons_and_capabilities_match_the_kernel_headers()
    {
        foreach (var (name, value) in Entries("const"))
        {
            long mine = name switch
            {
                "KVM_EXIT_IO_IN" => VcpuExit.IoIn,
                "KVM_EXIT_IO_OUT" => VcpuExit.IoOut,
                "KVM_API_VERSION" => KvmSystem.ExpectedApiVersion,
                "KVM_INTERNAL_ERROR_EMULATION" => VcpuExit.InternalErrorEmulation,
                "KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES" => (long)VcpuExit.EmulationFlagInstructionBytes,
                _ when name.StartsWith("KVM_EXIT_", StringComparison.Ordinal) => (long)Enum.Parse<KvmExitReason>(Pascal(name["KVM_EXIT_".Length..])),
                _ => (long)Enum.Parse<KvmCap>(Pascal(name["KVM_CAP_".Length..])),
            };
            Assert.Equal((name, value), (name, mine));
        }

        // Every capability SharpVmm names is checked against the header (exit reasons newer than it may be absent).
        foreach (KvmCap cap in Enum.GetValues<KvmCap>())
        {
            Assert.True(CLayout.Value.ContainsKey($"const KVM_CAP_{Snake(cap.ToString())}"), $"KVM_CAP_{Snake(cap.ToString())} is not checked");
        }
    }

    [Fact]
    public void The_coalesced_write_ring_is_read_with_the_headers_layout()
    {
        Assert.Equal(CoalescedWriteRing.HeaderSize, CLayout.Value["ring header"]);
        Assert.Equal(CoalescedWriteRing.EntrySize, CLayout.Value["ring entry"]);
        Assert.Equal(CoalescedWriteRing.EntryDataOffset, CLayout.Value["ring entry.data"]);
    }

    [Fact]
    public void Emulation_failure_bytes_are_read_where_the_header_puts_them()
    {
        Assert.Equal(VcpuExit.EmulationInstructionBytesOffset, CLayout.Value["offset kvm_run.emulation_failure.insn_bytes"]);
        Assert.Equal(VcpuExit.EmulationInstructionBytesCapacity, CLayout.Value["member kvm_run.emulation_failure.insn_bytes"]);
    }

    [Fact]
    public void Notification_flags_and_routing_constants_match_the_kernel_headers()
    {
        var flags = Entries("flag").ToList();
        Assert.Equal(9, flags.Count);
        foreach (var (name, value) in flags)
        {
            string[] parts = name.Split('.');
            Type type = parts[0] == nameof(KvmIrqchip) ? typeof(KvmIrqchip) : StructType(Snake(parts[0]).ToLowerInvariant());
            object constant = type.IsEnum
                ? Enum.Parse(type, parts[1])
                : type.GetField(parts[1], BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            Assert.Equal((name, value), (name, Convert.ToInt64(constant, CultureInfo.InvariantCulture)));
        }

        // The union words GsiRoute writes: irqchip = [chip, pin], msi = [address_lo, address_hi, data].
        long union = CLayout.Value["offset kvm_irq_routing_entry.u"];
        Assert.Equal(union + 4, CLayout.Value["union kvm_irq_routing_entry.u.irqchip.pin"]);
        Assert.Equal(union + 8, CLayout.Value["union kvm_irq_routing_entry.u.msi.data"]);
    }

    [Fact]
    public void Exit_names_follow_the_kernel_spelling()
    {
        Assert.Equal("KVM_EXIT_HLT", KvmExitReasonNames.Of(5));
        Assert.Equal("KVM_EXIT_IO", KvmExitReasonNames.Of(2));
        Assert.Equal("KVM_EXIT_0x63", KvmExitReasonNames.Of(99));
        foreach (var (name, value) in Entries("const").Where(e => e.Name.StartsWith("KVM_EXIT_", StringComparison.Ordinal) && !e.Name.StartsWith("KVM_EXIT_IO_", StringComparison.Ordinal)))
        {
            Assert.Equal(name, KvmExitReasonNames.Of((uint)value));
        }
    }

    private static IEnumerable<(string Name, long Value)> Entries(string kind) =>
        CLayout.Value.Where(e => e.Key.StartsWith(kind + " ", StringComparison.Ordinal))
            .Select(e => (e.Key[(kind.Length + 1)..], e.Value));

    private static Type StructType(string cName) =>
        typeof(KvmRun).Assembly.GetType("SharpVmm.Kvm.Structs." + Pascal(cName))
            ?? throw new InvalidOperationException($"no C# struct for {cName}");

    // Walks a C member path (io.port, exception.injected, s.regs.sregs) to the C# field offset.
    private static int Offset(string cStruct, string path)
    {
        Type type = StructType(cStruct);
        string[] parts = (cStruct, path) switch
        {
            ("kvm_run", "hw.hardware_exit_reason") => ["HardwareExitReason"],
            ("kvm_run", "s.regs.regs") => ["SyncRegs"],
            ("kvm_run", "s.regs.sregs") => ["SyncSregs"],
            ("kvm_run", _) when path.StartsWith("debug.arch.", StringComparison.Ordinal) => ["Debug", Pascal(path["debug.arch.".Length..])],
            ("kvm_guest_debug", "arch.debugreg") => ["DebugReg"],
            ("kvm_cpuid2" or "kvm_msrs" or "kvm_irq_routing", "entries") => [],
            ("kvm_vcpu_events", _) => [string.Concat(path.Split('.').Select(Pascal))],
            _ => [.. path.Split('.').Select(Pascal)],
        };

        if (parts.Length == 0)
        {
            return Marshal.SizeOf(type); // a flexible array member starts right after the header
        }

        int offset = 0;
        foreach (string part in parts)
        {
            FieldInfo field = type.GetField(part, Fields) ?? type.GetField("_" + char.ToLowerInvariant(part[0]) + part[1..], Fields)
                ?? throw new InvalidOperationException($"{type.Name} has no field for {cStruct}.{path} (looked for {part})");
            offset += (int)Marshal.OffsetOf(type, field.Name);
            type = field.FieldType;
        }

        return offset;
    }

    private static string Pascal(string snake) =>
        string.Concat(snake.Split('_').Select(w => w.Length == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..].ToLowerInvariant()));

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    private static Dictionary<string, long> CompileAndRun()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Interop", "kvm_layout.c");
        string exe = Path.Combine(Path.GetTempPath(), $"sharpvmm_kvm_layout_{Environment.ProcessId}");
        Run("gcc", $"-Wall -Werror -o {exe} {source}", "gcc is needed to compile the layout check against <linux/kvm.h> (install gcc and linux-libc-dev)");
        string output = Run(exe, "", "the layout program failed");
        File.Delete(exe);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToDictionary(p => p[0] + " " + p[1], p => long.Parse(p[2], CultureInfo.InvariantCulture));
    }

    private static string Run(string file, string args, string hint)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{hint}: {ex.Message}", ex);
        }

        using (process)
        {
            string stdout = process.StandardOutput.ReadToEnd();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"{file} {args} failed ({hint}):\n{stderr}");
            return stdout;
        }
    }
}
