using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// The project's small guest kernel (guests/linux/build-kernel.sh), found through SHARPVMM_GUEST_KERNEL_DIR, which
/// ./run-tests sets after building it. A Linux boot test without it fails and says how to get it.
/// </summary>
public static class GuestKernel
{
    public const string DirectoryVariable = "SHARPVMM_GUEST_KERNEL_DIR";

    /// <summary>Kernel parameters every test boot uses: serial console, reboot (ends the VMM) on panic, no delays.</summary>
    public const string BaseCommandLine = "console=ttyS0 reboot=k panic=-1 lpj=1000000 tsc=reliable";

    public static string BzImage => Require("bzImage");

    public static string Vmlinux => Require("vmlinux");

    /// <summary>True on a kvm_pvm host: guest user mode cannot run there (see ARCHITECTURE.md).</summary>
    public static bool UserModeUnavailable => KvmTestEnvironment.IsPvmHost;

    /// <summary>Skips a test that needs guest user mode on a host that cannot run it, saying why.</summary>
    public static void RequireGuestUserMode()
    {
        if (UserModeUnavailable)
        {
            Assert.Skip("this host's KVM is kvm_pvm (no hardware virtualization): guest user mode cannot run here, so /init never runs");
        }
    }

    private static string Require(string file)
    {
        string? dir = Environment.GetEnvironmentVariable(DirectoryVariable);
        if (string.IsNullOrEmpty(dir))
        {
            Assert.Fail($"{DirectoryVariable} is not set: build the guest kernel with guests/linux/build-kernel.sh and set it to the folder it prints (./run-tests does both).");
        }

        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} is missing: rebuild the guest kernel with guests/linux/build-kernel.sh.");
        }

        return path;
    }
}
