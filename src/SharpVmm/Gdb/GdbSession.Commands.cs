using Microsoft.Extensions.Logging;
using System.Globalization;
using System.Text;

namespace SharpVmm.Gdb;

// The packets the stub answers while the guest is stopped (GDB's remote protocol, "Packets").
internal sealed partial class GdbSession
{
    // Thread ids are vCPU numbers plus one: gdb reserves 0 (any thread) and -1 (all threads).
    private const int SigInt = 2, SigTrap = 5;

    // What one reply may carry within the PacketSize announced to gdb, less room for framing.
    private const ulong MaxReplyBytes = GdbPacketReader.MaxPacketSize - 32;

    // Returns the reply, "" for a packet the stub does not support, or null for none.
    private string? Handle(string packet, byte[] raw)
    {
        if (packet.Length == 0)
        {
            return "";
        }

        switch (packet[0])
        {
            case '?':
                return StopReply(_lastStop);
            case 'g':
                return _layout.ReadAll(_debugger.ReadRegisters(_registerVcpu));
            case 'G':
                return WriteRegisters(file => _layout.WriteAll(packet.AsSpan(1), ref file) ? file : null);
            case 'p':
                return TryHex(packet.AsSpan(1), out ulong number) && number < int.MaxValue
                    ? _layout.ReadOne((int)number, _debugger.ReadRegisters(_registerVcpu)) ?? "E45"
                    : "E22";
            case 'P':
                return WriteOneRegister(packet);
            case 'm':
                return ReadMemory(packet);
            case 'M':
            case 'X':
                return WriteMemory(packet, raw);
            case 'Z':
            case 'z':
                return Breakpoint(packet);
            case 'c':
            case 's':
                return Resume(packet[0] == 's' ? ResumeTarget() : -1, packet.AsSpan(1));
            case 'H':
                return SelectThread(packet);
            case 'T':
                return TryThread(packet.AsSpan(1), out _) ? "OK" : "E22";
            case 'D':
                _closing = true;
                Send("OK");
                return null; // Run's finally detaches: breakpoints out, the guest runs on
            case 'k':
                _debugger.EndRun();
                _closing = true;
                return null;
            case 'q':
            case 'Q':
                return Query(packet);
            case 'v':
                return VerbosePacket(packet);
            default:
                return "";
        }
    }

    private string? Query(string packet)
    {
        if (packet.StartsWith("qSupported", StringComparison.Ordinal))
        {
            return $"PacketSize={GdbPacketReader.MaxPacketSize:x};qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+";
        }

        if (packet == "QStartNoAckMode")
        {
            Send("OK");
            _ackMode = false;
            return null;
        }

        if (packet.StartsWith("qXfer:features:read:", StringComparison.Ordinal))
        {
            return ReadFeatures(packet["qXfer:features:read:".Length..]);
        }

        return packet switch
        {
            "qAttached" => "1", // gdb detaches from, rather than kills, a process it attached to
            "qC" => $"QC{_registerVcpu + 1:x}",
            "qfThreadInfo" => "m" + string.Join(',', Enumerable.Range(1, _debugger.VcpuCount).Select(t => t.ToString("x", CultureInfo.InvariantCulture))),
            "qsThreadInfo" => "l",
            "qSymbol::" => "OK",
            _ when packet.StartsWith("qThreadExtraInfo,", StringComparison.Ordinal) && TryThread(packet.AsSpan("qThreadExtraInfo,".Length), out int vcpu) =>
                GdbPacket.ToHex(Encoding.ASCII.GetBytes($"vCPU {vcpu}")),
            _ => "",
        };
    }

    private string? VerbosePacket(string packet)
    {
        if (packet == "vCont?")
        {
            return "vCont;c;C;s;S";
        }

        if (packet.StartsWith("vCont;", StringComparison.Ordinal))
        {
            // All-stop: every vCPU runs; one of them may be single-stepped ("vCont;s:1;c").
            int step = -1;
            foreach (string action in packet["vCont;".Length..].Split(';'))
            {
                if (action.Length == 0 || action[0] is not ('s' or 'S' or 'c' or 'C'))
                {
                    return "E22";
                }

                if (action[0] is 's' or 'S')
                {
                    int colon = action.IndexOf(':');
                    if (colon < 0)
                    {
                        step = ResumeTarget();
                    }
                    else if (TryThread(action.AsSpan(colon + 1), out int vcpu))
                    {
                        step = vcpu;
                    }
                    else
                    {
                        return "E22";
                    }
                }
            }

            return Resume(step, []);
        }

        if (packet.StartsWith("vKill", StringComparison.Ordinal))
        {
            _debugger.EndRun();
            Send("OK");
            _closing = true;
            return null;
        }

        return ""; // vMustReplyEmpty and everything else
    }

    private string? Resume(int stepVcpu, ReadOnlySpan<char> address)
    {
        if (!address.IsEmpty)
        {
            // "c ADDR" / "s ADDR": resume at ADDR.
            if (!TryHex(address, out ulong rip))
            {
                return "E22";
            }

            int vcpu = stepVcpu >= 0 ? stepVcpu : _registerVcpu;
            X86RegisterFile file = _debugger.ReadRegisters(vcpu);
            file.Regs.Rip = rip;
            _debugger.WriteRegisters(vcpu, file);
        }

        if (_debugger.HasEnded || !_debugger.Resume(stepVcpu))
        {
            _running = true;
            ReportEnd();
            return null;
        }

        _running = true;
        return null; // the stop reply comes when the guest stops
    }

    private int ResumeTarget() => _resumeVcpu >= 0 ? _resumeVcpu : _registerVcpu;

