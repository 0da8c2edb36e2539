// A guest function called from .NET, the way a sandbox runs untrusted code: a 16-bit guest that upper-cases ASCII.
// Each call writes its input into guest memory, lets the vCPU run, and reads the result back from guest memory; the
// guest waits for the next call in a port write (CallGate), so the VM is built once and serves every call.
using System.Diagnostics;
using System.Text;
using GuestFunction;
using SharpVmm;
using SharpVmm.Memory;
using SharpVmm.X86;

const ushort GatePort = 0x500;
var code = new GuestAddress(0x1000);
var length = new GuestAddress(0x1FFE);  // u16: the input's length
var input = new GuestAddress(0x2000);   // up to 1 KiB in
var output = new GuestAddress(0x2400);  // as many bytes out
byte[] upperCase =
[
    0xBA, 0x00, 0x05,       // start: mov dx, 0x500
    0xEE,                   //        out dx, al        ; ready: the host writes the next input, then we go on
    0x8B, 0x0E, 0xFE, 0x1F, //        mov cx, [0x1ffe]
    0xBE, 0x00, 0x20,       //        mov si, 0x2000
    0xBF, 0x00, 0x24,       //        mov di, 0x2400
    0xFC,                   //        cld
    0xE3, 0xEF,             // next:  jcxz start
    0xAC,                   //        lodsb
    0x3C, 0x61,             //        cmp al, 'a'
    0x72, 0x06,             //        jb store
    0x3C, 0x7A,             //        cmp al, 'z'
    0x77, 0x02,             //        ja store
    0x2C, 0x20,             //        sub al, 0x20
    0xAA,                   // store: stosb
    0x49,                   //        dec cx
    0xEB, 0xEF,             //        jmp next
];

int calls = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1000;
using var gate = new CallGate();
using VirtualMachine vm = new VirtualMachineBuilder()
    .WithMemory(1 << 20)
    .WithVcpus(1)
    .AddIoDevice(GatePort, 1, gate)
    .Build();
vm.Memory.Write(code, upperCase);
CpuModeSetup.EnterRealMode(vm.Vcpus[0].Kvm, segment: 0, offset: (ushort)code.Value);
vm.Start();

// The guest's first out: it is at its gate, waiting for a call.
if (!gate.WaitReady(TimeSpan.FromSeconds(10)))
{
    throw new TimeoutException($"the guest never reached its gate: {vm.State}");
}

// One call: the input into guest memory, the guest let go, and its next out means the result is in memory (and the
// guest is back at its gate for the call after).
string Call(string text)
{
    byte[] bytes = Encoding.ASCII.GetBytes(text);
    vm.Memory.Write(length, (ushort)bytes.Length);
    vm.Memory.Write(input, bytes);
    gate.Post();
    if (!gate.WaitReady(TimeSpan.FromSeconds(10)))
    {
        throw new TimeoutException($"the guest did not finish the call: {vm.State}");
    }

    return Encoding.ASCII.GetString(vm.Memory.GetSpan(output, bytes.Length));
}

Console.WriteLine(Call("hello from .NET, through guest memory"));
var clock = Stopwatch.StartNew();
for (int i = 0; i < calls; i++)
{
    string result = Call("call " + i);
    if (result != "CALL " + i)
    {
        throw new InvalidOperationException($"call {i} returned '{result}'");
    }
}

clock.Stop();
Console.WriteLine(FormattableString.Invariant($"{calls} calls, {clock.Elapsed.TotalMicroseconds / calls:F1} us per call"));
gate.Close();
vm.Stop();
VmRunResult end = vm.WaitForExit(TimeSpan.FromSeconds(10));
Console.WriteLine(end.Reason);
