using Microsoft.Extensions.Logging;

namespace SharpVmm.Diagnostics;

/// <summary>SharpVmm's log messages, source-generated (no boxing, no parsing at run time, AOT-clean).</summary>
internal static partial class VmLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "VM state {Previous} -> {Current}")]
    public static partial void StateChanged(ILogger logger, VmState previous, VmState current);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "unclaimed {Bus} {Access} at 0x{Address:x} (logged once per address)")]
    public static partial void UnclaimedAccess(ILogger logger, string bus, string access, ulong address);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "device {Device} failed: {Reason}")]
    public static partial void DeviceFailed(ILogger logger, string device, string reason, Exception error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "built a VM with {Vcpus} vCPU(s), {MemoryMib} MiB and {VirtioDevices} virtio device(s)")]
    public static partial void Built(ILogger logger, int vcpus, ulong memoryMib, int virtioDevices);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "run ended: {Summary}")]
    public static partial void RunEnded(ILogger logger, string summary);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{Type} snapshot written to {StatePath}: {MemoryBytes} bytes of memory in {Milliseconds:F1} ms")]
    public static partial void SnapshotCreated(ILogger logger, string type, string statePath, long memoryBytes, double milliseconds);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "restored from {StatePath} (memory: {Backend}, resumed: {Resumed})")]
    public static partial void SnapshotRestored(ILogger logger, string statePath, string backend, bool resumed);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "serial output failed, the guest's further output is dropped (the guest keeps running): {Reason}")]
    public static partial void SerialOutputFailed(ILogger logger, string reason, Exception error);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "a vCPU thread did not stop within 10 s: devices released, guest memory and KVM descriptors kept until the process ends")]
    public static partial void MemoryRetained(ILogger logger);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "the console file {Path} reached its limit of {Limit} bytes (console.output_limit_bytes): the guest's further output is dropped")]
    public static partial void ConsoleOutputCapped(ILogger logger, string path, long limit);
}
