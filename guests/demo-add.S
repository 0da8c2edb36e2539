# Demo 1, the classic "add two registers" KVM guest (16-bit real mode).
# Loaded at guest-physical 0x1000 and entered with CS base 0, IP 0x1000, AX=2, BX=2:
# prints AL+BL as a digit and a newline on the serial port 0x3f8, then halts.
    .code16
    .text
    .globl _start
_start:
    mov $0x3f8, %dx
    add %bl, %al
    add $'0', %al
    out %al, (%dx)
    mov $'\n', %al
    out %al, (%dx)
    hlt
