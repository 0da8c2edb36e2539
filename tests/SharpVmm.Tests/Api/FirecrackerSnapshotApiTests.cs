using SharpVmm.Snapshot;
using SharpVmm.Tests.Kvm.Snapshot;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Api;

/// <summary>
/// <c>PUT /snapshot/create</c> and <c>PUT /snapshot/load</c> through curl, as Firecracker's snapshot documentation
/// drives them: a guest paused, snapshotted, its VMM killed with SIGKILL and loaded in a new process; clones of one
/// snapshot side by side, each on its own disk; and damaged snapshot files refused with the VMM left fresh.
/// </summary>
[Tier(TestTiers.KvmFast)]
public class FirecrackerSnapshotApiTests
{

    [Fact]
    public void A_counting_guest_snapshotted_and_killed_goes_on_from_the_next_value_in_a_new_process()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string before = SnapshotAndKill(dir, CountingOutput.CounterGuestConfig, "vm", lines: 5);

        using var restored = FirecrackerProcess.Start(dir, id: "restored", socketPath: dir.File("restored.sock"));
        restored.Expect(204, "PUT", "/snapshot/load", Load(dir, "vm", resume: true));
        Assert.Equal("Running", restored.Expect(200, "GET", "/").String("state"));
        CountingOutput.WaitForLines(() => before + restored.Stdout, CountingOutput.Values(before).Count + 5, restored.Describe);

