using System.Runtime.InteropServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>io</c> member of the kvm_run exit union.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmRunIo
{
    /// <summary><c>KVM_EXIT_IO_IN</c> (0) or <c>KVM_EXIT_IO_OUT</c> (1).</summary>
    public byte Direction;
    /// <summary>Access size in bytes: 1, 2 or 4.</summary>
    public byte Size;
    /// <summary>I/O port.</summary>
    public ushort Port;
    /// <summary>Repeat count (greater than 1 for string I/O).</summary>
    public uint Count;
    /// <summary>Offset of the data buffer from the start of kvm_run.</summary>
    public ulong DataOffset;
}
