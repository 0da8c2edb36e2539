using System.Text;
using SharpVmm.Cli;

StartupClock.MainStartedAt = System.Diagnostics.Stopwatch.GetTimestamp();
var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false, NewLine = "\n" };
var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
using var serial = new SerialOutputStream(stdout);
// Run as `firecracker` (a link to this binary), it is Firecracker: its flags with no subcommand in front.
string invokedAs = Path.GetFileName(Environment.GetCommandLineArgs()[0]);
int code = new SharpVmmCommand(stdout, stderr, serial).Invoke(invokedAs == "firecracker" ? ["firecracker", .. args] : args);
stdout.Flush();
return code;
