using System.Runtime.InteropServices;
using SharpVmm.Kvm.Structs;
using SharpVmm.Sys;

namespace SharpVmm.Kvm;

/// <summary>The ioctls that move one fixed-size <c>&lt;linux/kvm.h&gt;</c> struct in or out of a KVM descriptor.</summary>
internal static unsafe class KvmIoctlTransfer
{
    /// <summary>Fills a <typeparamref name="T"/> from the kernel (an <c>_IOR</c> request).</summary>
    internal static T Read<T>(int fd, uint request, string name) where T : unmanaged
    {
        T value = default;
        // SAFETY: value is a local T that outlives the synchronous ioctl; request's size is sizeof(T) (KvmIoctl).
        KvmSystem.Checked(Libc.Ioctl(fd, request, &value), name);
        return value;
    }

    /// <summary>Hands a <typeparamref name="T"/> to the kernel (an <c>_IOW</c> request).</summary>
    internal static void Write<T>(int fd, uint request, in T value, string name) where T : unmanaged
    {
        // SAFETY: fixed pins value for the synchronous ioctl, which only reads sizeof(T) bytes (request's size).
        fixed (T* p = &value)
        {
            KvmSystem.Checked(Libc.Ioctl(fd, request, p), name);
        }
    }

    /// <summary>Hands a <typeparamref name="T"/> to the kernel, which writes its answer into it (an <c>_IOWR</c> request).</summary>
    internal static void Exchange<T>(int fd, uint request, ref T value, string name) where T : unmanaged
    {
        // SAFETY: fixed pins value for the synchronous ioctl, which reads and writes only sizeof(T) bytes of it.
        fixed (T* p = &value)
        {
            KvmSystem.Checked(Libc.Ioctl(fd, request, p), name);
        }
    }

    /// <summary>
    /// Reads a <c>struct kvm_cpuid2</c> list (<c>KVM_GET_SUPPORTED_CPUID</c> on /dev/kvm, <c>KVM_GET_CPUID2</c> on a
    /// vCPU), with room for KVM_MAX_CPUID_ENTRIES (256) first and more while KVM answers E2BIG.
    /// </summary>
    internal static KvmCpuidEntry2[] ReadCpuid(int fd, uint request, string name)
    {
        for (int capacity = 256; ; capacity *= 2)
        {
            int bytes = sizeof(KvmCpuid2) + capacity * sizeof(KvmCpuidEntry2);
            // SAFETY: the buffer is zeroed, holds the header and capacity entries, and is freed after the synchronous ioctl.
            byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
            try
            {
                ((KvmCpuid2*)buffer)->Nent = (uint)capacity;
                if (Libc.Ioctl(fd, request, buffer) < 0)
                {
                    int errno = Errno.Last();
                    if (errno == Errno.E2BIG && capacity < 4096)
                    {
                        continue;
                    }

                    throw new KvmException(name, errno);
                }

                // SAFETY: KVM wrote Nent entries (at most capacity) right after the header in our buffer.
                return new ReadOnlySpan<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2), (int)((KvmCpuid2*)buffer)->Nent).ToArray();
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }
}
