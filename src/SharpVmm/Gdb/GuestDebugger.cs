using System.Runtime.InteropServices;
using SharpVmm.Kvm;
using SharpVmm.Kvm.Structs;
using SharpVmm.Memory;

namespace SharpVmm.Gdb;

/// <summary>
/// The VM's side of the gdb stub: stops and resumes the guest, reads and writes vCPU registers and guest memory by
/// linear address, and keeps gdb's breakpoints (an <c>int3</c> in memory, or a debug register) and its single step in
/// KVM (<c>KVM_SET_GUEST_DEBUG</c>). A vCPU's debug exit comes to <see cref="OnDebugExit"/>, which stops every vCPU and
/// reports a <see cref="GuestStop"/>; an <c>int3</c> that is not gdb's goes back to the guest as its own #BP.
/// </summary>
public sealed class GuestDebugger
{
    // KVM_GUESTDBG_* (api.rst, KVM_SET_GUEST_DEBUG).
    private const uint GuestDebugEnable = 0x1, GuestDebugSingleStep = 0x2, GuestDebugUseSoftwareBp = 0x10000,
        GuestDebugUseHardwareBp = 0x20000, GuestDebugBlockIrq = 0x100000;

    private const uint DebugVector = 1, BreakpointVector = 3, InternalErrorEmulation = 1;
    private const ulong Dr6SingleStep = 1UL << 14;
    private const byte Int3 = 0xCC;

    private readonly VirtualMachine _vm;
    private readonly Action<GuestStop> _onStop;
    private readonly object _lock = new();
    private readonly Dictionary<ulong, (ulong Physical, byte Original)> _software = [];
    private readonly HardwareBreakpointSlots _hardware = new();
    private readonly bool _canBlockIrqs;
    private readonly LinearMemory _memory;
    private int _steppingVcpu = -1;
    private int _softwareCount; // _software.Count, readable without the lock
    private bool _stopTaken;
    private long _generation;

    /// <summary>
    /// Attaches to <paramref name="vm"/>: from now on its debug exits come here, and each stop is reported to
    /// <paramref name="onStop"/> (on the vCPU thread that stopped; it must not block).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another debugger is attached, or KVM cannot debug guests here.</exception>
    public GuestDebugger(VirtualMachine vm, Action<GuestStop> onStop, IReadOnlyList<Platform.KernelSegment>? kernelSegments = null)
    {
        _memory = new LinearMemory(vm, kernelSegments ?? []);
        if (vm.Kvm.CheckExtension(KvmCap.SetGuestDebug) == 0)
        {
            throw new InvalidOperationException("this host's KVM does not support guest debugging (KVM_CAP_SET_GUEST_DEBUG)");
        }

        _vm = vm;
        _onStop = onStop;
        _canBlockIrqs = (vm.Kvm.CheckExtension(KvmCap.SetGuestDebug2) & GuestDebugBlockIrq) != 0;
        lock (_lock)
        {
            if (vm.Debugger is not null)
            {
                throw new InvalidOperationException("a debugger is already attached to this VM");
            }

            vm.Debugger = this;
        }
    }

    /// <summary>
    /// Why data watchpoints cannot work on this host, or null where they do. On kvm_pvm KVM runs guest ring 0 in its
    /// instruction emulator, which checks instruction breakpoints but not data breakpoints: a watchpoint would be set
    /// and never fire, so the stub refuses it instead.
    /// </summary>
    public string? WatchpointsUnavailable { get; } = Platform.DirectKernelBoot.HostEmulatesGuestKernel
        ? "watchpoints are not available on a kvm_pvm host: KVM runs guest ring 0 in its instruction emulator, which does not check data breakpoints (breakpoints, hbreak and stepping work; use nested KVM or a host with VT-x/AMD-V)"
        : null;

    /// <summary>The vCPUs, numbered from 0.</summary>
    public int VcpuCount => _vm.Vcpus.Count;

