using System.Globalization;
using System.Text;

namespace SharpVmm.Gdb;

/// <summary>
/// Writes the target description (<c>target.xml</c>) for a list of registers: one document, each feature inline with
/// the types its registers use, registers numbered explicitly in order.
/// </summary>
internal static class GdbTargetXml
{
    /// <summary>The document for <paramref name="registers"/> (grouped by feature, in order) on <paramref name="architecture"/>.</summary>
    public static string Build(string architecture, IReadOnlyList<GdbRegister> registers)
    {
        var xml = new StringBuilder();
        xml.Append("<?xml version=\"1.0\"?>\n");
        xml.Append("<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n");
        xml.Append("<target version=\"1.0\">\n");
        xml.Append(CultureInfo.InvariantCulture, $"  <architecture>{architecture}</architecture>\n");
        string? feature = null;
        foreach (GdbRegister register in registers)
        {
            if (register.Feature != feature)
            {
                if (feature is not null)
                {
                    xml.Append("  </feature>\n");
                }

                feature = register.Feature;
                xml.Append(CultureInfo.InvariantCulture, $"  <feature name=\"{feature}\">\n");
                xml.Append(GdbFeatures.TypesOf(feature));
            }

            xml.Append(CultureInfo.InvariantCulture,
                $"    <reg name=\"{register.Name}\" bitsize=\"{register.BitSize}\" type=\"{register.Type}\" regnum=\"{register.Number}\"");
            if (register.Group is not null)
            {
                xml.Append(CultureInfo.InvariantCulture, $" group=\"{register.Group}\"");
            }

            xml.Append("/>\n");
        }

        if (feature is not null)
        {
            xml.Append("  </feature>\n");
        }

        xml.Append("</target>\n");
        return xml.ToString();
    }
}
