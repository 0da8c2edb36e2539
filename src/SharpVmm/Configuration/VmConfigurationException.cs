namespace SharpVmm.Configuration;

/// <summary>A <see cref="VmConfig"/> that cannot be built: <see cref="Field"/> names the field, <see cref="Reason"/> what is wrong with it.</summary>
public sealed class VmConfigurationException : Exception
{
    /// <summary>Creates the exception for <paramref name="field"/> (a path such as <c>drives[1].path_on_host</c>).</summary>
    public VmConfigurationException(string field, string reason, Exception? inner = null)
        : base($"{field}: {reason}", inner)
    {
        Field = field;
        Reason = reason;
    }

    /// <summary>The field's path in the JSON form, e.g. <c>machine-config.vcpu_count</c> or <c>drives[1].path_on_host</c>.</summary>
    public string Field { get; }

    /// <summary>What is wrong, for a person.</summary>
    public string Reason { get; }
}