    /// <summary>The current run's number: it grows with every <see cref="Resume"/>.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Whether the VM's run has ended.</summary>
    public bool HasEnded => _vm.State == VmState.Stopped;

    /// <summary>How the run ended; null while it goes on.</summary>
    public VmRunResult? EndResult => _vm.EndResult;

    /// <summary>
    /// Stops every vCPU (the VM is <see cref="VmState.Paused"/> when this returns) and makes stops reported later in
    /// this run stale. False when the run has ended. Call it from the stub's thread.
    /// </summary>
    public bool Stop()
    {
        lock (_lock)
        {
            _stopTaken = true;
        }

        if (HasEnded)
        {
            return false;
        }

        try
        {
            _vm.Pause();
            return true;
        }
        catch (InvalidOperationException) when (HasEnded)
        {
            return false;
        }
    }

    /// <summary>
    /// Resumes the guest, single-stepping vCPU <paramref name="stepVcpu"/> (or none, with -1) while the others run:
    /// the breakpoints are written to KVM first. False when the run has ended.
    /// </summary>
    public bool Resume(int stepVcpu)
    {
        lock (_lock)
        {
            _steppingVcpu = stepVcpu;
            _stopTaken = false;
            Interlocked.Increment(ref _generation);
            ApplyDebugState();
        }

        try
        {
            _vm.Resume();
            return true;
        }
        catch (InvalidOperationException) when (HasEnded)
        {
            return false;
        }
    }

    /// <summary>Ends the VM's run (gdb's <c>k</c>): <see cref="VirtualMachine.WaitForExit"/> reports a requested stop.</summary>
    public void EndRun() => _vm.Stop();

    /// <summary>Removes every breakpoint and watchpoint, ends guest debugging in KVM and lets the guest run on.</summary>
    public void Detach()
    {
        lock (_lock)
        {
            RemoveAllBreakpoints();
            _steppingVcpu = -1;
            if (!HasEnded)
            {
                ApplyDebugState();
            }

            _vm.Debugger = null;
        }

        if (_vm.State == VmState.Paused)
        {
            try
            {
                _vm.Resume();
            }
            catch (InvalidOperationException) when (HasEnded)
            {
                // The run ended meanwhile: nothing to let run.
            }
        }
    }

    /// <summary>
    /// Called on a vCPU thread for each exit while a debugger is attached: true when the exit was the debugger's (and
    /// the VM is stopping), false when it goes to the usual dispatch. Besides <c>KVM_EXIT_DEBUG</c>, an emulation
    /// failure at one of gdb's <c>int3</c>s is a breakpoint: where KVM runs guest ring 0 in its emulator (kvm_pvm), the
    /// emulator stops at <c>int3</c> instead of raising #BP.
    /// </summary>
    internal bool TryTakeExit(Vcpu vcpu, VcpuExit exit)
    {
        if (exit.Reason == KvmExitReason.Debug)
        {
            OnDebugExit(vcpu, exit.Run.Debug);
            return true;
        }

        if (exit.Reason != KvmExitReason.InternalError || exit.InternalSuberror != InternalErrorEmulation || Volatile.Read(ref _softwareCount) == 0)
        {
            return false;
        }

        KvmRegs regs = vcpu.Kvm.GetRegs();
        KvmSregs sregs = vcpu.Kvm.GetSregs();
        ulong pc = sregs.Cs.Base + regs.Rip;
        lock (_lock)
        {
            if (!_software.ContainsKey(pc))
            {
                pc &= 0xFFFF_FFFF; // outside long mode linear addresses wrap at 4 GiB
                if (!_software.ContainsKey(pc))
                {
                    return false;
                }
            }
        }

        OnDebugExit(vcpu, new KvmDebugExitArch { Exception = BreakpointVector, Pc = pc });
        return true;
    }

