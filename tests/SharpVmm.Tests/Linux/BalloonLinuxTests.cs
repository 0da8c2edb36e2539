using System.Globalization;
using System.Text.Json;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// The guest kernel's virtio-balloon driver, driven through the API as Firecracker's users drive it: the guest first
/// touches almost all its memory and frees it again, so the VMM holds it; inflating the balloon by half the guest's
/// memory (<c>PATCH /balloon</c>) must give at least 80 % of that back to the host, and the guest's statistics come
/// back through <c>GET /balloon/statistics</c>. The fill runs in guest user mode.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public class BalloonLinuxTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private const int GuestMib = 256, InflateMib = GuestMib / 2;

    // Fills a tmpfs with all but 24 MiB of the free memory, deletes the file (the pages stay in the VMM), says so.
    private const string Init = """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t devtmpfs devtmpfs /dev
        echo 1 > /proc/sys/kernel/ctrl-alt-del
        mount -t tmpfs -o size=90% tmpfs /mnt
        set -- $(grep MemFree /proc/meminfo)
        dd if=/dev/zero of=/mnt/fill bs=1M count=$(( $2 / 1024 - 24 )) 2>/dev/null
        rm /mnt/fill
        echo "guest-filled-and-freed $(grep MemFree /proc/meminfo)"
        while true; do sleep 1; done
        """;

    [Fact]
    public void Inflating_the_balloon_by_half_the_guest_memory_gives_at_least_80_percent_of_it_back_to_the_host()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        string initrd = dir.File("initrd.cpio");
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = Init }.ToArray());
        using var fc = FirecrackerProcess.Start(dir, id: "balloon");
        fc.Expect(204, "PUT", "/machine-config", $$"""{ "vcpu_count": 1, "mem_size_mib": {{GuestMib}} }""");
        fc.Expect(204, "PUT", "/boot-source",
            $$"""{ "kernel_image_path": "{{GuestKernel.Vmlinux}}", "initrd_path": "{{initrd}}", "boot_args": "{{GuestKernel.BaseCommandLine}}" }""");
        fc.Expect(204, "PUT", "/balloon", """{ "amount_mib": 0, "deflate_on_oom": false, "stats_polling_interval_s": 1 }""");
        fc.Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");
        fc.WaitForConsole("guest-filled-and-freed", Limit);
        long before = ResidentBytes(fc.Pid);

        fc.Expect(204, "PATCH", "/balloon", $$"""{ "amount_mib": {{InflateMib}} }""");
        JsonElement stats = WaitForStatistics(fc, s => s.GetProperty("actual_mib").GetInt32() >= InflateMib, "the balloon to reach its target");
        long after = ResidentBytes(fc.Pid);

        long returned = before - after;
        Assert.True(returned >= 0.8 * (InflateMib << 20),
            $"the VMM's RSS went from {before >> 20} MiB to {after >> 20} MiB: {returned >> 20} MiB returned for a {InflateMib} MiB balloon\n{fc.Describe()}");
        Assert.Equal(InflateMib, stats.GetProperty("target_mib").GetInt32());
        Assert.Equal(InflateMib * 256, stats.GetProperty("target_pages").GetInt32());
        // The guest's own figures, through the statistics queue. Without deflate_on_oom Linux takes the balloon's pages
        // out of its total memory, so total_memory is the guest's RAM less the kernel's own and less the balloon.
        // The statistics come every second, so the first ones may predate the inflation: wait for a set that shows it.
        stats = WaitForStatistics(fc, s => s.TryGetProperty("total_memory", out JsonElement t) && t.GetInt64() <= (long)(GuestMib - InflateMib) << 20,
            "statistics taken after the inflation");
        long total = stats.GetProperty("total_memory").GetInt64();
        Assert.True(total >= (GuestMib - InflateMib - 64L) << 20, $"statistics: {stats}");
        long free = stats.GetProperty("free_memory").GetInt64();
        Assert.True(free > 0 && free < total, $"statistics: {stats}");

        fc.Expect(204, "PUT", "/actions", """{ "action_type": "SendCtrlAltDel" }""");
        Assert.Equal(0, fc.WaitForExit(Limit));
    }

    private static JsonElement WaitForStatistics(FirecrackerProcess fc, Func<JsonElement, bool> done, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            JsonElement stats = fc.Expect(200, "GET", "/balloon/statistics").Json;
            if (done(stats))
            {
                return stats;
            }

            Assert.True(clock.Elapsed < Limit, $"waited {Limit} for {what}; last statistics: {stats}\n{fc.Describe()}");
            Thread.Sleep(500);
        }
    }

    private static long ResidentBytes(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
