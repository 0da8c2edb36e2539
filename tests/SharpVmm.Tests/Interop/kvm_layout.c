/* Prints the layout of the <linux/kvm.h> structures and ioctl numbers SharpVmm.Kvm mirrors, one
 * "kind name value" line each, for KvmLayoutTests to compare with the C# definitions. */
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>

#define SIZE(t) printf("size %s %zu\n", #t, sizeof(struct t))
#define OFF(t, f) printf("offset %s.%s %zu\n", #t, #f, offsetof(struct t, f))
#define IOCTL(n) printf("ioctl %s %lu\n", #n, (unsigned long)(n))
#define CONST(n) printf("const %s %ld\n", #n, (long)(n))

int main(void)
{
    SIZE(kvm_run); SIZE(kvm_regs); SIZE(kvm_sregs); SIZE(kvm_segment); SIZE(kvm_dtable); SIZE(kvm_fpu);
    SIZE(kvm_userspace_memory_region); SIZE(kvm_cpuid2); SIZE(kvm_cpuid_entry2); SIZE(kvm_msrs); SIZE(kvm_msr_entry);
    SIZE(kvm_vcpu_events); SIZE(kvm_lapic_state); SIZE(kvm_pit_config); SIZE(kvm_irq_level); SIZE(kvm_guest_debug);
    SIZE(kvm_translation); SIZE(kvm_mp_state); SIZE(kvm_enable_cap); SIZE(kvm_ioeventfd); SIZE(kvm_coalesced_mmio_zone); SIZE(kvm_irqfd); SIZE(kvm_msi);
    SIZE(kvm_irq_routing); SIZE(kvm_irq_routing_entry);
    SIZE(kvm_xsave); SIZE(kvm_xcrs); SIZE(kvm_xcr); SIZE(kvm_debugregs); SIZE(kvm_msr_list); SIZE(kvm_pit_state2);
    SIZE(kvm_pit_channel_state); SIZE(kvm_clock_data); SIZE(kvm_dirty_log);

    OFF(kvm_run, request_interrupt_window); OFF(kvm_run, immediate_exit); OFF(kvm_run, exit_reason);
    OFF(kvm_run, ready_for_interrupt_injection); OFF(kvm_run, if_flag); OFF(kvm_run, flags); OFF(kvm_run, cr8);
    OFF(kvm_run, apic_base); OFF(kvm_run, io); OFF(kvm_run, io.direction); OFF(kvm_run, io.size); OFF(kvm_run, io.port);
    OFF(kvm_run, io.count); OFF(kvm_run, io.data_offset); OFF(kvm_run, mmio.phys_addr); OFF(kvm_run, mmio.data);
    OFF(kvm_run, mmio.len); OFF(kvm_run, mmio.is_write); OFF(kvm_run, fail_entry.hardware_entry_failure_reason);
    OFF(kvm_run, fail_entry.cpu); OFF(kvm_run, internal.suberror); OFF(kvm_run, internal.ndata); OFF(kvm_run, internal.data);
    OFF(kvm_run, emulation_failure.suberror); OFF(kvm_run, emulation_failure.ndata);
    OFF(kvm_run, emulation_failure.flags); OFF(kvm_run, emulation_failure.insn_size); OFF(kvm_run, emulation_failure.insn_bytes);
    OFF(kvm_run, system_event.type); OFF(kvm_run, system_event.ndata); OFF(kvm_run, system_event.data);
    OFF(kvm_run, hw.hardware_exit_reason); OFF(kvm_run, debug.arch.exception); OFF(kvm_run, debug.arch.pc);
    OFF(kvm_run, debug.arch.dr6); OFF(kvm_run, debug.arch.dr7);
    OFF(kvm_run, kvm_valid_regs); OFF(kvm_run, kvm_dirty_regs); OFF(kvm_run, s.regs.regs); OFF(kvm_run, s.regs.sregs);

    OFF(kvm_regs, rax); OFF(kvm_regs, rbx); OFF(kvm_regs, rsp); OFF(kvm_regs, r8); OFF(kvm_regs, r15); OFF(kvm_regs, rip); OFF(kvm_regs, rflags);
    OFF(kvm_segment, base); OFF(kvm_segment, limit); OFF(kvm_segment, selector); OFF(kvm_segment, type); OFF(kvm_segment, present);
    OFF(kvm_segment, dpl); OFF(kvm_segment, db); OFF(kvm_segment, s); OFF(kvm_segment, l); OFF(kvm_segment, g);
    OFF(kvm_segment, avl); OFF(kvm_segment, unusable);
    OFF(kvm_dtable, base); OFF(kvm_dtable, limit);
    OFF(kvm_sregs, cs); OFF(kvm_sregs, ds); OFF(kvm_sregs, es); OFF(kvm_sregs, fs); OFF(kvm_sregs, gs); OFF(kvm_sregs, ss);
    OFF(kvm_sregs, tr); OFF(kvm_sregs, ldt); OFF(kvm_sregs, gdt); OFF(kvm_sregs, idt); OFF(kvm_sregs, cr0); OFF(kvm_sregs, cr2);
    OFF(kvm_sregs, cr3); OFF(kvm_sregs, cr4); OFF(kvm_sregs, cr8); OFF(kvm_sregs, efer); OFF(kvm_sregs, apic_base);
    OFF(kvm_sregs, interrupt_bitmap);
    OFF(kvm_fpu, fpr); OFF(kvm_fpu, fcw); OFF(kvm_fpu, fsw); OFF(kvm_fpu, ftwx); OFF(kvm_fpu, last_opcode); OFF(kvm_fpu, last_ip);
    OFF(kvm_fpu, last_dp); OFF(kvm_fpu, xmm); OFF(kvm_fpu, mxcsr);
    OFF(kvm_userspace_memory_region, slot); OFF(kvm_userspace_memory_region, flags); OFF(kvm_userspace_memory_region, guest_phys_addr);
    OFF(kvm_userspace_memory_region, memory_size); OFF(kvm_userspace_memory_region, userspace_addr);
    OFF(kvm_cpuid2, nent); OFF(kvm_cpuid2, entries);
    OFF(kvm_cpuid_entry2, function); OFF(kvm_cpuid_entry2, index); OFF(kvm_cpuid_entry2, flags); OFF(kvm_cpuid_entry2, eax);
    OFF(kvm_cpuid_entry2, ebx); OFF(kvm_cpuid_entry2, ecx); OFF(kvm_cpuid_entry2, edx);
    OFF(kvm_msrs, nmsrs); OFF(kvm_msrs, entries); OFF(kvm_msr_entry, index); OFF(kvm_msr_entry, data);
    OFF(kvm_vcpu_events, exception.injected); OFF(kvm_vcpu_events, exception.nr); OFF(kvm_vcpu_events, exception.has_error_code);
    OFF(kvm_vcpu_events, exception.pending); OFF(kvm_vcpu_events, exception.error_code); OFF(kvm_vcpu_events, interrupt.injected);
    OFF(kvm_vcpu_events, interrupt.nr); OFF(kvm_vcpu_events, interrupt.soft); OFF(kvm_vcpu_events, interrupt.shadow);
    OFF(kvm_vcpu_events, nmi.injected); OFF(kvm_vcpu_events, nmi.pending); OFF(kvm_vcpu_events, nmi.masked);
    OFF(kvm_vcpu_events, sipi_vector); OFF(kvm_vcpu_events, flags); OFF(kvm_vcpu_events, smi.smm); OFF(kvm_vcpu_events, smi.pending);
    OFF(kvm_vcpu_events, smi.smm_inside_nmi); OFF(kvm_vcpu_events, smi.latched_init); OFF(kvm_vcpu_events, triple_fault.pending);
    OFF(kvm_vcpu_events, exception_has_payload); OFF(kvm_vcpu_events, exception_payload);
    OFF(kvm_lapic_state, regs); OFF(kvm_pit_config, flags); OFF(kvm_irq_level, irq); OFF(kvm_irq_level, level);
    OFF(kvm_guest_debug, control); OFF(kvm_guest_debug, arch.debugreg);
    OFF(kvm_translation, linear_address); OFF(kvm_translation, physical_address); OFF(kvm_translation, valid);
    OFF(kvm_translation, writeable); OFF(kvm_translation, usermode);
    OFF(kvm_enable_cap, cap); OFF(kvm_enable_cap, flags); OFF(kvm_enable_cap, args);
    OFF(kvm_ioeventfd, datamatch); OFF(kvm_ioeventfd, addr); OFF(kvm_ioeventfd, len); OFF(kvm_ioeventfd, fd);
    OFF(kvm_coalesced_mmio_zone, addr); OFF(kvm_coalesced_mmio_zone, size); OFF(kvm_coalesced_mmio_zone, pio);
    OFF(kvm_ioeventfd, flags); OFF(kvm_irqfd, fd); OFF(kvm_irqfd, gsi); OFF(kvm_irqfd, flags); OFF(kvm_irqfd, resamplefd);
    OFF(kvm_msi, address_lo); OFF(kvm_msi, address_hi); OFF(kvm_msi, data); OFF(kvm_msi, flags); OFF(kvm_msi, devid);
    OFF(kvm_irq_routing, nr); OFF(kvm_irq_routing, flags); OFF(kvm_irq_routing, entries);
    OFF(kvm_irq_routing_entry, gsi); OFF(kvm_irq_routing_entry, type); OFF(kvm_irq_routing_entry, flags);
    OFF(kvm_irq_routing_entry, u);
    OFF(kvm_xcrs, nr_xcrs); OFF(kvm_xcrs, flags); OFF(kvm_xcrs, xcrs); OFF(kvm_xcr, xcr); OFF(kvm_xcr, value);
    OFF(kvm_debugregs, db); OFF(kvm_debugregs, dr6); OFF(kvm_debugregs, dr7); OFF(kvm_debugregs, flags);
    OFF(kvm_msr_list, nmsrs); OFF(kvm_pit_state2, channels); OFF(kvm_pit_state2, flags);
    OFF(kvm_pit_channel_state, count); OFF(kvm_pit_channel_state, latched_count); OFF(kvm_pit_channel_state, count_latched);
    OFF(kvm_pit_channel_state, status_latched); OFF(kvm_pit_channel_state, status); OFF(kvm_pit_channel_state, read_state);
    OFF(kvm_pit_channel_state, write_state); OFF(kvm_pit_channel_state, write_latch); OFF(kvm_pit_channel_state, rw_mode);
    OFF(kvm_pit_channel_state, mode); OFF(kvm_pit_channel_state, bcd); OFF(kvm_pit_channel_state, gate);
    OFF(kvm_pit_channel_state, count_load_time);
    OFF(kvm_clock_data, clock); OFF(kvm_clock_data, flags); OFF(kvm_clock_data, realtime); OFF(kvm_clock_data, host_tsc);
    OFF(kvm_dirty_log, slot); OFF(kvm_dirty_log, dirty_bitmap);
    printf("union kvm_irq_routing_entry.u.irqchip.pin %zu\n", offsetof(struct kvm_irq_routing_entry, u.irqchip.pin));
    printf("union kvm_irq_routing_entry.u.msi.data %zu\n", offsetof(struct kvm_irq_routing_entry, u.msi.data));
    printf("member kvm_run.emulation_failure.insn_bytes %zu\n", sizeof(((struct kvm_run *)0)->emulation_failure.insn_bytes));

    IOCTL(KVM_GET_API_VERSION); IOCTL(KVM_CREATE_VM); IOCTL(KVM_CHECK_EXTENSION); IOCTL(KVM_GET_VCPU_MMAP_SIZE);
    IOCTL(KVM_GET_SUPPORTED_CPUID); IOCTL(KVM_CREATE_VCPU); IOCTL(KVM_SET_USER_MEMORY_REGION); IOCTL(KVM_SET_TSS_ADDR);
    IOCTL(KVM_SET_IDENTITY_MAP_ADDR); IOCTL(KVM_CREATE_IRQCHIP); IOCTL(KVM_IRQ_LINE); IOCTL(KVM_CREATE_PIT2);
    IOCTL(KVM_RUN); IOCTL(KVM_GET_REGS); IOCTL(KVM_SET_REGS); IOCTL(KVM_GET_SREGS); IOCTL(KVM_SET_SREGS); IOCTL(KVM_TRANSLATE);
    IOCTL(KVM_GET_MSRS); IOCTL(KVM_SET_MSRS); IOCTL(KVM_GET_FPU); IOCTL(KVM_SET_FPU); IOCTL(KVM_GET_LAPIC); IOCTL(KVM_SET_LAPIC); IOCTL(KVM_GET_MP_STATE); IOCTL(KVM_SET_MP_STATE);
    IOCTL(KVM_SET_CPUID2); IOCTL(KVM_SET_GUEST_DEBUG); IOCTL(KVM_GET_VCPU_EVENTS); IOCTL(KVM_SET_VCPU_EVENTS);
    IOCTL(KVM_ENABLE_CAP); IOCTL(KVM_SET_GSI_ROUTING); IOCTL(KVM_IRQFD); IOCTL(KVM_IOEVENTFD); IOCTL(KVM_SIGNAL_MSI);
    IOCTL(KVM_GET_MSR_INDEX_LIST); IOCTL(KVM_GET_DIRTY_LOG); IOCTL(KVM_GET_IRQCHIP); IOCTL(KVM_SET_IRQCHIP);
    IOCTL(KVM_GET_CLOCK); IOCTL(KVM_SET_CLOCK); IOCTL(KVM_GET_PIT2); IOCTL(KVM_SET_PIT2); IOCTL(KVM_GET_CPUID2);
    IOCTL(KVM_GET_DEBUGREGS); IOCTL(KVM_SET_DEBUGREGS); IOCTL(KVM_GET_TSC_KHZ); IOCTL(KVM_SET_TSC_KHZ);
    IOCTL(KVM_GET_XSAVE); IOCTL(KVM_SET_XSAVE); IOCTL(KVM_GET_XSAVE2); IOCTL(KVM_GET_XCRS); IOCTL(KVM_SET_XCRS);
    IOCTL(KVM_REGISTER_COALESCED_MMIO); IOCTL(KVM_UNREGISTER_COALESCED_MMIO);

    CONST(KVM_EXIT_UNKNOWN); CONST(KVM_EXIT_EXCEPTION); CONST(KVM_EXIT_IO); CONST(KVM_EXIT_HYPERCALL); CONST(KVM_EXIT_DEBUG);
    CONST(KVM_EXIT_HLT); CONST(KVM_EXIT_MMIO); CONST(KVM_EXIT_IRQ_WINDOW_OPEN); CONST(KVM_EXIT_SHUTDOWN); CONST(KVM_EXIT_FAIL_ENTRY);
    CONST(KVM_EXIT_INTR); CONST(KVM_EXIT_SET_TPR); CONST(KVM_EXIT_TPR_ACCESS); CONST(KVM_EXIT_NMI); CONST(KVM_EXIT_INTERNAL_ERROR);
    CONST(KVM_EXIT_SYSTEM_EVENT); CONST(KVM_EXIT_IOAPIC_EOI); CONST(KVM_EXIT_HYPERV); CONST(KVM_EXIT_X86_RDMSR);
    CONST(KVM_EXIT_X86_WRMSR); CONST(KVM_EXIT_DIRTY_RING_FULL); CONST(KVM_EXIT_X86_BUS_LOCK); CONST(KVM_EXIT_NOTIFY);
#ifdef KVM_EXIT_MEMORY_FAULT /* newer than some distributions' headers */
    CONST(KVM_EXIT_MEMORY_FAULT);
#endif
    CONST(KVM_EXIT_IO_IN); CONST(KVM_EXIT_IO_OUT);
    CONST(KVM_INTERNAL_ERROR_EMULATION); CONST(KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
    CONST(KVM_CAP_IRQCHIP); CONST(KVM_CAP_HLT); CONST(KVM_CAP_USER_MEMORY); CONST(KVM_CAP_SET_TSS_ADDR); CONST(KVM_CAP_EXT_CPUID);
    CONST(KVM_CAP_IRQ_ROUTING); CONST(KVM_CAP_NR_VCPUS); CONST(KVM_CAP_NR_MEMSLOTS); CONST(KVM_CAP_PIT); CONST(KVM_CAP_IOEVENTFD);
    CONST(KVM_CAP_SET_IDENTITY_MAP_ADDR); CONST(KVM_CAP_ADJUST_CLOCK); CONST(KVM_CAP_IRQFD); CONST(KVM_CAP_PIT2);
    CONST(KVM_CAP_VCPU_EVENTS); CONST(KVM_CAP_XSAVE); CONST(KVM_CAP_XCRS); CONST(KVM_CAP_TSC_CONTROL); CONST(KVM_CAP_MAX_VCPUS);
    CONST(KVM_CAP_SIGNAL_MSI); CONST(KVM_CAP_IMMEDIATE_EXIT); CONST(KVM_CAP_SYNC_REGS); CONST(KVM_CAP_EXIT_ON_EMULATION_FAILURE); CONST(KVM_API_VERSION);
    CONST(KVM_CAP_MP_STATE); CONST(KVM_CAP_PIT_STATE2); CONST(KVM_CAP_DEBUGREGS); CONST(KVM_CAP_SET_GUEST_DEBUG); CONST(KVM_CAP_SET_GUEST_DEBUG2); CONST(KVM_CAP_GET_TSC_KHZ); CONST(KVM_CAP_XSAVE2);
    CONST(KVM_CAP_COALESCED_MMIO); CONST(KVM_CAP_COALESCED_PIO);
    printf("ring header %zu\n", offsetof(struct kvm_coalesced_mmio_ring, coalesced_mmio));
    printf("ring entry %zu\n", sizeof(struct kvm_coalesced_mmio));
    printf("ring entry.data %zu\n", offsetof(struct kvm_coalesced_mmio, data));
    printf("flag KvmIoeventfd.FlagDatamatch %d\n", KVM_IOEVENTFD_FLAG_DATAMATCH);
    printf("flag KvmIoeventfd.FlagPio %d\n", KVM_IOEVENTFD_FLAG_PIO);
    printf("flag KvmIoeventfd.FlagDeassign %d\n", KVM_IOEVENTFD_FLAG_DEASSIGN);
    printf("flag KvmIrqfd.FlagDeassign %d\n", KVM_IRQFD_FLAG_DEASSIGN);
    printf("flag KvmIrqRoutingEntry.TypeIrqchip %d\n", KVM_IRQ_ROUTING_IRQCHIP);
    printf("flag KvmIrqRoutingEntry.TypeMsi %d\n", KVM_IRQ_ROUTING_MSI);
    printf("flag KvmIrqchip.PicMaster %d\n", KVM_IRQCHIP_PIC_MASTER);
    printf("flag KvmIrqchip.PicSlave %d\n", KVM_IRQCHIP_PIC_SLAVE);
    printf("flag KvmIrqchip.Ioapic %d\n", KVM_IRQCHIP_IOAPIC);
    return 0;
}
