using System.Text.Json.Serialization;
using SharpVmm.Platform;

namespace SharpVmm.Configuration;

/// <summary>The machine: vCPUs, memory, firmware tables and the virtio transport (Firecracker's <c>machine-config</c>, extended).</summary>
public sealed record MachineConfig
{
    /// <summary>The most vCPUs a VM may have (APIC IDs 0-254).</summary>
    public const int MaxVcpus = 255;

    /// <summary>Number of vCPUs, each on its own host thread.</summary>
    [JsonPropertyName("vcpu_count")]
    public int VcpuCount { get; set; } = 1;

    /// <summary>Guest RAM in MiB.</summary>
    [JsonPropertyName("mem_size_mib")]
    public ulong MemSizeMib { get; set; } = 256;

    /// <summary>ACPI tables (RSDP, FADT, FACS, MADT, DSDT) and the ACPI devices; off, the kernel finds its CPUs in the MP table.</summary>
    [JsonPropertyName("acpi")]
    public bool Acpi { get; set; } = true;

    /// <summary>The transport of every virtio device.</summary>
    [JsonPropertyName("virtio_transport")]
    public VirtioTransport VirtioTransport { get; set; } = VirtioTransport.Pci;

    /// <summary>Use KVM's ioeventfd and irqfd for virtio notifications and interrupts where it offers them.</summary>
    [JsonPropertyName("ioeventfd")]
    public bool EventFds { get; set; } = true;

    /// <summary>Add QEMU's pc-testdev ports for test guests (<see cref="PcTestDevices"/>).</summary>
    [JsonPropertyName("test_devices")]
    public bool TestDevices { get; set; }

    /// <summary>Simultaneous multithreading in the guest's topology (Firecracker's <c>smt</c>); SharpVmm offers none, so only false is valid.</summary>
    [JsonPropertyName("smt")]
    public bool Smt { get; set; }

    /// <summary>Track dirty pages for diff snapshots (Firecracker's <c>track_dirty_pages</c>); recorded, used by snapshots.</summary>
    [JsonPropertyName("track_dirty_pages")]
    public bool TrackDirtyPages { get; set; }

    /// <summary>How guest memory is backed.</summary>
    [JsonPropertyName("huge_pages")]
    public HugePages HugePages { get; set; } = HugePages.None;

    /// <summary>Firecracker's CPU template; SharpVmm has none, so only null or <c>None</c> is valid.</summary>
    [JsonPropertyName("cpu_template")]
    public string? CpuTemplate { get; set; }

    /// <summary>
    /// A Unix socket where a gdb stub waits for gdb before the guest's first instruction (Firecracker's
    /// <c>gdb_socket_path</c>, of its <c>gdb</c> build); null for none.
    /// </summary>
    [JsonPropertyName("gdb_socket_path")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? GdbSocketPath { get; set; }

    /// <summary>Guest RAM in bytes.</summary>
    [JsonIgnore]
    public ulong MemorySize => MemSizeMib << 20;
}
