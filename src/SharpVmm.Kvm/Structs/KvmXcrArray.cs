using System.Runtime.CompilerServices;

namespace SharpVmm.Kvm.Structs;

/// <summary>The <c>KVM_MAX_XCRS</c> (16) entries of <see cref="KvmXcrs.Xcrs"/>.</summary>
[InlineArray(KvmXcrs.MaxXcrs)]
public struct KvmXcrArray
{
    private KvmXcr _element;
}
