# Demo 2, the classic "kvmsample" guest (16-bit real mode).
# Loaded at guest-physical 0x10000 and entered at 1000:0000: writes an ever-increasing
# 16-bit counter to port 0x10, one port-I/O exit per iteration.
    .code16
    .text
    .globl _start
_start:
    xorw %ax, %ax
loop1:
    out %ax, $0x10
    inc %ax
    jmp loop1
