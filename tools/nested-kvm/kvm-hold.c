/*
 * kvm-hold: keeps two idle KVM VMs open inside the nested-KVM VM for as long as it runs (its /init starts it before
 * anything else uses /dev/kvm), so that the VM's kernel never toggles the static keys KVM holds while a VM exists.
 *
 * Why (docs/testing.md, "A nested VM that hangs"): creating the first KVM VM, or destroying the last one, flips
 * static keys such as the scheduler's preempt notifiers, which Linux does by patching its own running code with
 * int3 breakpoints (text_poke_bp). Under QEMU's multi-threaded TCG the other emulated CPU can go on executing the
 * stale breakpoint for ever: both CPUs end up looping through int3 in __schedule and finish_task_switch, and the VM
 * hangs. With one VM always open, the count behind each key never returns to zero.
 *
 * One VM has an in-kernel irqchip and a vCPU whose local APIC stays software-disabled (the keys for preempt notifiers,
 * KVM's use count and apic_sw_disabled); the other has a vCPU without an in-kernel APIC (kvm_has_noapic_vcpu, which
 * the classic demos' VMs raise). Neither vCPU ever runs.
 *
 * `kvm-hold --churn N` instead creates and destroys N VMs, each with a vCPU and every other one with an irqchip, and
 * exits: the check that the hold works (docs/testing.md gives the commands and what they showed).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int must(int result, const char *what)
{
    if (result < 0) {
        fprintf(stderr, "kvm-hold: %s: %s\n", what, strerror(errno));
        _exit(1);
    }
    return result;
}

static int churn(int kvm, int count)
{
    for (int i = 0; i < count; i++) {
        int vm = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
        if (i % 2) {
            must(ioctl(vm, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
        }
        close(must(ioctl(vm, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU"));
        close(vm);
        if ((i + 1) % 500 == 0 || i + 1 == count) {
            printf("kvm-hold: %d VMs created and destroyed\n", i + 1);
            fflush(stdout);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int kvm = must(open("/dev/kvm", O_RDWR | O_CLOEXEC), "open /dev/kvm");
    if (argc == 3 && strcmp(argv[1], "--churn") == 0) {
        return churn(kvm, atoi(argv[2]));
    }

    int with_irqchip = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
    must(ioctl(with_irqchip, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP");
    must(ioctl(with_irqchip, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU (in-kernel APIC)");

    int without_irqchip = must(ioctl(kvm, KVM_CREATE_VM, 0), "KVM_CREATE_VM");
    must(ioctl(without_irqchip, KVM_CREATE_VCPU, 0), "KVM_CREATE_VCPU (no in-kernel APIC)");

    printf("kvm-hold: holding two idle KVM VMs\n");
    fflush(stdout);
    for (;;) {
        pause();
    }
}
