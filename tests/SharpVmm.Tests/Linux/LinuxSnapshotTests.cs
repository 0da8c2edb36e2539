using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SharpVmm.Boot.Initramfs;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Linux;

/// <summary>
/// Snapshot and restore of a Linux guest at work: its /init mounts an ext4 data disk, counts in a shell loop (the
/// counter lives in guest memory) and runs a shell on the serial port. The guest is paused and snapshotted through
/// Firecracker's API (<c>PATCH /vm</c>, <c>PUT /snapshot/create</c>), its VMM killed with SIGKILL, and the snapshot
/// restored with <c>sharpvmm restore</c> in new processes, whose stdin is the guest's serial port: the count goes on
/// unbroken, the shell answers, and files written after the restore reach the disk each process was given.
/// </summary>
[Tier(TestTiers.Linux)]
[Collection(LinuxGuestCollection.Name)]
public partial class LinuxSnapshotTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    /// <summary>Ticks wanted after a restore before the test goes on, to show the count goes on.</summary>
    private const int TicksAfterRestore = 3;

    private const string Init = """
        #!/bin/sh
        mount -t proc proc /proc
        mount -t sysfs sysfs /sys
        mount -t devtmpfs devtmpfs /dev
        mkdir /data
        mount -t ext4 /dev/vda /data && echo "data disk mounted"
        (i=0; while true; do i=$((i+1)); echo "tick <$i>"; sleep 0.2; done) &
        setsid cttyhack sh
        reboot -f
        """;

    /// <summary>A snapshot taken by <see cref="SnapshotCountingGuest"/>, and what its VMM printed before it was killed.</summary>
    private sealed record TakenSnapshot(string StatePath, string MemoryPath, string DiskPath, string Console, int LastTick);

    [Fact]
    public void A_guest_snapshotted_mid_count_and_killed_goes_on_counting_answers_its_shell_and_writes_its_disk_in_a_new_process()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        TakenSnapshot snapshot = SnapshotCountingGuest(dir);

        using var restored = FirecrackerProcess.StartRestore(snapshot.StatePath, snapshot.MemoryPath, ["--id", "restored"]);
        restored.WaitForConsole($"tick <{snapshot.LastTick + TicksAfterRestore}>", Limit);
        restored.TypeOnSerial("echo answer-$((6*7))\n");
        restored.WaitForConsole("answer-42", Limit);
        restored.TypeOnSerial("echo written-after-restore > /data/after-restore.txt && sync && umount /data && echo unmounted-$((5+5)); reboot -f\n");
        int exit = restored.WaitForExit(Limit);

        Assert.True(exit == 0, $"exit code {exit}, expected 0 (the guest's reboot)\n{restored.Describe()}");
        Assert.Contains(GuestEnding.KeyboardControllerReset, restored.Stderr, StringComparison.Ordinal);
        Assert.True(restored.Stdout.Contains("unmounted-10", StringComparison.Ordinal), $"the guest did not sync and unmount its disk\n{restored.Describe()}");
        AssertCountGoesOn(snapshot, restored);
        Assert.Equal("written-after-restore\n", Encoding.ASCII.GetString(Ext4Image.ReadFile(snapshot.DiskPath, "/after-restore.txt")));
    }

    [Fact]
    public void Two_clones_of_one_snapshot_run_side_by_side_and_each_writes_only_to_its_own_copy_of_the_disk()
    {
        KvmTestEnvironment.RequireKvm();
        GuestKernel.RequireGuestUserMode();
        using var dir = new TempDirectory();
        TakenSnapshot snapshot = SnapshotCountingGuest(dir);
        string[] names = ["clone-a", "clone-b"];
        string[] disks = [.. names.Select(n => dir.File($"{n}.ext4"))];
        foreach (string disk in disks)
        {
            File.Copy(snapshot.DiskPath, disk);
        }

        using var a = FirecrackerProcess.StartRestore(snapshot.StatePath, snapshot.MemoryPath, ["--id", names[0], "--drive-override", $"data={disks[0]}"]);
        using var b = FirecrackerProcess.StartRestore(snapshot.StatePath, snapshot.MemoryPath, ["--id", names[1], "--drive-override", $"data={disks[1]}"]);
        FirecrackerProcess[] clones = [a, b];
        foreach (FirecrackerProcess clone in clones)
        {
            clone.WaitForConsole($"tick <{snapshot.LastTick + TicksAfterRestore}>", Limit);
        }

        Assert.True(!a.HasExited && !b.HasExited, $"both clones should be running\n{a.Describe()}\n{b.Describe()}");
        for (int i = 0; i < clones.Length; i++)
        {
            clones[i].TypeOnSerial($"echo from-{names[i]} > /data/{names[i]}.txt && sync && umount /data && echo {names[i]}-synced-$((3*3)); reboot -f\n");
        }

        for (int i = 0; i < clones.Length; i++)
        {
            int exit = clones[i].WaitForExit(Limit);
            Assert.True(exit == 0, $"{names[i]}: exit code {exit}, expected 0 (the guest's reboot)\n{clones[i].Describe()}");
            Assert.Contains(GuestEnding.KeyboardControllerReset, clones[i].Stderr, StringComparison.Ordinal);
            Assert.True(clones[i].Stdout.Contains($"{names[i]}-synced-9", StringComparison.Ordinal), $"{names[i]} did not sync and unmount its disk\n{clones[i].Describe()}");
            AssertCountGoesOn(snapshot, clones[i]);
        }

        for (int i = 0; i < clones.Length; i++)
        {
            Assert.Equal($"from-{names[i]}\n", Encoding.ASCII.GetString(Ext4Image.ReadFile(disks[i], $"/{names[i]}.txt")));
            IReadOnlyList<string> files = Ext4Image.ListDirectory(disks[i], "/");
            Assert.DoesNotContain($"{names[1 - i]}.txt", files);
        }

        IReadOnlyList<string> original = Ext4Image.ListDirectory(snapshot.DiskPath, "/");
        Assert.DoesNotContain("clone-a.txt", original);
        Assert.DoesNotContain("clone-b.txt", original);
    }

    /// <summary>
    /// Boots the counting guest through the API with a new ext4 image as its data disk, lets it count a little,
    /// pauses it, snapshots it (Full) and kills its VMM with SIGKILL.
    /// </summary>
    private static TakenSnapshot SnapshotCountingGuest(TempDirectory dir)
    {
        string image = dir.File("data.ext4");
        Ext4Image.Create(image, 16);
        string initrd = dir.File("initrd.cpio"), state = dir.File("vm.snap"), memory = dir.File("vm.mem");
        File.WriteAllBytes(initrd, new BusyboxInitramfs { InitScript = Init }.ToArray());
        using var fc = FirecrackerProcess.Start(dir, id: "snapshot-source");
        fc.StartLinuxGuest(initrd, image);
        fc.WaitForConsole("data disk mounted", Limit);
        fc.WaitForConsole("tick <5>", Limit);

        fc.Expect(204, "PATCH", "/vm", """{ "state": "Paused" }""");
        fc.Expect(204, "PUT", "/snapshot/create", $$"""{ "snapshot_path": "{{state}}", "mem_file_path": "{{memory}}", "snapshot_type": "Full" }""");
        fc.KillNow();

        string console = fc.Stdout;
        int[] ticks = Ticks(console);
        Assert.True(ticks.Length >= 5, $"the guest counted to {ticks.Length} before the snapshot, expected 5 or more\n{fc.Describe()}");
        return new TakenSnapshot(state, memory, image, console, ticks[^1]);
    }

    /// <summary>
    /// The ticks the snapshotted VMM printed, followed by the restored one's, form one unbroken count from 1 (the pause
    /// may have split a line between the two: line ends are taken out before the ticks are read), and the restored one
    /// printed at least <see cref="TicksAfterRestore"/> of them.
    /// </summary>
    private static void AssertCountGoesOn(TakenSnapshot snapshot, FirecrackerProcess restored)
    {
        int[] count = Ticks((snapshot.Console + restored.Stdout).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
        string why = $"the count before the snapshot (to {snapshot.LastTick}) and after it: {string.Join(' ', count)}\n{restored.Describe()}";
        Assert.True(count.SequenceEqual(Enumerable.Range(1, count.Length)), $"the count is broken: {why}");
        Assert.True(count.Length >= snapshot.LastTick + TicksAfterRestore, $"the restored guest did not go on counting: {why}");
    }

    private static int[] Ticks(string console) =>
        [.. TickPattern().Matches(console).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"tick <(\d+)>")]
    private static partial Regex TickPattern();
}
