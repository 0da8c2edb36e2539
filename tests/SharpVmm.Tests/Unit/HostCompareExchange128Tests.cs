using Iced.Intel;
using SharpVmm.Memory;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit;

/// <summary>
/// The host's own <c>lock cmpxchg16b</c>, run from a machine-code stub, on guest memory (a host mapping, as the vCPUs
/// see it) and on managed memory.
/// </summary>
[Tier(TestTiers.Unit)]
public sealed class HostCompareExchange128Tests : IDisposable
{
    private static readonly GuestAddress Cell = new(0x1230);

    private readonly GuestMemory _memory = GuestMemory.CreateFlat(1 << 16);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void The_stub_is_lock_cmpxchg16b_between_a_saved_and_restored_rbx()
    {
        byte[] code = HostCompareExchange128.MachineCode.ToArray();
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code));
        var formatter = new IntelFormatter();
        var output = new StringOutput();
        var text = new List<string>();
        while (decoder.IP < (ulong)code.Length)
        {
            decoder.Decode(out Instruction insn);
            Assert.False(insn.IsInvalid);
            formatter.Format(insn, output);
            text.Add(output.ToStringAndReset());
        }

        Assert.Equal(
            ["push rbx", "mov rbx,rdx", "mov rax,[rsi]", "mov rdx,[rsi+8]", "lock cmpxchg16b [rdi]", "mov [rsi],rax",
             "mov [rsi+8],rdx", "sete al", "movzx eax,al", "pop rbx", "ret"],
            text);
    }

    [Fact]
    public void Equal_values_are_replaced_and_the_comparand_is_kept()
    {
        UInt128 before = new(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210);
        _memory.Write(Cell, before);
        UInt128 expected = before;

        bool exchanged = _memory.CompareExchange128(Cell, ref expected, new UInt128(7, 8));

        Assert.True(exchanged);
        Assert.Equal(new UInt128(7, 8), _memory.Read<UInt128>(Cell));
        Assert.Equal(before, expected);
        Assert.Equal(UInt128.Zero, _memory.Read<UInt128>(new GuestAddress(Cell.Value + 16))); // nothing written past it
        Assert.Equal(UInt128.Zero, _memory.Read<UInt128>(new GuestAddress(Cell.Value - 16)));
    }

    [Fact]
    public void Different_values_are_left_alone_and_loaded_into_the_comparand()
    {
        _memory.Write(Cell, new UInt128(1, 2));
        UInt128 expected = new(1, 3);

        bool exchanged = _memory.CompareExchange128(Cell, ref expected, new UInt128(7, 8));

        Assert.False(exchanged);
        Assert.Equal(new UInt128(1, 2), _memory.Read<UInt128>(Cell));
        Assert.Equal(new UInt128(1, 2), expected);
    }

    [Fact]
    public void Misaligned_or_short_locations_are_refused_before_the_cpu_could_fault()
    {
        UInt128 expected = 0;

        Assert.Throws<ArgumentException>(() => HostCompareExchange128.CompareExchange(_memory.GetSpan(new GuestAddress(0x1238), 16), ref expected, 1));
        Assert.Throws<ArgumentException>(() => HostCompareExchange128.CompareExchange(_memory.GetSpan(Cell, 8), ref expected, 1));
        Assert.Throws<ArgumentException>(() => _memory.CompareExchange128(new GuestAddress(0x1231), ref expected, 1));
        Assert.Throws<GuestMemoryException>(() => _memory.CompareExchange128(new GuestAddress(0x10000), ref expected, 1));
        Assert.Equal(UInt128.Zero, _memory.Read<UInt128>(Cell));
    }

    [Fact]
    public void Two_threads_hammering_one_cell_lose_no_update_and_never_see_a_torn_value()
    {
        // Each update replaces (n, n) by (n + 1, n + 1): a lost update shows in the final count, a torn 16-byte access
        // as halves that differ. Both threads start together to contend for the same cache line; a failure after a
        // thread's first (necessarily blind) attempt shows that the other thread got in between.
        const int PerThread = 2_000_000;
        using var start = new Barrier(2);
        long torn = 0, interleaved = 0;

        void Hammer()
        {
            start.SignalAndWait();
            UInt128 seen = 0;
            for (int i = 0; i < PerThread; i++)
            {
                while (!_memory.CompareExchange128(Cell, ref seen, Next(seen)))
                {
                    if (i > 0)
                    {
                        Interlocked.Increment(ref interleaved);
                    }

                    if ((ulong)seen != (ulong)(seen >> 64))
                    {
                        Interlocked.Increment(ref torn);
                    }
                }

                seen = Next(seen);
            }
        }

        static UInt128 Next(UInt128 value) => new((ulong)value + 1, (ulong)value + 1);

        var threads = new[] { new Thread(Hammer), new Thread(Hammer) };
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(0, torn);
        Assert.Equal(new UInt128(2 * PerThread, 2 * PerThread), _memory.Read<UInt128>(Cell));
        Assert.True(interleaved > 0, "the threads never interleaved, so the test proved nothing");
    }
}
