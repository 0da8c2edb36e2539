using L = SharpVmm.Devices.Virtio.Pci.VirtioPciLayout;

namespace SharpVmm.Devices.Virtio.Pci;

// Saving and restoring the transport's guest-visible state (VirtioPciState).
public sealed partial class VirtioPciDevice
{
    /// <summary>
    /// The function's state and, for an active device, its queue positions. Call with the VM paused (vCPUs parked and
    /// the device's workers paused).
    /// </summary>
    /// <exception cref="DeviceStateException">The device is active but cannot report its queue positions.</exception>
    public VirtioPciState SaveState()
    {
        lock (_lock)
        {
            return new VirtioPciState
            {
                Config = _config.SaveState(),
                Msix = Msix.SaveState(),
                MsixConfigVector = (ushort)Volatile.Read(ref _msixConfig),
                Isr = IsrStatus,
                Transport = _state.SaveState(),
            };
        }
    }

    /// <summary>
    /// Puts a freshly built function in <paramref name="state"/>, before the vCPUs run. The configuration space is
    /// applied first, so <see cref="BarRelocated"/> and <see cref="NotifyRegionMoved"/> fire for the BARs the guest had
    /// placed (the bus maps them, the VMM moves its ioeventfds); then MSI-X (its <see cref="SharpVmm.Devices.Pci.MsixVectors.VectorChanged"/>
    /// fires with -1), the ISR and INTx level, and last the transport state: a device the driver had started is
    /// activated again with its queues at their saved positions, and its worker starts.
    /// </summary>
    /// <exception cref="DeviceStateException">A field is invalid; nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The function was used since it was made.</exception>
    public void RestoreState(VirtioPciState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string d = $"virtio-pci {_device.DeviceType}".ToLowerInvariant();
        var config = DeviceStateException.Present(state.Config, d, nameof(state.Config));
        var msix = DeviceStateException.Present(state.Msix, d, nameof(state.Msix));
        VirtioTransportSavedState transport = DeviceStateException.Present(state.Transport, d, nameof(state.Transport));
        lock (_lock)
        {
            _config.Validate(config, d);
            Msix.Validate(msix, d);
            _state.Validate(transport);
            DeviceStateException.Require((state.Isr & ~(L.IsrQueue | L.IsrConfig)) == 0, d, nameof(state.Isr), "has bits other than 0 and 1");
            DeviceStateException.Require(IsVector(state.MsixConfigVector), d, nameof(state.MsixConfigVector), $"is not below {Msix.Count}");
            for (int i = 0; i < transport.Queues.Count; i++)
            {
                DeviceStateException.Require(IsVector(transport.Queues[i].MsixVector), d, $"Transport.Queues[{i}].MsixVector", $"is not below {Msix.Count}");
            }

            _config.RestoreState(config, d);
            _intxDisabled = _config.InterruptDisabled;
            Msix.RestoreState(msix, d);
            Volatile.Write(ref _msixConfig, state.MsixConfigVector);
            lock (_interruptLock)
            {
                _isr = state.Isr;
                UpdateLineLocked();
            }

            _state.RestoreState(transport);
        }
    }

    private bool IsVector(ushort vector) => vector == VirtQueueConfig.NoVector || vector < Msix.Count;
}
