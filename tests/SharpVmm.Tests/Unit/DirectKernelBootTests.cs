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

    [Theory]
    [InlineData(KernelFormat.BzImage)]
    [InlineData(KernelFormat.Pvh)]
    public void A_linux_kernel_on_a_pvm_host_gets_the_workarounds_first_and_the_user_command_line_whole(KernelFormat format)
    {
        string line = DirectKernelBoot.CommandLineFor("console=ttyS0 root=/dev/vda", format, hostEmulatesGuestKernel: true);

        Assert.Equal("noxsave nosmap clearcpuid=137,141,151,308 cryptomgr.notests=1 initcall_blacklist=ptp_kvm_init module_blacklist=ptp_kvm " +
            "console=ttyS0 root=/dev/vda", line);
        Assert.Equal(DirectKernelBoot.PvmLinuxWorkaroundParameters, DirectKernelBoot.CommandLineFor("", format, hostEmulatesGuestKernel: true));
    }

    [Theory]
    [InlineData(KernelFormat.BzImage)]
    [InlineData(KernelFormat.Pvh)]
    public void A_linux_kernel_on_a_host_with_hardware_virtualization_gets_exactly_its_command_line(KernelFormat format)
    {
        Assert.Equal("console=ttyS0 root=/dev/vda", DirectKernelBoot.CommandLineFor("console=ttyS0 root=/dev/vda", format, hostEmulatesGuestKernel: false));
        Assert.Equal("", DirectKernelBoot.CommandLineFor("", format, hostEmulatesGuestKernel: false));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_multiboot_kernel_gets_exactly_its_command_line_on_every_host(bool hostEmulatesGuestKernel)
    {
        Assert.Equal("mem=128 cpus=2 exit=debug", DirectKernelBoot.CommandLineFor("mem=128 cpus=2 exit=debug", KernelFormat.Multiboot, hostEmulatesGuestKernel));
        Assert.Equal("", DirectKernelBoot.CommandLineFor("", KernelFormat.Multiboot, hostEmulatesGuestKernel));
    }

    [Fact]
    public void Workarounds_cannot_be_chosen_before_the_kernel_format_is_known()
    {
        Assert.Throws<ArgumentException>(() => DirectKernelBoot.CommandLineFor("console=ttyS0", KernelFormat.Auto, hostEmulatesGuestKernel: true));
    }

    [Fact]
    public void This_hosts_command_line_for_a_linux_kernel_follows_its_kind()
    {
        string expected = DirectKernelBoot.HostEmulatesGuestKernel ? DirectKernelBoot.PvmLinuxWorkaroundParameters + " console=ttyS0" : "console=ttyS0";

        Assert.Equal(expected, DirectKernelBoot.CommandLineFor("console=ttyS0", KernelFormat.Pvh));
        Assert.Equal("console=ttyS0", DirectKernelBoot.CommandLineFor("console=ttyS0", KernelFormat.Multiboot));
    }
}
