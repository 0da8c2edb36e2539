namespace SharpVmm;

// Releasing a VM: the vCPUs, the devices, then memory and the KVM descriptors, in an order no thread can outlive.
public sealed partial class VirtualMachine
{
    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (Volatile.Read(ref _running) > 0)
        {
            Finish(new VmRunResult(VmStopReason.StopRequested, null, "disposed while running", null, ExitCount));
        }

        // Guest memory and kvm_run mappings go away only after every vCPU thread has left KVM_RUN for good. A thread
        // that never joins (stuck in a device) keeps them, and the VM and KVM descriptors, alive: a leak, never a
        // use-after-unmap. The devices are released all the same (their threads stop, their files close): a stuck
        // vCPU that touches one afterwards gets an exception, which ends that thread's run, not the process.
        bool joined = JoinAll();
        IoBus.PublishedRegistersChanged -= OnPortBusChanged;
        IoBus.RangesChanged -= OnPortBusChanged;
        _coalesced?.Dispose(); // its timer stops and the ring is emptied before the vCPU mapping it lives in goes
        if (joined)
        {
            foreach (Vcpu vcpu in _vcpus)
            {
                vcpu.Dispose();
            }
        }

        // Devices stop their own threads before the memory those threads write is unmapped.
        for (int i = Devices.Owned.Count - 1; i >= 0; i--)
        {
            Devices.Owned[i].Dispose();
        }

        if (!joined)
        {
            RetainedAfterDispose = true;
            return;
        }

        Devices.CloseInterruptLines();

        _vm.Dispose();
        Memory.Dispose();
        _kvm.Dispose();
        _finished.Dispose();
    }
}
