using System.Diagnostics;
using System.Text.Json;
using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// A drive's rate limiter on a running guest, through Firecracker's API: the test kernel with <c>exit=count</c> reads
/// sector 0 of its disk on every 20 ms tick and prints a line after each read, so with an operations bucket of one
/// request a second the lines come at most one a second. Only lower bounds on time are asserted.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerApiRateLimiterTests
{
    private const string OneReadASecond = """{ "ops": { "size": 1, "refill_time": 1000 } }""";
    private const string TenReadsRefilledOneInTwoSeconds = """{ "ops": { "size": 10, "refill_time": 20000 } }""";

    [Fact]
    public void A_drive_limited_to_one_request_a_second_slows_the_guests_disk_reads_to_that_rate()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCountingGuest(dir, OneReadASecond);

        TimeSpan fourReads = TimeFor(fc, lines: 4);

        Assert.True(fourReads >= TimeSpan.FromSeconds(3), $"4 disk reads took {fourReads.TotalSeconds:F2} s through a bucket of 1 request a second\n{fc.Describe()}");
        JsonElement ops = fc.Expect(200, "GET", "/vm/config").Json.GetProperty("drives")[0].GetProperty("rate_limiter").GetProperty("ops");
        Assert.Equal((1, 1000), (ops.GetProperty("size").GetInt32(), ops.GetProperty("refill_time").GetInt32()));
        Assert.DoesNotContain("FAIL", fc.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_limit_patched_onto_a_running_drive_takes_effect_at_once_and_a_zero_bucket_lifts_it()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCountingGuest(dir, limiter: null);
        CountingOutput.WaitForLines(() => fc.Stdout, 3, fc.Describe);

        fc.Expect(204, "PATCH", "/drives/disk", $$"""{ "drive_id": "disk", "rate_limiter": {{OneReadASecond}} }""");
        // The new bucket starts full, and lines of reads made before the patch may still be on their way: time the
        // reads from one that had to wait for its token.
        WaitForAReadThatWaitedForItsToken(fc, TimeSpan.FromSeconds(1));
        TimeSpan fourReads = TimeFor(fc, lines: 4);

        Assert.True(fourReads >= TimeSpan.FromSeconds(3), $"4 disk reads took {fourReads.TotalSeconds:F2} s after the patch\n{fc.Describe()}");
        fc.Expect(204, "PATCH", "/drives/disk", """{ "drive_id": "disk", "rate_limiter": { "ops": { "size": 0, "refill_time": 0 } } }""");
        JsonElement limiter = fc.Expect(200, "GET", "/vm/config").Json.GetProperty("drives")[0].GetProperty("rate_limiter");
        Assert.Equal(0, limiter.GetProperty("ops").GetProperty("size").GetInt32());
        CountingOutput.WaitForLines(() => fc.Stdout, CountingOutput.Values(fc.Stdout).Count + 3, fc.Describe);
        Assert.DoesNotContain("FAIL", fc.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Patches_with_a_bad_bucket_or_an_unknown_device_are_refused_and_change_nothing()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        using FirecrackerProcess fc = StartCountingGuest(dir, OneReadASecond);

        ApiResponse negative = fc.Expect(400, "PATCH", "/drives/disk", """{ "drive_id": "disk", "rate_limiter": { "ops": { "size": -1, "refill_time": 10 } } }""");
        ApiResponse unknownField = fc.Expect(400, "PATCH", "/drives/disk", """{ "drive_id": "disk", "rate_limiter": { "ops": { "size": 1, "refill_time": 10, "burst": 1 } } }""");
        ApiResponse noDrive = fc.Expect(400, "PATCH", "/drives/other", """{ "drive_id": "other", "rate_limiter": { "ops": { "size": 1, "refill_time": 10 } } }""");
        ApiResponse noInterface = fc.Expect(400, "PATCH", "/network-interfaces/eth9", """{ "iface_id": "eth9", "tx_rate_limiter": { "ops": { "size": 1, "refill_time": 10 } } }""");

        Assert.Contains("rate_limiter.ops.size", negative.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("burst", unknownField.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("no drive 'other'", noDrive.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("no interface 'eth9'", noInterface.FaultMessage, StringComparison.Ordinal);
        JsonElement ops = fc.Expect(200, "GET", "/vm/config").Json.GetProperty("drives")[0].GetProperty("rate_limiter").GetProperty("ops");
        Assert.Equal(1000, ops.GetProperty("refill_time").GetInt32());
    }

    [Fact]
    public void A_restored_drive_keeps_the_tokens_its_bucket_had_left_when_it_was_snapshotted()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        // Ten requests, refilled at one every two seconds (the test kernel gives a request five). The guest, which
        // reads on every 20 ms tick, spends them at once and then reads as the tokens come; the snapshot is taken
        // right after a read that had to wait for its token, so the bucket is empty then, whatever the host's speed.
        // Restored full, it would pay for ten reads at once.
        using (FirecrackerProcess source = StartCountingGuest(dir, TenReadsRefilledOneInTwoSeconds))
        {
            CountingOutput.WaitForLines(() => source.Stdout, 7, source.Describe); // the disk check's three and seven reads
            WaitForAReadThatWaitedForItsToken(source, TimeSpan.FromSeconds(2));
            source.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
            source.Expect(204, "PUT", "/snapshot/create", $$"""{ "snapshot_type": "Full", "snapshot_path": "{{state}}", "mem_file_path": "{{memory}}" }""");
            source.KillNow();
        }

        using var restored = FirecrackerProcess.Start(dir, id: "restored", socketPath: dir.File("restored.sock"));
        restored.Expect(204, "PUT", "/snapshot/load", $$"""{ "snapshot_path": "{{state}}", "mem_backend": { "backend_type": "File", "backend_path": "{{memory}}" }, "resume_vm": true }""");
        Thread.Sleep(TimeSpan.FromSeconds(2.5));

        // A token refilled in the 2.5 s, one for the read seen late, the read the pause caught waiting, and two for the
        // refill between the save and the restore steps on a slow host (the bucket refills by the wall clock, as
        // Firecracker's does). A bucket restored full gives ten, and at least eight on the slowest nested host seen.
        int early = CountingOutput.Values(restored.Stdout).Count;
        Assert.True(early <= 6, $"{early} reads within 2.5 s of the restore: the bucket was restored full\n{restored.Describe()}");
        CountingOutput.WaitForLines(() => restored.Stdout, early + 2, restored.Describe); // and the guest reads on
        Assert.DoesNotContain("FAIL", restored.Stdout, StringComparison.Ordinal);
    }

    private static FirecrackerProcess StartCountingGuest(TempDirectory dir, string? limiter)
    {
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        string file = dir.File("vm.json");
        File.WriteAllText(file, $$"""
            {
              "machine-config": { "vcpu_count": 2, "mem_size_mib": 128, "virtio_transport": "mmio" },
              "boot-source": { "kernel_image_path": "{{TestKernel.Path}}", "boot_args": "mem=128 cpus=2 blk=rw exit=count" },
              "drives": [ { "drive_id": "disk", "path_on_host": "{{disk}}", "is_root_device": false, "is_read_only": false{{(limiter is null ? "" : $", \"rate_limiter\": {limiter}")}} } ]
            }
            """);
        return FirecrackerProcess.Start(dir, id: "rate", extra: ["--config-file", file]);
    }

    // Waits for a counted read that came 60 % of a token's refill time or more after the one before: a guest that reads
    // every 20 ms waits that long only for a token, so the bucket has just been emptied.
    private static void WaitForAReadThatWaitedForItsToken(FirecrackerProcess fc, TimeSpan tokenEvery)
    {
        var clock = Stopwatch.StartNew();
        int count = CountingOutput.Values(fc.Stdout).Count;
        TimeSpan last = clock.Elapsed;
        while (true)
        {
            Thread.Sleep(20);
            int now = CountingOutput.Values(fc.Stdout).Count;
            if (now != count)
            {
                if (clock.Elapsed - last >= tokenEvery * 0.6)
                {
                    return;
                }

                (count, last) = (now, clock.Elapsed);
            }

            Assert.True(clock.Elapsed < CountingOutput.Patience, $"no read waited for its token within {CountingOutput.Patience}\n{fc.Describe()}");
        }
    }

    // From the next counter line the guest prints to the one lines later: each line follows one disk read.
    private static TimeSpan TimeFor(FirecrackerProcess fc, int lines)
    {
        int seen = CountingOutput.Values(fc.Stdout).Count;
        CountingOutput.WaitForLines(() => fc.Stdout, seen + 1, fc.Describe);
        var clock = Stopwatch.StartNew();
        CountingOutput.WaitForLines(() => fc.Stdout, seen + 1 + lines, fc.Describe);
        return clock.Elapsed;
    }
}
