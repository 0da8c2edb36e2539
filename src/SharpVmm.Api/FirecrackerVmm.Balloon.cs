using SharpVmm.Configuration;
using SharpVmm.Devices.Virtio.Balloon;

namespace SharpVmm.Api;

// Firecracker's balloon operations: /balloon and /balloon/statistics.
public sealed partial class FirecrackerVmm
{
    /// <summary>The answer when no balloon is configured.</summary>
    public const string NoBalloon = "No balloon device is configured.";

    /// <summary><c>PUT /balloon</c>, before start: adds or replaces the balloon.</summary>
    public void PutBalloon(BalloonConfig balloon) => Change(c => c with { Balloon = balloon });

    /// <summary><c>GET /balloon</c>: the balloon's configuration (with the target as last set).</summary>
    public BalloonConfig GetBalloon() => CurrentConfig().Balloon ?? throw new ApiRequestException(NoBalloon);

    /// <summary><c>PATCH /balloon</c>: a new target; after start the running device takes it and tells the guest.</summary>
    public void PatchBalloon(BalloonUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        UpdateBalloon(b => b with { AmountMib = update.AmountMib }, (device, _) => device.SetTarget((uint)update.AmountMib));
    }

    /// <summary>
    /// <c>PATCH /balloon/statistics</c>: a new polling interval. Before start any interval; after start, as in
    /// Firecracker, statistics cannot be turned on or off, only a non-zero interval changed to another.
    /// </summary>
    public void PatchBalloonStatistics(BalloonStatsUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        int seconds = update.StatsPollingIntervalSeconds;
        UpdateBalloon(b => b with { StatsPollingIntervalSeconds = seconds }, (device, old) =>
        {
            if ((old.StatsPollingIntervalSeconds == 0) != (seconds == 0))
            {
                throw new ApiRequestException("Balloon statistics cannot be turned on or off after the microVM has started.");
            }

            device.SetStatsPollingInterval(seconds);
        });
    }

    /// <summary><c>GET /balloon/statistics</c>, after start with statistics on: the target, the size and the guest's statistics.</summary>
    public BalloonStatistics GetBalloonStatistics()
    {
        lock (_lock)
        {
            BalloonConfig balloon = _config.Balloon ?? throw new ApiRequestException(NoBalloon);
            if (balloon.StatsPollingIntervalSeconds == 0)
            {
                throw new ApiRequestException("Balloon statistics are not enabled (stats_polling_interval_s is 0).");
            }

            VirtioBalloonDevice device = (_vm ?? throw new ApiRequestException(NotBeforeStart)).Balloon
                ?? throw new ApiRequestException(NoBalloon);
            return BalloonStatistics.From(device.GetStatistics());
        }
    }

    /// <summary>Changes the configured balloon; after start also the running device, once the new configuration checks out.</summary>
    private void UpdateBalloon(Func<BalloonConfig, BalloonConfig> change, Action<VirtioBalloonDevice, BalloonConfig> apply)
    {
        lock (_lock)
        {
            BalloonConfig old = _config.Balloon ?? throw new ApiRequestException(NoBalloon);
            if (_vm is null)
            {
                Change(c => c with { Balloon = change(old) });
                return;
            }

            VmConfig next = _config with { Balloon = change(old) };
            try
            {
                next.Validate(checkHostResources: false, requireBootSource: false);
            }
            catch (VmConfigurationException ex)
            {
                throw new ApiRequestException(ex.Message);
            }

            apply(_vm.Balloon ?? throw new ApiRequestException(NoBalloon), old);
            _config = next;
        }
    }
}