    private void OnDebugExit(Vcpu vcpu, in KvmDebugExitArch exit)
    {
        GuestStop stop;
        lock (_lock)
        {
            GdbStopKind kind = GdbStopKind.Trap;
            ulong address = 0;
            if (exit.Exception == BreakpointVector)
            {
                if (!_software.ContainsKey(exit.Pc))
                {
                    ReinjectBreakpoint(vcpu); // the guest's own int3 (Linux patches its text with them)
                    return;
                }

                kind = GdbStopKind.SoftwareBreakpoint;
            }
            else if (exit.Exception == DebugVector && (exit.Dr6 & Dr6SingleStep) == 0 && _hardware.Hit(exit.Dr6) is { } hit)
            {
                (kind, address) = hit.Type switch
                {
                    GdbBreakpointType.WriteWatchpoint => (GdbStopKind.WriteWatchpoint, hit.Address),
                    GdbBreakpointType.AccessWatchpoint => (GdbStopKind.AccessWatchpoint, hit.Address),
                    _ => (GdbStopKind.HardwareBreakpoint, 0UL),
                };
            }

            if (_stopTaken)
            {
                return; // another vCPU's stop, or Ctrl-C, came first; an int3 or instruction breakpoint hits again on resume
            }

            _stopTaken = true;
            stop = new GuestStop(vcpu.Id, kind, address, _generation);
        }

        _vm.BreakIn();
        _onStop(stop);
    }

    /// <summary>Reads vCPU <paramref name="vcpu"/>'s registers (the VM must be stopped).</summary>
    public X86RegisterFile ReadRegisters(int vcpu)
    {
        KvmVcpu kvm = _vm.Vcpus[vcpu].Kvm;
        return new X86RegisterFile { Regs = kvm.GetRegs(), Sregs = kvm.GetSregs(), Fpu = kvm.GetFpu() };
    }

    /// <summary>Writes back what changed from <see cref="ReadRegisters"/> (the VM must be stopped).</summary>
    public void WriteRegisters(int vcpu, in X86RegisterFile file)
    {
        KvmVcpu kvm = _vm.Vcpus[vcpu].Kvm;
        X86RegisterFile now = ReadRegisters(vcpu);
        if (!Same(now.Regs, file.Regs))
        {
            kvm.SetRegs(file.Regs);
        }

        if (!Same(now.Sregs, file.Sregs))
        {
            kvm.SetSregs(file.Sregs);
        }

        if (!Same(now.Fpu, file.Fpu))
        {
            kvm.SetFpu(file.Fpu);
        }
    }

    /// <summary>
    /// Reads guest memory at linear address <paramref name="address"/> as vCPU <paramref name="vcpu"/> sees it
    /// (<see cref="LinearMemory.Read"/>); returns the bytes read.
    /// </summary>
    public int ReadMemory(int vcpu, ulong address, Span<byte> into) => _memory.Read(vcpu, address, into);

    /// <summary>Writes guest memory at a linear address, as <see cref="ReadMemory"/> reads it; returns the bytes written.</summary>
    public int WriteMemory(int vcpu, ulong address, ReadOnlySpan<byte> data) => _memory.Write(vcpu, address, data);

