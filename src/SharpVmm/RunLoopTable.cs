using SharpVmm.Devices.Bus;
using SharpVmm.Kvm;

namespace SharpVmm;

/// <summary>
/// What a vCPU's run loop answers (<see cref="PublishedPortRunLoop"/>), as the VM last worked it out: the published
/// registers with their ports, in the same order, and the ranges of ports no device claims. Never changed once made, so
/// a vCPU that is handed the table its loop already has need not set it again.
/// </summary>
/// <param name="Ports">The registers' ports, each with the register's own value cell.</param>
/// <param name="Registers">The registers, one for each of <paramref name="Ports"/>.</param>
/// <param name="Unclaimed">The ranges of ports no device claims, first and last port of each.</param>
/// <param name="CounterPorts">The published counters' ports, each with the counter's own cell.</param>
/// <param name="Counters">The counters, one for each of <paramref name="CounterPorts"/>.</param>
internal sealed record RunLoopTable(PublishedPort[] Ports, PublishedRegister[] Registers, (ushort First, ushort Last)[] Unclaimed,
    PublishedPort[] CounterPorts, PublishedCounter[] Counters)
{
    /// <summary>Nothing answered: while a coalesced zone's confines do not hold, every access may need its queue delivered first.</summary>
    public static RunLoopTable Empty { get; } = new([], [], [], [], []);
}
