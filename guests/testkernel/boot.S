/* SharpVmm test kernel: Multiboot v1 entry, GDT, and the AP real-mode trampoline. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, want memory info */
#define TRAMPOLINE 0x8000
#define TR(x) ((x) - trampoline_start + TRAMPOLINE)

    .section .multiboot, "a"
    .balign 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, %esi                 /* multiboot magic */
    movl %ebx, %edx                 /* multiboot info */
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    /* zero .bss (the stacks live there) */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb
    movl $bsp_stack_top, %esp
    pushl %edx
    pushl %esi
    call kmain
halt_forever:
    cli
    hlt
    jmp halt_forever

/* The APs arrive here in 32-bit protected mode from the trampoline. */
ap_entry32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $1, %eax
    lock xaddl %eax, ap_stack_next  /* eax = this AP's stack number (1, 2, ...) */
    andl $(AP_MAX_STACKS - 1), %eax
    incl %eax
    shll $12, %eax
    addl $ap_stacks, %eax
    movl %eax, %esp
    call ap_main
    jmp halt_forever

    .set AP_MAX_STACKS, 32

/* Real-mode trampoline, copied to TRAMPOLINE; the SIPI vector is TRAMPOLINE >> 12 (CS = 0x800, IP = 0). */
    .globl trampoline_start, trampoline_end
    .code16
trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl TR(tramp_gdt_desc)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $ap_entry32
    .balign 8
tramp_gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
trampoline_end:
    .code32

    .data
    .balign 8
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: flat 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: flat 32-bit data */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
ap_stack_next:
    .long 0

    .bss
    .balign 4096
bsp_stack:
    .skip 16384
bsp_stack_top:
ap_stacks:
    .skip 4096 * (AP_MAX_STACKS + 1)
    .section .note.GNU-stack, "", @progbits
