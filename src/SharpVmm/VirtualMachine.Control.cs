namespace SharpVmm;

// The VM as its devices' IVmControl: the guest's own endings, and ACPI S3.
public sealed partial class VirtualMachine : IVmControl
{
    /// <summary>Whether the guest is suspended to RAM (ACPI S3): its vCPUs are parked, its memory and devices kept.</summary>
    public bool IsSuspended => Suspension.IsClosed;

    /// <summary>Times the guest woke from a suspend.</summary>
    public long Wakes => Interlocked.Read(ref _wakes);

    /// <summary>
    /// Suspends the guest (ACPI S3): every vCPU leaves <c>KVM_RUN</c> and its thread waits, using no CPU, until
    /// <see cref="WakeAtRealModeVector"/>; the VM, its memory and its devices stay as they are. The run goes on: a
    /// time limit or <see cref="Stop"/> still ends it. Callable from any thread, a vCPU's included (the guest's own write).
    /// </summary>
    public void Suspend()
    {
        if (_stopping || !Suspension.Close())
        {
            return;
        }

        foreach (Vcpu vcpu in _vcpus)
        {
            vcpu.Kick();
        }
    }

    /// <summary>The gdb stub's side of the VM, when one is attached (<see cref="Gdb.GuestDebugger"/>); its vCPUs hand it their debug exits.</summary>
    internal Gdb.GuestDebugger? Debugger { get; set; }

    /// <summary>The run's result once it has ended; null while it runs.</summary>
    internal VmRunResult? EndResult
    {
        get
        {
            lock (_stateLock)
            {
                return _result;
            }
        }
    }

    /// <summary>
    /// Starts a pause from a vCPU thread (a debug exit): closes the pause gate and kicks every vCPU, without waiting. The
    /// debugger's own thread completes it with <see cref="Pause"/>, which waits for every vCPU to park.
    /// </summary>
    internal void BreakIn()
    {
        if (_stopping)
        {
            return;
        }

        PauseGate.Close();
        foreach (Vcpu vcpu in _vcpus)
        {
            vcpu.Kick();
        }
    }

    /// <summary>
    /// Wakes a suspended guest as PC firmware does after S3: once every vCPU has parked, each is reset, the boot vCPU
    /// (0) starts in real mode at <paramref name="vector"/> (<c>vector &gt;&gt; 4 : vector &amp; 0xF</c>) and the others wait
    /// for INIT/SIPI. Returns false when the guest was not suspended or its vCPUs did not park within 10 seconds.
    /// </summary>
    public bool WakeAtRealModeVector(uint vector)
    {
        if (!IsSuspended)
        {
            return false;
        }

        bool woke = Suspension.Open(() => Volatile.Read(ref _running), () =>
        {
            foreach (Vcpu vcpu in _vcpus)
            {
                if (vcpu.Id == 0)
                {
                    X86.CpuReset.StartAtRealModeVector(vcpu.Kvm, vector, HasIrqchip);
                }
                else if (HasIrqchip)
                {
                    X86.CpuReset.WaitForStartup(vcpu.Kvm);
                }
            }

            // Counted before the vCPUs resume: a guest that ends the run from its wake code must find the wake counted.
            Interlocked.Increment(ref _wakes);
        }, JoinTimeout);

        return woke;
    }

    /// <summary>
    /// Ends the run because the guest asked the platform to reset (the keyboard controller's reset line, the ACPI
    /// reset register): <see cref="VmRunResult.Reason"/> is <see cref="VmStopReason.GuestReset"/>. Like
    /// Firecracker, this VMM does not reboot the guest: a reset ends the VM. Callable from any thread.
    /// </summary>
    public void RequestReset(string source) =>
        Finish(new VmRunResult(VmStopReason.GuestReset, null, $"guest requested a reset ({source})", null, ExitCount));

    /// <summary>Ends the run because the guest powered the machine off (e.g. ACPI S5). Callable from any thread.</summary>
    public void RequestPowerOff(string source) =>
        Finish(new VmRunResult(VmStopReason.GuestPowerOff, null, $"guest powered off ({source})", null, ExitCount));

    /// <summary>
    /// Ends the run because the guest asked the VMM to exit with <paramref name="status"/> (QEMU's isa-debug-exit:
    /// test kernels report pass or fail this way). Callable from any thread.
    /// </summary>
    public void RequestDebugExit(int status) =>
        Finish(new VmRunResult(VmStopReason.GuestDebugExit, null, $"guest requested exit status {status} (isa-debug-exit)", null, ExitCount,
            GuestExitStatus: status));
}
