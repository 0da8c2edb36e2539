using SharpVmm.Devices.Bus;
using SharpVmm.Devices.Virtio.Mmio;
using SharpVmm.Devices.Virtio.Pci;

namespace SharpVmm.Tests.Unit.Pci;

/// <summary>
/// Random writes a driver could make, each to a register that matters, with values that are mostly plausible: status
/// steps, VERSION_1 in the second feature word, feature words, queue selection, power-of-two sizes, enables and notifications. Mixed
/// into random accesses, they take a transport through its negotiation and activation paths, which random bytes at
/// random offsets almost never reach.
/// </summary>
internal static class DriverLikeWrites
{
    private static readonly uint[] Statuses = [0, 1, 3, 0xB, 0xB, 0xF, 0xF, 0x7, 0x4F, 0x80];

    // What a driver of the fuzzed device would accept in each feature word: mostly part of what it offers (bit 5,
    // INDIRECT_DESC and EVENT_IDX; VERSION_1), sometimes anything.
    private static uint FeatureWord(Random random, int word) => random.Next(4) == 0
        ? (uint)random.Next()
        : word == 0 ? (uint)random.Next() & 0x3000_0020u : 1u;

    /// <summary>One such write to a virtio-mmio window; returns what it was.</summary>
    public static string Mmio(Random random, IBusDevice mmio)
    {
        (int offset, uint value) = random.Next(9) switch
        {
            0 or 1 => (VirtioMmioRegister.Status, Pick(random, Statuses)),
            2 or 3 => (-1, 0u),
            4 => (VirtioMmioRegister.QueueSel, (uint)random.Next(0, 3)),
            5 => (VirtioMmioRegister.QueueNum, random.Next(4) == 0 ? (uint)random.Next(0, 1000) : 1u << random.Next(0, 10)),
            6 => (VirtioMmioRegister.QueueReady, (uint)random.Next(0, 2)),
            7 => (VirtioMmioRegister.QueueNotify, (uint)random.Next(0, 3)),
            _ => (VirtioMmioRegister.QueueDescLow + (0x10 * random.Next(0, 3)), (uint)random.Next(0, 0x10_0000) & ~0xFu),
        };
        if (offset < 0)
        {
            uint low = FeatureWord(random, 0), high = FeatureWord(random, 1);
            mmio.Write(VirtioMmioRegister.DriverFeaturesSel, BitConverter.GetBytes(0u));
            mmio.Write(VirtioMmioRegister.DriverFeatures, BitConverter.GetBytes(low));
            mmio.Write(VirtioMmioRegister.DriverFeaturesSel, BitConverter.GetBytes(1u));
            mmio.Write(VirtioMmioRegister.DriverFeatures, BitConverter.GetBytes(high));
            return $"driver-like feature writes of 0x{high:x}_{low:x8}";
        }

        mmio.Write((ulong)offset, BitConverter.GetBytes(value));
        return $"a driver-like write of 0x{value:x} at 0x{offset:x}";
    }

    /// <summary>One such write to a virtio-pci function's BAR 0 (common configuration and notifications).</summary>
    public static string Pci(Random random, IBusDevice bar0)
    {
        (ulong offset, int size, ulong value) = random.Next(9) switch
        {
            0 or 1 => (0x14UL, 1, (ulong)Pick(random, Statuses)),                                   // device_status
            2 or 3 => (ulong.MaxValue, 0, 0UL),                                                      // the feature words
            4 => (0x16UL, 2, (ulong)random.Next(0, 3)),                                              // queue_select
            5 => (0x18UL, 2, random.Next(4) == 0 ? (ulong)random.Next(0, 1000) : 1UL << random.Next(0, 10)), // queue_size
            6 => (0x1CUL, 2, (ulong)random.Next(0, 2)),                                              // queue_enable
            7 => (VirtioPciLayout.NotifyOffset + ((ulong)random.Next(0, 3) * VirtioPciLayout.NotifyOffMultiplier), 2, (ulong)random.Next(0, 3)),
            _ => (0x20UL + (8UL * (ulong)random.Next(0, 3)), 8, (ulong)random.Next(0, 0x10_0000) & ~0xFUL), // queue_desc/driver/device
        };
        if (offset == ulong.MaxValue)
        {
            uint low = FeatureWord(random, 0), high = FeatureWord(random, 1);
            bar0.Write(0x08, BitConverter.GetBytes(0u)); // driver_feature_select
            bar0.Write(0x0C, BitConverter.GetBytes(low)); // driver_feature
            bar0.Write(0x08, BitConverter.GetBytes(1u));
            bar0.Write(0x0C, BitConverter.GetBytes(high));
            return $"driver-like feature writes of 0x{high:x}_{low:x8}";
        }

        bar0.Write(offset, BitConverter.GetBytes(value).AsSpan(0, size));
        return $"a driver-like {size}-byte write of 0x{value:x} at 0x{offset:x}";
    }

    private static uint Pick(Random random, uint[] values) => values[random.Next(values.Length)];
}
