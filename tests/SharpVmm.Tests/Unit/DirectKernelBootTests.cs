using SharpVmm.Boot;
using SharpVmm.Platform;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

[Tier(TestTiers.Unit)]
public class DirectKernelBootTests
{
    [Fact]
    public void A_bzimage_is_detected_by_its_setup_header()
    {
        byte[] image = new BzImageBuilder().Build();

        Assert.Equal(KernelFormat.BzImage, DirectKernelBoot.DetectFormat(image, "k"));
        Assert.Equal(KernelFormat.BzImage, DirectKernelBoot.Inspect(image, "k"));
    }

    [Fact]
    public void An_elf_kernel_is_started_through_its_pvh_note()
    {
        byte[] image = new ElfBuilder().Build();

        Assert.Equal(KernelFormat.Pvh, DirectKernelBoot.DetectFormat(image, "vmlinux"));
        Assert.Equal(KernelFormat.Pvh, DirectKernelBoot.Inspect(image, "vmlinux"));
    }

    [Fact]
    public void An_elf_kernel_without_the_pvh_note_is_refused_before_any_vm_exists()
    {
        byte[] image = new ElfBuilder { IncludePvhNote = false }.Build();

        var ex = Assert.Throws<BootImageException>(() => DirectKernelBoot.Inspect(image, "vmlinux"));
        Assert.Equal(BootImageError.NoPvhEntryPoint, ex.Error);
    }

    [Fact]
    public void A_flat_multiboot_kernel_is_detected_by_its_header()
    {
        byte[] image = new MultibootImageBuilder().BuildFlat();

        Assert.Equal(KernelFormat.Multiboot, DirectKernelBoot.Inspect(image, "kernel.bin"));
    }

    [Fact]
    public void An_elf_with_a_multiboot_header_and_no_pvh_note_is_a_multiboot_kernel()
    {
        byte[] image = MultibootImageBuilder.ForElf().BuildElf();

        Assert.Equal(KernelFormat.Multiboot, DirectKernelBoot.Inspect(image, "kernel.elf"));
    }

    [Fact]
    public void A_multiboot_kernel_with_a_bad_checksum_is_refused()
    {
        byte[] image = new MultibootImageBuilder { Checksum = 0x1234 }.BuildFlat();

        var ex = Assert.Throws<BootImageException>(() => DirectKernelBoot.Inspect(image, "kernel.bin"));
        Assert.Contains("kernel.bin", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_of_no_known_format_names_what_was_checked()
    {
        byte[] junk = new byte[4096];
        junk.AsSpan().Fill(0x90);

        var ex = Assert.Throws<BootImageException>(() => DirectKernelBoot.Inspect(junk, "junk.bin"));

        Assert.Equal(BootImageError.Unsupported, ex.Error);
        Assert.StartsWith("junk.bin: not a kernel image SharpVmm can boot", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bzImage", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PVH", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Multiboot", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forced_format_is_checked_against_the_file()
    {
        byte[] elf = new ElfBuilder().Build();

        Assert.Throws<BootImageException>(() => DirectKernelBoot.Inspect(elf, "vmlinux", KernelFormat.BzImage));
    }

    [Fact]
    public void A_32_bit_only_bzimage_is_refused()
    {
        byte[] image = new BzImageBuilder { XLoadFlags = 0 }.Build();

        Assert.Throws<BootImageException>(() => DirectKernelBoot.Inspect(image, "old-bzImage"));
    }

    [Fact]
    public void Host_workarounds_come_first_and_the_user_command_line_is_kept_whole()
    {
        string line = DirectKernelBoot.CommandLineFor("console=ttyS0 root=/dev/vda");

        Assert.EndsWith("console=ttyS0 root=/dev/vda", line, StringComparison.Ordinal);
        Assert.Equal(DirectKernelBoot.HostEmulatesGuestKernel, line.StartsWith("noxsave nosmap", StringComparison.Ordinal));
        Assert.Equal(DirectKernelBoot.HostWorkaroundParameters, DirectKernelBoot.CommandLineFor(""));
    }
}
