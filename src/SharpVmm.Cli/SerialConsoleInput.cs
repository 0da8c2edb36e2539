using SharpVmm.Cli.Terminal;

namespace SharpVmm.Cli;

/// <summary>
/// Feeds the host's standard input to the guest's serial port on a thread of its own. On a terminal, input is raw
/// (every key goes to the guest, Ctrl-C included) and QEMU's escapes apply: Ctrl-A x quits, Ctrl-A h prints help,
/// Ctrl-A Ctrl-A sends one Ctrl-A. When standard input is a file or pipe its bytes are passed on as they are read.
/// </summary>
internal sealed class SerialConsoleInput : IDisposable
{
    private readonly ConsoleInputSink _sink;
    private readonly Action _quit;
    private readonly TextWriter _notices;
    private readonly Stream _stdin;
    private readonly RawTerminal _terminal;
    private readonly SerialEscapeFilter _filter = new();
    private readonly Thread _thread;

    public SerialConsoleInput(ConsoleInputSink sink, Action quit, TextWriter notices)
    {
        _sink = sink;
        _quit = quit;
        _notices = notices;
        _terminal = new RawTerminal();
        _stdin = Console.OpenStandardInput();
        _thread = new Thread(Pump) { Name = "serial-stdin", IsBackground = true };
    }

    /// <summary>Whether the host terminal was put into raw mode (stdin is a terminal).</summary>
    public bool IsTerminal => _terminal.IsRaw;

    public void Start() => _thread.Start();

    // A blocking read on stdin cannot be cancelled portably; the thread is a background one and simply dies with the process.
    private void Pump()
    {
        byte[] input = new byte[256];
        byte[] guest = new byte[256];
        try
        {
            while (true)
            {
                int n = _stdin.Read(input);
                if (n <= 0)
                {
                    return;
                }

                if (!IsTerminal)
                {
                    _sink(input.AsSpan(0, n));
                    continue;
                }

                SerialEscapeResult result = _filter.Filter(input.AsSpan(0, n), guest);
                if (result.GuestBytes > 0)
                {
                    _sink(guest.AsSpan(0, result.GuestBytes));
                }

                if ((result.Requests & SerialEscapeRequests.Help) != 0)
                {
                    _notices.Write(SerialEscapeFilter.HelpText);
                }

                if (result.QuitRequested)
                {
                    _quit();
                    return;
                }
            }
        }
        catch (IOException)
        {
            // stdin went away: the guest just gets no more input.
        }
    }

    public void Dispose() => _terminal.Dispose();
}