    /// <summary>
    /// Inserts a gdb breakpoint or watchpoint (a <c>Z</c> packet). A software breakpoint at an address no page maps yet
    /// (a kernel's high addresses before it turns paging on) goes where the kernel's ELF segments put that address,
    /// or, outside them (a bzImage places itself), into a debug register, which works on linear addresses. Returns null when the type is not supported (<see cref="GdbBreakpointType.ReadWatchpoint"/>), false
    /// when it cannot be inserted.
    /// </summary>
    public bool? InsertBreakpoint(int vcpu, GdbBreakpointType type, ulong address, int kind)
    {
        if (type == GdbBreakpointType.ReadWatchpoint)
        {
            return null;
        }

        lock (_lock)
        {
            if (type != GdbBreakpointType.Software)
            {
                return _hardware.Add(type, address, kind);
            }

            if (_software.ContainsKey(address))
            {
                return true;
            }

            // Unmapped now (a kernel's virtual address before it turns paging on): where the kernel's ELF says that
            // address lives, else a debug register.
            GuestAddress? at = _memory.Translate(vcpu, address) ?? _memory.KernelSegmentAddress(address);
            if (at is not { } physical || !_vm.Memory.Contains(physical, 1))
            {
                return _hardware.Add(GdbBreakpointType.Hardware, address, 1);
            }

            Span<byte> code = _vm.Memory.GetSpan(physical, 1);
            _software[address] = (physical.Value, code[0]);
            Volatile.Write(ref _softwareCount, _software.Count);
            code[0] = Int3;
            return true;
        }
    }

    /// <summary>Removes a breakpoint or watchpoint (a <c>z</c> packet); false when there was none.</summary>
    public bool RemoveBreakpoint(GdbBreakpointType type, ulong address, int kind)
    {
        lock (_lock)
        {
            if (type != GdbBreakpointType.Software)
            {
                return _hardware.Remove(type, address, kind);
            }

            if (_software.Remove(address, out var bp))
            {
                Volatile.Write(ref _softwareCount, _software.Count);
                _vm.Memory.GetSpan(new GuestAddress(bp.Physical), 1)[0] = bp.Original;
                return true;
            }

            return _hardware.Remove(GdbBreakpointType.Hardware, address, 1);
        }
    }

    private void RemoveAllBreakpoints()
    {
        foreach ((ulong physical, byte original) in _software.Values)
        {
            _vm.Memory.GetSpan(new GuestAddress(physical), 1)[0] = original;
        }

        _software.Clear();
        Volatile.Write(ref _softwareCount, 0);
        _hardware.Clear();
    }

    // Under _lock, with every vCPU parked.
    private void ApplyDebugState()
    {
        foreach (Vcpu vcpu in _vm.Vcpus)
        {
            uint control = 0;
            if (_software.Count > 0)
            {
                control |= GuestDebugUseSoftwareBp;
            }

            if (!_hardware.IsEmpty)
            {
                control |= GuestDebugUseHardwareBp;
            }

            if (vcpu.Id == _steppingVcpu)
            {
                // Without BLOCKIRQ a step taken with a timer interrupt pending lands in the interrupt handler.
                control |= GuestDebugSingleStep | (_canBlockIrqs ? GuestDebugBlockIrq : 0);
            }

            var debug = new KvmGuestDebug { Control = control == 0 ? 0 : control | GuestDebugEnable };
            // The struct as 9 quadwords: control and padding, then DR0-DR7.
            Span<ulong> words = MemoryMarshal.Cast<KvmGuestDebug, ulong>(MemoryMarshal.CreateSpan(ref debug, 1));
            for (int i = 0; i < HardwareBreakpointSlots.Count; i++)
            {
                words[1 + i] = _hardware.Address(i);
            }

            words[1 + 7] = _hardware.Dr7;
            vcpu.Kvm.SetGuestDebug(debug);
        }
    }

    // The guest's own int3 while KVM sends every #BP here: hand it back as the exception it was (KVM keeps the
    // instruction's length for this, api.rst KVM_SET_GUEST_DEBUG).
    private static void ReinjectBreakpoint(Vcpu vcpu)
    {
        KvmVcpuEvents events = vcpu.Kvm.GetVcpuEvents();
        events.ExceptionInjected = 1;
        events.ExceptionNr = (byte)BreakpointVector;
        events.ExceptionHasErrorCode = 0;
        events.ExceptionErrorCode = 0;
        vcpu.Kvm.SetVcpuEvents(events);
    }

    private static bool Same<T>(in T a, in T b) where T : unmanaged =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in a)).SequenceEqual(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in b)));
}
