#:project ../../src/SharpVmm/SharpVmm.csproj
using System.Buffers.Binary;
using System.Text;
using SharpVmm.X86.Acpi;

int cpus = args.Length > 0 ? int.Parse(args[0]) : 2;
uint at = 0xE0000;
byte[] all = AcpiTables.Build(at, cpus, AcpiLayout.Default);
File.WriteAllBytes("all.bin", all);
File.WriteAllBytes("rsdp.dat", all[..36]);
void Dump(ulong address)
{
    int o = (int)(address - at);
    string sig = Encoding.ASCII.GetString(all, o, 4);
    int len = sig == "FACS" ? 64 : (int)BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(o + 4));
    File.WriteAllBytes(sig.ToLowerInvariant() + ".dat", all[o..(o + len)]);
    Console.WriteLine($"{sig} @0x{address:x} len {len}");
    if (sig == "FACP")
    {
        Dump(BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(o + 132)));
        Dump(BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(o + 140)));
    }
    if (sig == "XSDT")
    {
        for (int e = 36; e < len; e += 8) Dump(BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(o + e)));
    }
}
Dump(BinaryPrimitives.ReadUInt32LittleEndian(all.AsSpan(16)));
Dump(BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(24)));
