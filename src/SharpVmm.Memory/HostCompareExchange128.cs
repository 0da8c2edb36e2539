using System.Runtime.InteropServices;
using SharpVmm.Sys;

namespace SharpVmm.Memory;

/// <summary>
/// A 16-byte atomic compare-exchange on host memory, done by the host CPU's own <c>lock cmpxchg16b</c>: .NET has no
/// 128-bit <see cref="Interlocked"/>, and a guest's <c>cmpxchg16b</c> completed by the VMM must be atomic with respect
/// to the other vCPUs, which run natively on the same memory. The instruction lives in a tiny machine-code stub
/// (below) that is copied once into its own anonymous page, made read-only and executable (never writable and
/// executable at once), and called through an unmanaged function pointer: no JIT and no dynamic code, so it is
/// Native AOT clean. x86-64 System V only, which is the only ABI a KVM VMM on x86 runs under.
/// </summary>
public static unsafe class HostCompareExchange128
{
    /// <summary>
    /// <c>int stub(UInt128* location, UInt128* expected, ulong desiredLow, ulong desiredHigh)</c>:
    /// rdi = location, rsi = expected (in: the comparand; out: the value seen), rdx:rcx = the new value.
    /// Returns 1 in eax when it stored the new value (ZF set), else 0. Preserves rbx as the ABI requires.
    /// </summary>
    private static ReadOnlySpan<byte> Stub =>
    [
        0x53,                         // push rbx
        0x48, 0x89, 0xD3,             // mov rbx, rdx              ; new value, low half
                                      //                           ; rcx holds the high half already
        0x48, 0x8B, 0x06,             // mov rax, [rsi]            ; comparand, low half
        0x48, 0x8B, 0x56, 0x08,       // mov rdx, [rsi+8]          ; comparand, high half
        0xF0, 0x48, 0x0F, 0xC7, 0x0F, // lock cmpxchg16b [rdi]
        0x48, 0x89, 0x06,             // mov [rsi], rax            ; the value seen (the comparand when it matched)
        0x48, 0x89, 0x56, 0x08,       // mov [rsi+8], rdx
        0x0F, 0x94, 0xC0,             // sete al                   ; mov leaves ZF as cmpxchg16b set it
        0x0F, 0xB6, 0xC0,             // movzx eax, al
        0x5B,                         // pop rbx
        0xC3,                         // ret
    ];

    private static readonly Lazy<nint> Code = new(CreateStub, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The stub's machine code, for inspection (tests decode it).</summary>
    public static ReadOnlySpan<byte> MachineCode => Stub;

    /// <summary>
    /// Atomically compares the 16 bytes of <paramref name="location"/> with <paramref name="expected"/>; when equal,
    /// stores <paramref name="desired"/> there and returns true; otherwise leaves memory alone, sets
    /// <paramref name="expected"/> to the value found and returns false. On success <paramref name="expected"/> is
    /// unchanged (it equalled memory). The 16 bytes are read (and written) in one locked access.
    /// </summary>
    /// <param name="location">Exactly 16 bytes, 16-byte aligned (the CPU raises #GP otherwise, which would kill the process).</param>
    /// <param name="expected">In: the comparand. Out: the value the 16 bytes held.</param>
    /// <param name="desired">The value to store when they held the comparand.</param>
    /// <exception cref="ArgumentException"><paramref name="location"/> is not 16 bytes long or not 16-byte aligned.</exception>
    public static bool CompareExchange(Span<byte> location, ref UInt128 expected, UInt128 desired)
    {
        if (location.Length != 16)
        {
            throw new ArgumentException($"the location is {location.Length} bytes long, not 16", nameof(location));
        }

        var stub = (delegate* unmanaged<byte*, UInt128*, ulong, ulong, int>)Code.Value;
        UInt128 seen = expected;
        int stored;

        // SAFETY: fixed pins the span's memory (a no-op for native memory such as guest RAM) for the call, and the
        // alignment is checked on that pinned address. The stub is the fixed code above in a read-only executable
        // page that lives for the process; it touches only those 16 bytes and the local `seen`, and follows the
        // System V ABI that `delegate* unmanaged` uses on x86-64 Linux.
        fixed (byte* target = location)
        {
            if (((nuint)target & 15) != 0)
            {
                throw new ArgumentException($"0x{(nuint)target:x} is not a 16-byte aligned address", nameof(location));
            }

            stored = stub(target, &seen, (ulong)desired, (ulong)(desired >> 64));
        }

        expected = seen;
        return stored != 0;
    }

    private static nint CreateStub()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            throw new PlatformNotSupportedException("the cmpxchg16b stub is x86-64 Linux code");
        }

        try
        {
            return ExecutablePage.Create(Stub);
        }
        catch (SystemCallException e)
        {
            throw new InvalidOperationException($"cannot set up the cmpxchg16b stub: {e.Message}", e);
        }
    }
}
