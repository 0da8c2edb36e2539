using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// A real <c>sharpvmm firecracker --api-sock DIR/fc.sock --id ID</c> process in the background, driven as Firecracker's
/// getting-started guide drives Firecracker: each request is a real <c>curl --unix-socket</c>. Every answer is checked
/// against Firecracker's API specification (<see cref="FirecrackerOpenApi.AssertConforms"/>). The process's stdout
/// (the guest's serial console) and stderr are kept; the process is killed on dispose if it is still running.
/// </summary>
public sealed class FirecrackerProcess : IDisposable
{
    // Hang detectors, not speed checks: a fresh process JITs its whole API and restore path on its first request,
    // which inside tools/nested-kvm (QEMU TCG, two emulated CPUs shared with running guests) has taken over 30 s.
    private static readonly TimeSpan CurlLimit = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan SocketLimit = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private bool _keepStdin;

    private FirecrackerProcess(Process process, string socketPath, IReadOnlyList<string> args)
    {
        _process = process;
        SocketPath = socketPath;
        Arguments = args;
    }

    /// <summary>The API socket (empty for a <see cref="StartRestore"/> process without one).</summary>
    public string SocketPath { get; }

    /// <summary>The CLI's arguments.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>The process id (of the CLI itself: a wrapper such as <c>ip netns exec</c> execs it).</summary>
    public int Pid => _process.Id;

    /// <summary>What the process wrote to stdout so far: the guest's serial console.</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>What the process wrote to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>True once the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts <c>sharpvmm firecracker --api-sock SOCKET --id ID EXTRA...</c> and waits until the socket answers.
    /// <paramref name="socketPath"/> defaults to <c>fc.sock</c> in <paramref name="dir"/>; <paramref name="wrapper"/>
    /// runs it inside e.g. <c>ip netns exec NS</c>.
    /// </summary>
    public static FirecrackerProcess Start(TempDirectory dir, string id = "test-vm", IEnumerable<string>? extra = null, string? socketPath = null,
        IReadOnlyList<string>? wrapper = null)
    {
        ArgumentNullException.ThrowIfNull(dir);
        string socket = socketPath ?? dir.File("fc.sock");
        return StartWith(["firecracker", "--api-sock", socket, "--id", id, .. extra ?? []], socket, wrapper);
    }

    /// <summary>Starts <c>sharpvmm ARGS...</c>, a command that serves the API on <paramref name="socket"/> (such as <c>restore --api-sock</c>), and waits until the socket answers.</summary>
    public static FirecrackerProcess StartWith(string[] args, string socket, IReadOnlyList<string>? wrapper = null)
    {
        FirecrackerProcess fc = Launch(args, socket, wrapper, keepStdin: false);
        fc.WaitForSocket();
        return fc;
    }

    /// <summary>
    /// Starts <c>sharpvmm ARGS...</c>, a command that serves no API (<c>run</c>, <c>boot</c>), and returns at once: its
    /// output, signals and exit are handled as for the API commands, and <see cref="Call"/> does not apply.
    /// </summary>
    public static FirecrackerProcess StartCommand(string[] args) => Launch(args, socketPath: "", wrapper: null, keepStdin: false);

    /// <summary>
    /// Starts <c>sharpvmm restore --snapshot STATE --mem-file MEMORY EXTRA...</c> (no API socket unless
    /// <paramref name="extra"/> names one), with its stdin kept open: <see cref="TypeOnSerial"/> types on the guest's
    /// serial port.
    /// </summary>
    public static FirecrackerProcess StartRestore(string statePath, string memoryPath, IEnumerable<string>? extra = null) =>
        Launch(["restore", "--snapshot", statePath, "--mem-file", memoryPath, .. extra ?? []], socketPath: "", wrapper: null, keepStdin: true);

    /// <summary>Writes <paramref name="text"/> to the process's stdin (a process from <see cref="StartRestore"/>: the guest's serial port).</summary>
    public void TypeOnSerial(string text)
    {
        Assert.True(_keepStdin, "this process's stdin was closed when it started");
        _process.StandardInput.Write(text);
        _process.StandardInput.Flush();
    }

    /// <summary>
    /// <c>curl -s --unix-socket SOCKET -X METHOD http://localhost/PATH --data-binary BODY -w '\n%{http_code}'</c>; the
    /// answer is checked against the specification unless <paramref name="conform"/> is false.
    /// </summary>
    public ApiResponse Call(string method, string path, string? body = null, bool conform = true)
    {
        ApiResponse response = Curl(SocketPath, method, path, body);
        if (conform)
        {
            FirecrackerOpenApi.AssertConforms(method, path, response);
        }

        return response;
    }

    /// <summary><see cref="Call"/> that also asserts the status code.</summary>
    public ApiResponse Expect(int status, string method, string path, string? body = null)
    {
        ApiResponse response = Call(method, path, body);
        Assert.True(response.Status == status, $"{method} {path} answered {response}, expected {status}\n{Describe()}");
        return response;
    }

