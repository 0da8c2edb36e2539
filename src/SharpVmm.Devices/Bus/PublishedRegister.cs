using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
namespace SharpVmm.Devices.Bus;

/// <summary>
/// A one-byte register whose value its device publishes, so that the bus answers a read of it without calling the
/// device (<see cref="IPublishesRegisters"/>). A device publishes the value only while reading the register changes
/// nothing, and publishes it again, under its own lock, whenever the value may have changed. While a read would have
/// an effect (clearing a flag, taking a byte), the device withdraws the value and reads reach it as before. A UART's
/// line status, which a polling driver reads before every byte it prints, is what it is for: such a read then costs
/// the exit path a lookup instead of a call into the device and its lock.
/// </summary>
/// <remarks>
/// A register where writing back the value it holds changes nothing (<see cref="RewritesChangeNothing"/>) also lets
/// the bus drop such a write while the value is published (<see cref="IsRewrite"/>): a driver that saves a register,
/// clears it and restores it around work that did not touch it, as Linux's serial console does with the UART's
/// interrupt enables around every line it prints, then costs no call into the device either.
/// </remarks>
public sealed class PublishedRegister
{
    private const int Withdrawn = -1;

    // The value, or Withdrawn: in a pinned array, so that code outside the runtime can read it where it is
    // (ValueAddress). The pinned object heap keeps it in place and frees it with the register.
    private readonly int[] _cell = GC.AllocateArray<int>(1, pinned: true);
    private readonly Lock _mirrorLock = new();
    private nint[] _mirrors = []; // copies of the cell (MirrorTo); replaced, never changed, under _mirrorLock

    /// <summary>A register at <paramref name="offset"/> whose writes always reach the device.</summary>
    /// <param name="offset">The register's offset from its device's first address.</param>
    public PublishedRegister(ulong offset)
        : this(offset, rewritesChangeNothing: false)
    {
    }

    /// <summary>A register at <paramref name="offset"/>.</summary>
    /// <param name="offset">The register's offset from its device's first address.</param>
    /// <param name="rewritesChangeNothing">Whether writing the register's own value back to it has no effect at all in
    /// the device (no interrupt re-armed, no state changed), so that the bus may drop such a write.</param>
    public PublishedRegister(ulong offset, bool rewritesChangeNothing)
    {
        Offset = offset;
        RewritesChangeNothing = rewritesChangeNothing;
        _cell[0] = Withdrawn;
    }

    /// <summary>The register's offset from its device's first address.</summary>
    public ulong Offset { get; }

    /// <summary>Whether writing back the value the register holds changes nothing in the device.</summary>
    public bool RewritesChangeNothing { get; }

    /// <summary>Whether a value is published now.</summary>
    public bool IsPublished => Volatile.Read(ref _cell[0]) != Withdrawn;

    /// <summary>
    /// Where the register's 32-bit cell is: the published byte, or -1 while withdrawn. It stays there for the
    /// register's lifetime, so code that runs outside the runtime (a vCPU's run loop answering exits itself) may read
    /// it while it holds the register.
    /// </summary>
    public nint ValueAddress => System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(_cell, 0);

    /// <summary>Reads of the register answer <paramref name="value"/> until the next call.</summary>
    public void Publish(byte value) => Set(value);

    /// <summary>Reads of the register reach the device again.</summary>
    public void Withdraw() => Set(Withdrawn);

    /// <summary>
    /// Keeps a copy of the register's cell (<see cref="ValueAddress"/>) in the 32-bit cell at <paramref name="cell"/>
    /// from now on, for code outside the runtime that reads the value where it reads other things (a vCPU's run loop,
    /// from its own block). The cell must stay writable until <see cref="StopMirroring"/> has returned.
    /// </summary>
    /// <param name="cell">The address of the copy.</param>
    public void MirrorTo(nint cell)
    {
        lock (_mirrorLock)
        {
            Volatile.Write(ref _mirrors, [.. _mirrors, cell]);
            Interlocked.MemoryBarrier(); // the new list is seen by a Set whose value this does not see below
            Marshal.WriteInt32(cell, Volatile.Read(ref _cell[0]));
        }
    }

    /// <summary>Stops the copy <see cref="MirrorTo"/> began: once this returns, nothing writes to <paramref name="cell"/>.</summary>
    /// <param name="cell">The address of the copy.</param>
    public void StopMirroring(nint cell)
    {
        lock (_mirrorLock)
        {
            int at = Array.IndexOf(_mirrors, cell);
            if (at >= 0)
            {
                Volatile.Write(ref _mirrors, [.. _mirrors.AsSpan(0, at), .. _mirrors.AsSpan(at + 1)]);
            }
        }
    }

    // Under the device's lock. The copies get the cell's value as it is under the mirrors' lock, so that they end equal
    // to it whatever the order of concurrent calls.
    private void Set(int value)
    {
        Volatile.Write(ref _cell[0], value);
        Interlocked.MemoryBarrier(); // the value is seen by a MirrorTo whose list this does not see below
        if (Volatile.Read(ref _mirrors).Length != 0)
        {
            lock (_mirrorLock)
            {
                int current = Volatile.Read(ref _cell[0]);
                foreach (nint cell in _mirrors)
                {
                    Marshal.WriteInt32(cell, current);
                }
            }
        }
    }

    /// <summary>The published value; false when it is withdrawn (the device must answer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool TryRead(out byte value)
    {
        int published = Volatile.Read(ref _cell[0]);
        value = (byte)published;
        return published != Withdrawn;
    }

    /// <summary>Whether writing <paramref name="value"/> now would change nothing: rewrites change nothing in this
    /// register, and <paramref name="value"/> is the value published. The bus may then drop the write.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // the exit path's commonest case: one stretch of code
    public bool IsRewrite(byte value) => RewritesChangeNothing && Volatile.Read(ref _cell[0]) == value;
}