        CountingOutput.AssertContinues(before, restored.Stdout);
    }

    [Fact]
    public void The_test_kernel_snapshotted_and_killed_goes_on_counting_and_reading_its_disk_in_a_new_process()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        string before = SnapshotAndKill(dir, TestKernelConfig(disk), "tk", lines: 3);

        using var restored = FirecrackerProcess.Start(dir, id: "restored", socketPath: dir.File("restored.sock"));
        restored.Expect(204, "PUT", "/snapshot/load", Load(dir, "tk", resume: false));
        Assert.Equal("Paused", restored.Expect(200, "GET", "/").String("state"));
        WriteSector0(disk, "RESTORED");
        restored.Expect(204, "PATCH", "/vm", """{ "state": "Resumed" }""");
        CountingOutput.WaitFor(() => restored.Stdout, "disk RESTORED", restored.Describe);
        CountingOutput.WaitForLines(() => before + restored.Stdout, CountingOutput.Values(before).Count + 5, restored.Describe);

        CountingOutput.AssertContinues(before, restored.Stdout);
    }

    [Fact]
    public void Two_clones_of_one_snapshot_run_side_by_side_each_reading_its_own_disk()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string disk = dir.File("disk.img");
        File.WriteAllBytes(disk, new byte[1 << 20]);
        SnapshotAndKill(dir, TestKernelConfig(disk), "tk", lines: 2);
        string diskA = dir.File("a.img"), diskB = dir.File("b.img");
        File.Copy(disk, diskA);
        File.Copy(disk, diskB);
        WriteSector0(diskA, "CLONE--A");
        WriteSector0(diskB, "CLONE--B");

        using var a = FirecrackerProcess.Start(dir, id: "a", socketPath: dir.File("a.sock"));
        using var b = FirecrackerProcess.Start(dir, id: "b", socketPath: dir.File("b.sock"));
        a.Expect(204, "PUT", "/snapshot/load", Load(dir, "tk", resume: true, $$"""[{ "drive_id": "disk", "path_on_host": "{{diskA}}" }]"""));
        b.Expect(204, "PUT", "/snapshot/load", Load(dir, "tk", resume: true, $$"""[{ "drive_id": "disk", "path_on_host": "{{diskB}}" }]"""));
        CountingOutput.WaitFor(() => a.Stdout, "disk CLONE--A", a.Describe);
        CountingOutput.WaitFor(() => b.Stdout, "disk CLONE--B", b.Describe);

        Assert.Equal("Running", a.Expect(200, "GET", "/").String("state"));
        Assert.Equal("Running", b.Expect(200, "GET", "/").String("state"));
        Assert.DoesNotContain("CLONE--B", a.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("CLONE--A", b.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("corrupted", "corrupted")]
    [InlineData("other-version", "format version 7")]
    [InlineData("short-memory", "bytes of memory")]
    [InlineData("not-a-snapshot", "not a SharpVmm snapshot file")]
    public void A_damaged_snapshot_is_refused_saying_how_and_the_vmm_stays_fresh_for_a_good_one(string damage, string reason)
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        SnapshotAndKill(dir, CountingOutput.CounterGuestConfig, "vm", lines: 2);
        string state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        File.Copy(state, dir.File("bad.snap"));
        File.Copy(memory, dir.File("bad.mem"));
        Damage(dir.File("bad.snap"), dir.File("bad.mem"), damage);

        using var fc = FirecrackerProcess.Start(dir, id: "fresh", socketPath: dir.File("fresh.sock"));
        ApiResponse refused = fc.Expect(400, "PUT", "/snapshot/load", Load(dir, "bad", resume: true));

        Assert.Contains(reason, refused.FaultMessage, StringComparison.Ordinal);
        Assert.Equal("Not started", fc.Expect(200, "GET", "/").String("state"));
        Assert.DoesNotContain("\n", fc.Stdout.TrimEnd('\n'), StringComparison.Ordinal); // the damaged guest never ran
        fc.Expect(204, "PUT", "/snapshot/load", Load(dir, "vm", resume: true));
        Assert.Equal("Running", fc.Expect(200, "GET", "/").String("state"));
    }

    [Fact]
    public void A_snapshot_is_only_taken_of_a_paused_vm_and_only_loaded_into_a_fresh_vmm()
    {
        KvmTestEnvironment.RequireKvm();
        using var dir = new TempDirectory();
        string config = dir.File("vm.json");
        File.WriteAllText(config, CountingOutput.CounterGuestConfig);
        using var fc = FirecrackerProcess.Start(dir, id: "running", extra: ["--config-file", config]);

        ApiResponse running = fc.Expect(400, "PUT", "/snapshot/create", Create(dir, "x"));
        ApiResponse loaded = fc.Expect(400, "PUT", "/snapshot/load", Load(dir, "x", resume: true));
        using var configured = FirecrackerProcess.Start(dir, id: "configured", socketPath: dir.File("configured.sock"));
        configured.Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 1, "mem_size_mib": 64 }""");
        ApiResponse afterConfig = configured.Expect(400, "PUT", "/snapshot/load", Load(dir, "x", resume: true));

        Assert.Contains("pause it first", running.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("after starting", loaded.FaultMessage, StringComparison.Ordinal);
        Assert.Contains("after configuring", afterConfig.FaultMessage, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.File("x.snap")), "a refused snapshot left a file");
    }

    /// <summary>Starts <paramref name="config"/>, waits for <paramref name="lines"/> counter lines, pauses, snapshots to NAME.snap/NAME.mem, SIGKILLs; returns what it printed.</summary>
    private static string SnapshotAndKill(TempDirectory dir, string config, string name, int lines)
    {
        string file = dir.File(name + ".json");
        File.WriteAllText(file, config);
        using var fc = FirecrackerProcess.Start(dir, id: name, extra: ["--config-file", file], socketPath: dir.File(name + ".sock"));
        CountingOutput.WaitForLines(() => fc.Stdout, lines, fc.Describe);
        fc.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
        fc.Expect(204, "PUT", "/snapshot/create", Create(dir, name));
        fc.KillNow();
        string printed = fc.Stdout; // after the kill: the reader has reached the pipe's end, so every byte the paused VM wrote is here
        Assert.True(File.Exists(dir.File(name + ".snap")) && File.Exists(dir.File(name + ".mem")), $"no snapshot files\n{fc.Describe()}");
        return printed;
    }

    private static string TestKernelConfig(string disk) => $$"""
        {
          "machine-config": { "vcpu_count": 2, "mem_size_mib": 128, "virtio_transport": "mmio" },
          "boot-source": { "kernel_image_path": "{{TestKernel.Path}}", "boot_args": "mem=128 cpus=2 blk=rw exit=count" },
          "drives": [ { "drive_id": "disk", "path_on_host": "{{disk}}", "is_root_device": false, "is_read_only": false } ]
        }
        """;

    private static string Create(TempDirectory dir, string name) =>
        $$"""{ "snapshot_type": "Full", "snapshot_path": "{{dir.File(name + ".snap")}}", "mem_file_path": "{{dir.File(name + ".mem")}}" }""";

    private static string Load(TempDirectory dir, string name, bool resume, string? driveOverrides = null) =>
        $$"""{ "snapshot_path": "{{dir.File(name + ".snap")}}", "mem_backend": { "backend_type": "File", "backend_path": "{{dir.File(name + ".mem")}}" }, "resume_vm": {{(resume ? "true" : "false")}}{{(driveOverrides is null ? "" : $", \"drive_overrides\": {driveOverrides}")}} }""";

    private static void WriteSector0(string disk, string eight)
    {
        using var image = new FileStream(disk, FileMode.Open, FileAccess.Write);
        image.Write(System.Text.Encoding.ASCII.GetBytes(eight));
    }

    private static void Damage(string state, string memory, string how)
    {
        byte[] bytes = File.ReadAllBytes(state);
        switch (how)
        {
            case "truncated":
                File.WriteAllBytes(state, bytes[..(bytes.Length / 2)]);
                break;
            case "corrupted":
                bytes[bytes.Length / 2] ^= 0x01;
                File.WriteAllBytes(state, bytes);
                break;
            case "other-version":
                bytes[8] = 7;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 8), Crc64.Compute(bytes.AsSpan(0, bytes.Length - 8)));
                File.WriteAllBytes(state, bytes);
                break;
            case "short-memory":
                using (var file = new FileStream(memory, FileMode.Open, FileAccess.Write))
                {
                    file.SetLength(file.Length - 4096);
                }

                break;
            default:
                File.WriteAllText(state, """{ "vcpus": [] }""");
                break;
        }
    }
}
