namespace SharpVmm.Gdb;

/// <summary>
/// The target-description features the x86 layouts use: gdb's own (it looks registers up by these names and checks
/// them) and one of ours for the system registers, with the types each feature's registers need declared in it.
/// </summary>
internal static class GdbFeatures
{
    /// <summary>General, segment and x87 registers, in the order gdb's i386/amd64 code numbers them.</summary>
    public const string Core = "org.gnu.gdb.i386.core";

    /// <summary>XMM registers and MXCSR.</summary>
    public const string Sse = "org.gnu.gdb.i386.sse";

    /// <summary>The FS and GS bases (x86-64).</summary>
    public const string Segments = "org.gnu.gdb.i386.segments";

    /// <summary>Ours: control registers and EFER, which gdb's x86 descriptions leave out.</summary>
    public const string System = "org.sharpvmm.x86.system";

    /// <summary>The type declarations <paramref name="feature"/>'s registers refer to (empty when they use gdb's built-in types).</summary>
    public static string TypesOf(string feature) => feature switch
    {
        Core => CoreTypes,
        Sse => SseTypes,
        System => SystemTypes,
        _ => "",
    };

    private const string CoreTypes = """
            <flags id="i386_eflags" size="4">
              <field name="CF" start="0" end="0"/>
              <field name="PF" start="2" end="2"/>
              <field name="AF" start="4" end="4"/>
              <field name="ZF" start="6" end="6"/>
              <field name="SF" start="7" end="7"/>
              <field name="TF" start="8" end="8"/>
              <field name="IF" start="9" end="9"/>
              <field name="DF" start="10" end="10"/>
              <field name="OF" start="11" end="11"/>
              <field name="IOPL" start="12" end="13"/>
              <field name="NT" start="14" end="14"/>
              <field name="RF" start="16" end="16"/>
              <field name="VM" start="17" end="17"/>
              <field name="AC" start="18" end="18"/>
              <field name="VIF" start="19" end="19"/>
              <field name="VIP" start="20" end="20"/>
              <field name="ID" start="21" end="21"/>
            </flags>

        """;

    private const string SseTypes = """
            <vector id="f32x4" type="ieee_single" count="4"/>
            <vector id="f64x2" type="ieee_double" count="2"/>
            <vector id="i8x16" type="int8" count="16"/>
            <vector id="i16x8" type="int16" count="8"/>
            <vector id="i32x4" type="int32" count="4"/>
            <vector id="i64x2" type="int64" count="2"/>
            <union id="vec128">
              <field name="v4_float" type="f32x4"/>
              <field name="v2_double" type="f64x2"/>
              <field name="v16_int8" type="i8x16"/>
              <field name="v8_int16" type="i16x8"/>
              <field name="v4_int32" type="i32x4"/>
              <field name="v2_int64" type="i64x2"/>
              <field name="uint128" type="uint128"/>
            </union>
            <flags id="i386_mxcsr" size="4">
              <field name="IE" start="0" end="0"/>
              <field name="DE" start="1" end="1"/>
              <field name="ZE" start="2" end="2"/>
              <field name="OE" start="3" end="3"/>
              <field name="UE" start="4" end="4"/>
              <field name="PE" start="5" end="5"/>
              <field name="DAZ" start="6" end="6"/>
              <field name="IM" start="7" end="7"/>
              <field name="DM" start="8" end="8"/>
              <field name="ZM" start="9" end="9"/>
              <field name="OM" start="10" end="10"/>
              <field name="UM" start="11" end="11"/>
              <field name="PM" start="12" end="12"/>
              <field name="RC" start="13" end="14"/>
              <field name="FZ" start="15" end="15"/>
            </flags>

        """;

    private const string SystemTypes = """
            <flags id="x86_cr0" size="8">
              <field name="PE" start="0" end="0"/>
              <field name="MP" start="1" end="1"/>
              <field name="EM" start="2" end="2"/>
              <field name="TS" start="3" end="3"/>
              <field name="ET" start="4" end="4"/>
              <field name="NE" start="5" end="5"/>
              <field name="WP" start="16" end="16"/>
              <field name="AM" start="18" end="18"/>
              <field name="NW" start="29" end="29"/>
              <field name="CD" start="30" end="30"/>
              <field name="PG" start="31" end="31"/>
            </flags>
            <flags id="x86_cr4" size="8">
              <field name="VME" start="0" end="0"/>
              <field name="PVI" start="1" end="1"/>
              <field name="TSD" start="2" end="2"/>
              <field name="DE" start="3" end="3"/>
              <field name="PSE" start="4" end="4"/>
              <field name="PAE" start="5" end="5"/>
              <field name="MCE" start="6" end="6"/>
              <field name="PGE" start="7" end="7"/>
              <field name="PCE" start="8" end="8"/>
              <field name="OSFXSR" start="9" end="9"/>
              <field name="OSXMMEXCPT" start="10" end="10"/>
              <field name="UMIP" start="11" end="11"/>
              <field name="LA57" start="12" end="12"/>
              <field name="VMXE" start="13" end="13"/>
              <field name="SMXE" start="14" end="14"/>
              <field name="FSGSBASE" start="16" end="16"/>
              <field name="PCIDE" start="17" end="17"/>
              <field name="OSXSAVE" start="18" end="18"/>
              <field name="SMEP" start="20" end="20"/>
              <field name="SMAP" start="21" end="21"/>
              <field name="PKE" start="22" end="22"/>
            </flags>
            <flags id="x86_efer" size="8">
              <field name="SCE" start="0" end="0"/>
              <field name="LME" start="8" end="8"/>
              <field name="LMA" start="10" end="10"/>
              <field name="NXE" start="11" end="11"/>
              <field name="SVME" start="12" end="12"/>
              <field name="FFXSR" start="14" end="14"/>
            </flags>

        """;
}
