namespace SharpVmm.Cli;

/// <summary>Where typed console bytes go: the UART's receive buffer or the virtio-console's input queue.</summary>
/// <param name="bytes">The bytes, already filtered of the Ctrl-A escapes.</param>
public delegate void ConsoleInputSink(ReadOnlySpan<byte> bytes);
