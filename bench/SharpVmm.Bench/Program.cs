using SharpVmm.Configuration;
using System.Diagnostics;
using System.Globalization;
using SharpVmm;
using SharpVmm.Bench;
using SharpVmm.Cli;
using SharpVmm.Devices.Legacy;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;
using SharpVmm.X86;

// Usage: SharpVmm.Bench REFERENCE_BINARY AOT_CLI_BINARY [--quick]
// Prints SharpVmm's figures next to the C reference program's, measured in the same run.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: SharpVmm.Bench REFERENCE_BINARY AOT_CLI_BINARY [--quick]   (bench/run.sh passes both)");
    return 2;
}

string reference = args[0];
string cli = args[1];
bool quick = args.Contains("--quick");
int exits = quick ? 50_000 : 200_000;
int vms = quick ? 50 : 300;
int processes = quick ? 20 : 100;
var inv = CultureInfo.InvariantCulture;

Console.WriteLine($"SharpVmm benchmarks ({Environment.ProcessorCount} CPUs, {(Directory.Exists("/sys/module/kvm_pvm") ? "kvm_pvm" : "kvm")}, .NET {Environment.Version})");

// 1. Port-I/O exit round trip: guest `out %ax,$0x10` in a loop, one exit each.
RunExits(5_000); // warm-up: JIT, tiering
// The two sides alternate, so drift in the host's load hits both alike.
(double csExit, double cExit) = Interleaved(7, () => RunExits(exits).NsPerExit, () => double.Parse(Capture(reference, $"exits {exits}"), inv));
long allocatedPerExit = AllocationPerExit();
Console.WriteLine($"port-I/O exit round trip: SharpVmm {csExit:F0} ns, C reference {cExit:F0} ns, ratio {csExit / cExit:F3} (managed overhead {(csExit / cExit - 1) * 100:+0.0;-0.0}%)");
Console.WriteLine($"allocations per exit: {allocatedPerExit} bytes");

// 2. VM creation: open /dev/kvm, create VM, 64 MiB, 1 vCPU, run demo 1 to HLT, dispose.
CreateVms(10);
(double csCreate, double cCreate) = Interleaved(5, () => CreateVms(vms), () => double.Parse(Capture(reference, $"create {vms}"), inv));
double cCreateThreaded = Median(5, () => double.Parse(Capture(reference, $"create-threaded {vms}"), inv));
Console.WriteLine($"VM create+run-to-HLT+dispose: SharpVmm {csCreate:F0} us, C reference {cCreate:F0} us (vCPU on its own pthread: {cCreateThreaded:F0} us), ratio {csCreate / cCreate:F3}");

// 3. Whole process: demo 1 from exec to exit, AOT CLI against the C program.
string expected = "4\nKVM_EXIT_HLT\n";
if (Capture(cli, "demo add", trim: false) != expected || Capture(reference, "demo", trim: false) != expected)
{
    Console.Error.WriteLine("demo 1 output differs from the classic program's");
    return 1;
}

(double csProcess, double cProcess) = Interleaved(5, () => TimeProcess(cli, "demo add", processes), () => TimeProcess(reference, "demo", processes));
Console.WriteLine($"demo 1 whole process: SharpVmm AOT CLI {csProcess:F2} ms, C reference {cProcess:F2} ms, ratio {csProcess / cProcess:F2}");
return 0;

(double NsPerExit, long Allocated) RunExits(int count)
{
    var port = new CountingPort();
    using VirtualMachine vm = new VirtualMachineBuilder().AddIoDevice(0x10, 2, port).Build();
    vm.Memory.Write(new GuestAddress(0x10000), BuiltInGuests.KvmSample);
    CpuModeSetup.EnterRealMode(vm.Vcpus[0].Kvm, 0x1000, 0);
    long before = GC.GetTotalAllocatedBytes(precise: true);
    var clock = Stopwatch.StartNew();
    VmRunResult result = vm.Run(new VmRunOptions { MaxExits = count });
    clock.Stop();
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
    if (result.Reason != VmStopReason.ExitLimitReached || port.Writes != count)
    {
        throw new InvalidOperationException($"exit benchmark ended early: {result.Summary}, {port.Writes} writes");
    }

    return (clock.Elapsed.TotalNanoseconds / count, allocated);
}

// Two runs that differ only in exit count: the difference in allocated bytes is what the exits allocated.
long AllocationPerExit()
{
    long small = RunExits(10_000).Allocated;
    long large = RunExits(110_000).Allocated;
    return Math.Max(0, large - small) / 100_000;
}

double CreateVms(int count)
{
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < count; i++)
    {
        using VirtualMachine vm = new VirtualMachineBuilder().AddIoDevice(0x3F8, 8, new Uart8250(Stream.Null)).Build();
        vm.Memory.Write(new GuestAddress(0x1000), BuiltInGuests.DemoAdd);
        KvmVcpuSetup(vm);
        VmRunResult result = vm.Run();
        if (result.Reason != VmStopReason.AllVcpusHalted)
        {
            throw new InvalidOperationException(result.Summary);
        }
    }

    return clock.Elapsed.TotalMicroseconds / count;
}

static void KvmVcpuSetup(VirtualMachine vm)
{
    var kvm = vm.Vcpus[0].Kvm;
    CpuModeSetup.EnterRealMode(kvm, 0, 0x1000);
    kvm.SetRegs(new KvmRegs { Rip = 0x1000, Rax = 2, Rbx = 2, Rflags = 2 });
}

static double TimeProcess(string file, string arguments, int count)
{
    var clock = Stopwatch.StartNew();
    for (int i = 0; i < count; i++)
    {
        using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
    }

    return clock.Elapsed.TotalMilliseconds / count;
}

static string Capture(string file, string arguments, bool trim = true)
{
    using var p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true })!;
    string output = p.StandardOutput.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} {arguments} exited with {p.ExitCode}");
    }

    return trim ? output.Trim() : output;
}

static (double A, double B) Interleaved(int runs, Func<double> a, Func<double> b)
{
    var first = new double[runs];
    var second = new double[runs];
    for (int i = 0; i < runs; i++)
    {
        first[i] = a();
        second[i] = b();
    }

    Array.Sort(first);
    Array.Sort(second);
    return (first[runs / 2], second[runs / 2]);
}

static double Median(int runs, Func<double> measure)
{
    double[] samples = [.. Enumerable.Range(0, runs).Select(_ => measure()).Order()];
    return samples[runs / 2];
}
