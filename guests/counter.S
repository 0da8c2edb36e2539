# A guest that counts in its own memory (16-bit real mode), for snapshot tests.
# Loaded at guest-physical 0x10000 and entered at 1000:0000: adds one to the 32-bit counter at `counter`, prints it
# as eight hex digits and a newline on COM1 (port 0x3f8), waits a while, and again, forever. Its output is the
# sequence 00000001, 00000002, ... so a restored copy that goes on from the next value is easy to check.
    .code16
    .text
    .globl _start
_start:
    movw %cs, %ax
    movw %ax, %ds
next:
    incl counter
    movl counter, %esi
    movw $0x3f8, %dx
    movw $8, %cx
digit:
    roll $4, %esi
    movw %si, %bx
    andw $0xf, %bx
    movb hex(%bx), %al
    outb %al, %dx
    loop digit
    movb $0x0a, %al
    outb %al, %dx
    movl $0x20000, %ecx
wait:
    decl %ecx
    jnz wait
    jmp next
hex:
    .ascii "0123456789abcdef"
    .balign 4
counter:
    .long 0
