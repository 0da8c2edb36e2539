using System.Text;
using SharpVmm.Cli;

var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false, NewLine = "\n" };
var stderr = new StreamWriter(Console.OpenStandardError(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
using var serial = new SerialOutputStream(stdout);
int code = new SharpVmmCommand(stdout, stderr, serial).Invoke(args);
stdout.Flush();
return code;