    private string SelectThread(string packet)
    {
        if (packet.Length < 2 || packet[1] is not ('g' or 'c'))
        {
            return "";
        }

        ReadOnlySpan<char> id = packet.AsSpan(2);
        int vcpu;
        if (id is "0" or "-1")
        {
            vcpu = -1; // any or all
        }
        else if (!TryThread(id, out vcpu))
        {
            return "E22";
        }

        if (packet[1] == 'g')
        {
            _registerVcpu = Math.Max(vcpu, 0);
        }
        else
        {
            _resumeVcpu = vcpu;
        }

        return "OK";
    }

    private string? WriteRegisters(Func<X86RegisterFile, X86RegisterFile?> change)
    {
        if (change(_debugger.ReadRegisters(_registerVcpu)) is not { } file)
        {
            return "E22";
        }

        _debugger.WriteRegisters(_registerVcpu, file);
        return "OK";
    }

    private string? WriteOneRegister(string packet)
    {
        int equals = packet.IndexOf('=');
        if (equals < 0 || !TryHex(packet.AsSpan(1, equals - 1), out ulong number) || number >= int.MaxValue)
        {
            return "E22";
        }

        string value = packet[(equals + 1)..];
        return WriteRegisters(file => _layout.WriteOne((int)number, value, ref file) ? file : null);
    }

    private string ReadMemory(string packet)
    {
        if (!TryAddressAndLength(packet.AsSpan(1), out ulong address, out ulong length))
        {
            return "E22";
        }

        // A reply holds two hex digits a byte; gdb asks for no more than PacketSize allows, this enforces it.
        byte[] bytes = new byte[(int)Math.Min(length, MaxReplyBytes / 2)];
        int read = _debugger.ReadMemory(_registerVcpu, address, bytes);
        return read == 0 && bytes.Length > 0 ? "E14" : GdbPacket.ToHex(bytes.AsSpan(0, read));
    }

    private string WriteMemory(string packet, byte[] raw)
    {
        int colon = packet.IndexOf(':');
        if (colon < 0 || !TryAddressAndLength(packet.AsSpan(1, colon - 1), out ulong address, out ulong length))
        {
            return "E22";
        }

        byte[]? data = packet[0] == 'X'
            ? GdbPacket.Unescape(raw.AsSpan(colon + 1))
            : GdbPacket.ParseHex(packet.AsSpan(colon + 1));
        if (data is null || (ulong)data.Length != length)
        {
            return "E22";
        }

        return _debugger.WriteMemory(_registerVcpu, address, data) == data.Length ? "OK" : "E14";
    }

    private string Breakpoint(string packet)
    {
        // Z/z TYPE,ADDR,KIND (conditions after ';' are not supported and make gdb evaluate them itself).
        string[] parts = packet[1..].Split(';')[0].Split(',');
        if (parts.Length != 3 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int type) || type > 4
            || !TryHex(parts[1], out ulong address) || !TryHex(parts[2], out ulong kind) || kind > 8)
        {
            return "E22";
        }

        var breakpointType = (GdbBreakpointType)type;
        if (packet[0] == 'z')
        {
            return _debugger.RemoveBreakpoint(breakpointType, address, (int)kind) ? "OK" : "E22";
        }

        if (breakpointType is GdbBreakpointType.WriteWatchpoint or GdbBreakpointType.AccessWatchpoint && _debugger.WatchpointsUnavailable is { } why)
        {
            _log.LogWarning("gdb: {Reason}", why); // gdb shows only that the watchpoint could not be inserted
            return "E." + why;
        }

        return _debugger.InsertBreakpoint(_registerVcpu, breakpointType, address, (int)kind) switch
        {
            null => "",
            true => "OK",
            false => "E28", // ENOSPC: every debug register is taken, or the watchpoint cannot be expressed
        };
    }

    private string ReadFeatures(string request)
    {
        // target.xml:OFFSET,LENGTH
        int colon = request.IndexOf(':');
        if (colon < 0 || request[..colon] != "target.xml")
        {
            return "E00";
        }

        if (!TryAddressAndLength(request.AsSpan(colon + 1), out ulong offset, out ulong length))
        {
            return "E22";
        }

        return GdbPacket.XferReply(_layout.TargetXml, offset, Math.Min(length, MaxReplyBytes));
    }

    private string StopReply(GuestStop stop)
    {
        string reason = stop.Kind switch
        {
            GdbStopKind.SoftwareBreakpoint => "swbreak:;",
            GdbStopKind.HardwareBreakpoint => "hwbreak:;",
            GdbStopKind.WriteWatchpoint => $"watch:{stop.Address:x};",
            GdbStopKind.AccessWatchpoint => $"awatch:{stop.Address:x};",
            _ => "",
        };
        int signal = stop.Kind == GdbStopKind.Interrupt ? SigInt : SigTrap;
        _registerVcpu = stop.VcpuIndex; // gdb reads the stopped thread's registers first
        return $"T{signal:x2}thread:{stop.VcpuIndex + 1:x};{reason}";
    }

    private bool TryThread(ReadOnlySpan<char> text, out int vcpu)
    {
        vcpu = -1;
        if (!TryHex(text, out ulong id) || id == 0 || id > (ulong)_debugger.VcpuCount)
        {
            return false;
        }

        vcpu = (int)id - 1;
        return true;
    }

    private static bool TryAddressAndLength(ReadOnlySpan<char> text, out ulong address, out ulong length)
    {
        address = 0;
        length = 0;
        int comma = text.IndexOf(',');
        return comma > 0 && TryHex(text[..comma], out address) && TryHex(text[(comma + 1)..], out length);
    }

    private static bool TryHex(ReadOnlySpan<char> text, out ulong value) => GdbPacket.TryParseHexNumber(text, out value);
}