    /// <summary>Runs one curl request against <paramref name="socketPath"/>.</summary>
    public static ApiResponse Curl(string socketPath, string method, string path, string? body = null)
    {
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "-s", "--unix-socket", socketPath, "-X", method, $"http://localhost{path}", "-w", "\n%{http_code}" })
        {
            psi.ArgumentList.Add(a);
        }

        if (body is not null)
        {
            foreach (string a in new[] { "-H", "Accept: application/json", "-H", "Content-Type: application/json", "--data-binary", "@-" })
            {
                psi.ArgumentList.Add(a);
            }
        }

        using Process curl = Process.Start(psi) ?? throw new InvalidOperationException("could not start curl (Debian package curl)");
        Task<string> stdout = curl.StandardOutput.ReadToEndAsync();
        Task<string> stderr = curl.StandardError.ReadToEndAsync();
        if (body is not null)
        {
            curl.StandardInput.Write(body);
        }

        curl.StandardInput.Close();
        if (!curl.WaitForExit(CurlLimit))
        {
            curl.Kill();
            Assert.Fail($"curl {method} {path} did not finish within {CurlLimit}");
        }

        string output = stdout.Result;
        int newline = output.LastIndexOf('\n');
        Assert.True(curl.ExitCode == 0 && newline >= 0, $"curl {method} {path} failed (exit {curl.ExitCode}): {stderr.Result}{output}");
        return new ApiResponse(int.Parse(output[(newline + 1)..], CultureInfo.InvariantCulture), output[..newline]);
    }

    /// <summary>
    /// Configures and starts, through the API, the project's Linux kernel with <paramref name="initrdPath"/> (1 vCPU,
    /// 128 MiB, <see cref="GuestKernel.BaseCommandLine"/>) and a read-write drive <c>data</c> backed by <paramref name="drivePath"/>.
    /// </summary>
    public void StartLinuxGuest(string initrdPath, string drivePath)
    {
        Expect(204, "PUT", "/machine-config", """{ "vcpu_count": 1, "mem_size_mib": 128 }""");
        Expect(204, "PUT", "/boot-source",
            $$"""{ "kernel_image_path": "{{GuestKernel.Vmlinux}}", "initrd_path": "{{initrdPath}}", "boot_args": "{{GuestKernel.BaseCommandLine}}" }""");
        Expect(204, "PUT", "/drives/data", $$"""{ "drive_id": "data", "path_on_host": "{{drivePath}}", "is_root_device": false, "is_read_only": false }""");
        Expect(204, "PUT", "/actions", """{ "action_type": "InstanceStart" }""");
    }

    /// <summary>Waits until the guest's console shows <paramref name="text"/>; fails the test if the process ends first or after <paramref name="limit"/>.</summary>
    public void WaitForConsole(string text, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(HasExited, $"the VMM ended before the guest printed '{text}'\n{Describe()}");
            Assert.True(clock.Elapsed < limit, $"the guest did not print '{text}' within {limit}\n{Describe()}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Waits for the process to end and returns its exit code; fails the test after <paramref name="limit"/>.</summary>
    public int WaitForExit(TimeSpan limit)
    {
        if (!_process.WaitForExit(limit))
        {
            Assert.Fail($"sharpvmm {string.Join(' ', Arguments)} did not end within {limit}\n{Describe()}");
        }

        _process.WaitForExit(); // the rest of stdout and stderr
        return _process.ExitCode;
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. 15, SIGTERM) to the process.</summary>
    public void Signal(int signal) => Assert.True(Kill(_process.Id, signal) == 0, $"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");

    /// <summary>Kills the process at once (SIGKILL), as a crash would: it cleans nothing up.</summary>
    public void KillNow()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>The process's output so far, for a failure message.</summary>
    public string Describe() => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    /// <inheritdoc />
    public void Dispose() => BackgroundProcess.Stop(_process);

    private static FirecrackerProcess Launch(string[] args, string socketPath, IReadOnlyList<string>? wrapper, bool keepStdin)
    {
        ProcessStartInfo psi = CliProcess.CreateStartInfo(args, wrapper: wrapper);
        psi.RedirectStandardInput = true;
        Process process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start sharpvmm {args[0]}");
        var fc = new FirecrackerProcess(process, socketPath, args) { _keepStdin = keepStdin };
        process.OutputDataReceived += (_, e) => fc.Append(fc._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => fc.Append(fc._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!keepStdin)
        {
            process.StandardInput.Close();
        }

        return fc;
    }

    private void Append(StringBuilder to, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (to)
        {
            to.Append(line).Append('\n');
        }
    }

    private void WaitForSocket()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < SocketLimit)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                Assert.Fail($"sharpvmm {string.Join(' ', Arguments)} ended (exit {_process.ExitCode}) before its API socket answered\n{Describe()}");
            }

            if (File.Exists(SocketPath))
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    probe.Connect(new UnixDomainSocketEndPoint(SocketPath));
                    return;
                }
                catch (SocketException)
                {
                    // not listening yet (or a stale socket not yet replaced)
                }
            }

            Thread.Sleep(20);
        }

        Assert.Fail($"sharpvmm {string.Join(' ', Arguments)}: no API socket at {SocketPath} within {SocketLimit}\n{Describe()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
