namespace SharpVmm.Kvm;

/// <summary>Why <see cref="PublishedPortRunLoop.Run"/> returned.</summary>
public enum RunLoopOutcome
{
    /// <summary>An exit the loop does not answer is in <c>kvm_run</c>, for the caller to handle.</summary>
    Exit,

    /// <summary><c>KVM_RUN</c> was interrupted (EINTR or EAGAIN): a kick; no exit is pending.</summary>
    Interrupted,

    /// <summary>The loop answered its budget of exits; the last of them is completed by the next <c>KVM_RUN</c>.</summary>
    AnswersSpent,
}
