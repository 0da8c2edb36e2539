namespace SharpVmm.Configuration;

/// <summary>The rules for <see cref="VmConfig.Balloon"/>; each broken one names the field.</summary>
internal static class BalloonConfigValidator
{
    public static void Validate(BalloonConfig? balloon, MachineConfig machine)
    {
        if (balloon is null)
        {
            return;
        }

        if (balloon.AmountMib < 0)
        {
            throw new VmConfigurationException("balloon.amount_mib", $"must not be negative (got {balloon.AmountMib})");
        }

        if ((ulong)balloon.AmountMib > machine.MemSizeMib)
        {
            throw new VmConfigurationException("balloon.amount_mib",
                $"{balloon.AmountMib} MiB is more than the guest's memory (machine-config.mem_size_mib {machine.MemSizeMib})");
        }

        if (balloon.StatsPollingIntervalSeconds < 0)
        {
            throw new VmConfigurationException("balloon.stats_polling_interval_s", $"must not be negative (got {balloon.StatsPollingIntervalSeconds})");
        }

        if (balloon.FreePageHinting)
        {
            throw new VmConfigurationException("balloon.free_page_hinting", "free page hinting is not supported by SharpVmm; leave it false");
        }

        if (balloon.FreePageReporting)
        {
            throw new VmConfigurationException("balloon.free_page_reporting", "free page reporting is not supported by SharpVmm; leave it false");
        }
    }
}
