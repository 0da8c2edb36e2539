using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>An open <c>/dev/kvm</c>: the system-level KVM handle that creates VMs.</summary>
public sealed unsafe class KvmSystem : IDisposable
{
    /// <summary>The only KVM API version there has ever been.</summary>
    public const int ExpectedApiVersion = 12;

    /// <summary>The usual device path.</summary>
    public const string DefaultDevicePath = "/dev/kvm";

    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd, string devicePath)
    {
        _fd = fd;
        DevicePath = devicePath;
        VcpuMmapSize = Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.GetVcpuMmapSize, 0), "KVM_GET_VCPU_MMAP_SIZE");
        if (VcpuMmapSize < KvmRun.Size)
        {
            throw new KvmException("KVM_GET_VCPU_MMAP_SIZE", 0, $"KVM_GET_VCPU_MMAP_SIZE returned {VcpuMmapSize}, smaller than struct kvm_run ({KvmRun.Size} bytes)");
        }
    }

    /// <summary>The device path that was opened.</summary>
    public string DevicePath { get; }

    /// <summary>Bytes to mmap from each vCPU descriptor (kvm_run plus the PIO data page and more).</summary>
    public int VcpuMmapSize { get; }

    /// <summary>
    /// Opens the KVM device and checks its API version.
    /// </summary>
    /// <exception cref="KvmUnavailableException">The device is missing, not accessible, or not KVM.</exception>
    public static KvmSystem Open(string devicePath = DefaultDevicePath)
    {
        FileDescriptor? handle = FileDescriptor.TryOpen(devicePath, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (handle is null)
        {
            int errno = Errno.Last();
            string why = errno switch
            {
                Errno.ENOENT => $"{devicePath} does not exist: this host has no KVM (load kvm_intel/kvm_amd, or enable nested virtualization)",
                Errno.EACCES or Errno.EPERM => $"permission denied opening {devicePath}: run as a member of the 'kvm' group or as root",
                _ => $"cannot open {devicePath}: {Errno.Message(errno)}",
            };
            throw new KvmUnavailableException(devicePath, errno, why);
        }

        int version = Libc.Ioctl(handle.Fd, KvmIoctl.GetApiVersion, 0);
        if (version != ExpectedApiVersion)
        {
            int errno = version < 0 ? Errno.Last() : 0;
            handle.Dispose();
            string why = version < 0
                ? $"{devicePath} is not a KVM device: KVM_GET_API_VERSION failed: {Errno.Message(errno)}"
                : $"{devicePath} speaks KVM API version {version}, SharpVmm needs {ExpectedApiVersion}";
            throw new KvmUnavailableException(devicePath, errno, why);
        }

        try
        {
            return new KvmSystem(handle, devicePath);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Returns the <c>KVM_CHECK_EXTENSION</c> value for <paramref name="cap"/> (0 when absent).</summary>
    public int CheckExtension(KvmCap cap) => Math.Max(0, Libc.Ioctl(_fd.Fd, KvmIoctl.CheckExtension, (nint)cap));

    /// <summary>Creates a VM (<c>KVM_CREATE_VM</c>, machine type 0).</summary>
    public KvmVm CreateVm()
    {
        int fd = Checked(Libc.Ioctl(_fd.Fd, KvmIoctl.CreateVm, 0), "KVM_CREATE_VM");
        return new KvmVm(new FileDescriptor(fd), this);
    }

    /// <summary>Returns the CPUID leaves KVM can expose (<c>KVM_GET_SUPPORTED_CPUID</c>).</summary>
    public KvmCpuidEntry2[] GetSupportedCpuid() =>
        KvmIoctlTransfer.ReadCpuid(_fd.Fd, KvmIoctl.GetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID");

    /// <summary>
    /// The MSRs KVM can save and restore for a vCPU (<c>KVM_GET_MSR_INDEX_LIST</c>): the host's architectural ones it
    /// passes on and those it emulates. Which of them a given vCPU can read depends on its CPUID (probe with
    /// <see cref="KvmVcpu.GetMsrsUntilRefused"/>).
    /// </summary>
    public uint[] GetMsrIndexList()
    {
        // The first call, with no room, fails with E2BIG and says how many there are; the list can only grow between the
        // two calls if a module is reloaded, so the loop asks again then.
        var header = new KvmMsrList();
        while (true)
        {
            // SAFETY: header is a local that outlives the synchronous ioctl; with Nmsrs = 0 KVM writes only the header.
            if (Libc.Ioctl(_fd.Fd, KvmIoctl.GetMsrIndexList, &header) == 0)
            {
                return [];
            }

            int errno = Errno.Last();
            if (errno != Errno.E2BIG)
            {
                throw new KvmException("KVM_GET_MSR_INDEX_LIST", errno);
            }

            uint count = header.Nmsrs;
            // SAFETY: the buffer is zeroed, holds the header and count indices, and is freed after the synchronous ioctl.
            byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)(sizeof(KvmMsrList) + (count * sizeof(uint))));
            try
            {
                ((KvmMsrList*)buffer)->Nmsrs = count;
                if (Libc.Ioctl(_fd.Fd, KvmIoctl.GetMsrIndexList, buffer) == 0)
                {
                    // SAFETY: KVM wrote Nmsrs (at most count) indices right after the header in our buffer.
                    return new ReadOnlySpan<uint>(buffer + sizeof(KvmMsrList), (int)((KvmMsrList*)buffer)->Nmsrs).ToArray();
                }

                if (Errno.Last() != Errno.E2BIG)
                {
                    throw KvmException.FromLastError("KVM_GET_MSR_INDEX_LIST");
                }

                header.Nmsrs = 0;
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();

    internal static int Checked(int result, string operation) =>
        result < 0 ? throw KvmException.FromLastError(operation) : result;
}
