using L = SharpVmm.Devices.Virtio.Pci.VirtioPciLayout;

namespace SharpVmm.Devices.Virtio.Pci;

// How the device reaches the driver (virtio 1.2, 4.1.4.5 and 4.1.5.1.2): with MSI-X enabled a queue's or the
// configuration's vector, otherwise the ISR status bits and the level INTx line, lowered when the driver reads the ISR.
public sealed partial class VirtioPciDevice
{
    /// <inheritdoc/>
    public void SignalUsedBuffers(int queueIndex)
    {
        if ((uint)queueIndex >= (uint)_state.Queues.Count)
        {
            return;
        }

        if (Msix.Enabled)
        {
            ushort vector = _state.Queues[queueIndex].MsixVector;
            if (vector != VirtQueueConfig.NoVector)
            {
                Msix.Signal(vector);
            }

            return;
        }

        AssertIsr(L.IsrQueue);
    }

    /// <inheritdoc/>
    public void SignalConfigChange() => _state.SignalConfigChange();

    /// <inheritdoc/>
    public void SetNeedsReset() => _state.SetNeedsReset();

    // A configuration change interrupt: the MSI-X config vector, or the ISR bit and INTx.
    private void RaiseConfigInterrupt()
    {
        if (Msix.Enabled)
        {
            ushort vector = (ushort)Volatile.Read(ref _msixConfig);
            if (vector != VirtQueueConfig.NoVector)
            {
                Msix.Signal(vector);
            }

            return;
        }

        AssertIsr(L.IsrConfig);
    }

    // On a device reset: no config vector, ISR and INTx clear.
    private void ResetInterrupts()
    {
        Volatile.Write(ref _msixConfig, VirtQueueConfig.NoVector);
        ClearIsr();
    }

    private void AssertIsr(byte bit)
    {
        lock (_interruptLock)
        {
            _isr |= bit;
            UpdateLineLocked();
        }
    }

    private byte ReadAndClearIsr()
    {
        lock (_interruptLock)
        {
            byte isr = (byte)_isr;
            _isr = 0;
            UpdateLineLocked();
            return isr;
        }
    }

    private void ClearIsr()
    {
        lock (_interruptLock)
        {
            _isr = 0;
            UpdateLineLocked();
        }
    }

    private void UpdateLineLocked()
    {
        bool high = _isr != 0 && !_intxDisabled;
        if (high != _lineHigh)
        {
            _lineHigh = high;
            _intx.SetLevel(high);
        }
    }
}
