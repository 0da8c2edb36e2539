using System.Globalization;
using Xunit;

namespace SharpVmm.Tests.Support;

/// <summary>
/// Tells, from /proc, when a thread of this process is asleep in poll(2), ppoll(2) or epoll_wait(2): what a wake-up
/// test waits for before it makes the event that must wake the thread, so the test cannot pass by the event arriving
/// before the thread ever slept.
/// </summary>
public static class PollingThread
{
    // x86-64 system call numbers: poll, ppoll, epoll_wait, epoll_pwait, epoll_pwait2.
    private static readonly int[] PollCalls = [7, 271, 232, 281, 441];

    /// <summary>The kernel's id (tid) of the calling thread.</summary>
    public static int CurrentId()
    {
        string target = new FileInfo("/proc/thread-self").LinkTarget ?? throw new InvalidOperationException("/proc/thread-self is not a link");
        return int.Parse(Path.GetFileName(target), CultureInfo.InvariantCulture); // "PID/task/TID"
    }

    /// <summary>Waits until thread <paramref name="tid"/> sleeps inside a poll call; fails the test after 10 s.</summary>
    public static void WaitUntilAsleepInPoll(int tid)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (TryReadState(tid, out char state, out int call))
            {
                if (state == 'S' && PollCalls.Contains(call))
                {
                    return;
                }

                last = $"state {state}, system call {call}";
            }
            else
            {
                last = "its /proc entries are gone";
            }

            Thread.Sleep(1);
        }

        Assert.Fail($"thread {tid} never went to sleep in poll ({last})");
    }

    private static bool TryReadState(int tid, out char state, out int call)
    {
        state = '?';
        call = -1;
        try
        {
            // "NR arg1 ..." while in a system call, "-1 ..." or "running" otherwise.
            string syscall = File.ReadAllText($"/proc/self/task/{tid}/syscall");
            string stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
            string first = syscall.Split(' ', 2)[0].Trim();
            call = int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : -1;
            state = stat[(stat.LastIndexOf(')') + 2)..][0]; // "tid (comm) S ...": comm may hold spaces and parentheses
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
