using SharpVmm.Gdb;
using SharpVmm.Tests.Support;
using Xunit;

namespace SharpVmm.Tests.Unit.Gdb;

/// <summary>gdb's hardware breakpoints and watchpoints as DR0-DR3 and DR7 (Intel SDM vol. 3, 18.2.4).</summary>
[Tier(TestTiers.Unit)]
public class HardwareBreakpointSlotsTests
{
    [Fact]
    public void No_breakpoints_leave_dr7_zero()
    {
        var slots = new HardwareBreakpointSlots();

        Assert.True(slots.IsEmpty);
        Assert.Equal(0UL, slots.Dr7);
    }

    [Fact]
    public void An_instruction_breakpoint_takes_dr0_globally_enabled_with_condition_and_length_zero()
    {
        var slots = new HardwareBreakpointSlots();

        Assert.True(slots.Add(GdbBreakpointType.Hardware, 0xffffffff81000000, 1));

        Assert.Equal(0xffffffff81000000UL, slots.Address(0));
        Assert.Equal(0x602UL, slots.Dr7); // G0, GE and the always-one bit 10
    }

    [Fact]
    public void A_four_byte_write_watchpoint_in_the_second_slot_sets_its_own_condition_and_length_bits()
    {
        var slots = new HardwareBreakpointSlots();
        slots.Add(GdbBreakpointType.Hardware, 0x1000, 1);

        Assert.True(slots.Add(GdbBreakpointType.WriteWatchpoint, 0x2004, 4));

        // G1 (bit 3); R/W1 = 01 at bits 20-21; LEN1 = 11 at bits 22-23.
        Assert.Equal(0x602UL | 1UL << 3 | 0b01UL << 20 | 0b11UL << 22, slots.Dr7);
        Assert.Equal(0x2004UL, slots.Address(1));
    }

    [Fact]
    public void An_eight_byte_access_watchpoint_uses_length_code_two()
    {
        var slots = new HardwareBreakpointSlots();

        Assert.True(slots.Add(GdbBreakpointType.AccessWatchpoint, 0x3000, 8));

        Assert.Equal(0x602UL | 0b11UL << 16 | 0b10UL << 18, slots.Dr7);
    }

    [Theory]
    [InlineData(3, 0x1000UL)] // no such length
    [InlineData(4, 0x1002UL)] // not aligned to its length
    [InlineData(8, 0x1004UL)]
    public void Watchpoints_the_debug_registers_cannot_express_are_refused(int length, ulong address)
    {
        var slots = new HardwareBreakpointSlots();

        Assert.False(slots.Add(GdbBreakpointType.WriteWatchpoint, address, length));
        Assert.True(slots.IsEmpty);
    }

    [Fact]
    public void Read_watchpoints_and_software_breakpoints_never_take_a_slot()
    {
        var slots = new HardwareBreakpointSlots();

        Assert.False(slots.Add(GdbBreakpointType.ReadWatchpoint, 0x1000, 4));
        Assert.False(slots.Add(GdbBreakpointType.Software, 0x1000, 1));
        Assert.True(slots.IsEmpty);
    }

    [Fact]
    public void A_fifth_breakpoint_is_refused_until_one_is_removed()
    {
        var slots = new HardwareBreakpointSlots();
        for (ulong i = 0; i < 4; i++)
        {
            Assert.True(slots.Add(GdbBreakpointType.Hardware, 0x1000 + i, 1));
        }

        Assert.False(slots.Add(GdbBreakpointType.Hardware, 0x2000, 1));
        Assert.True(slots.Remove(GdbBreakpointType.Hardware, 0x1002, 1));
        Assert.True(slots.Add(GdbBreakpointType.Hardware, 0x2000, 1));
        Assert.Equal(0x2000UL, slots.Address(2));
    }

    [Fact]
    public void Adding_the_same_breakpoint_twice_takes_one_slot()
    {
        var slots = new HardwareBreakpointSlots();

        slots.Add(GdbBreakpointType.WriteWatchpoint, 0x4000, 4);
        slots.Add(GdbBreakpointType.WriteWatchpoint, 0x4000, 4);

        Assert.Equal(0UL, slots.Address(1));
        Assert.True(slots.Remove(GdbBreakpointType.WriteWatchpoint, 0x4000, 4));
        Assert.True(slots.IsEmpty);
    }

    [Fact]
    public void Dr6_names_the_slot_that_was_hit_and_ignores_free_ones()
    {
        var slots = new HardwareBreakpointSlots();
        slots.Add(GdbBreakpointType.Hardware, 0x1000, 1);
        slots.Add(GdbBreakpointType.AccessWatchpoint, 0x2000, 2);

        Assert.Equal(new HardwareBreakpoint(GdbBreakpointType.AccessWatchpoint, 0x2000, 2, 1), slots.Hit(0xffff0ff2));
        Assert.Null(slots.Hit(0xffff0ff8)); // B3: no breakpoint there
        Assert.Null(slots.Hit(0xffff4ff0)); // BS alone: a single step
    }
}
