#!/usr/bin/env python3
"""Writes the seed corpus, fuzz/corpus/TARGET/*: small inputs that each harness accepts and that reach past its first
checks (a loadable image, a driver bringing a device up). Run it again after changing an input format; the files are
committed. Input formats: fuzz/SharpVmm.Fuzz/Targets/*.cs (each class's summary) and AccessScript.cs."""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
READ, WRITE, ACTION = 0, 1, 2


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def op(kind, width=1, extra=0):
    return bytes([kind | ({1: 0, 2: 1, 4: 2, 8: 3}[width] << 2) | (extra << 4)])


def access(kind, offset, offset_bytes, width=1, value=0, extra=0):
    out = op(kind, width, extra) + offset.to_bytes(offset_bytes, "little")
    if kind == WRITE:
        out += value.to_bytes(width, "little")
    return out


# ---- loaders ----------------------------------------------------------------------------------------------------
def bzimage(version=0x020F, init_size=0x10000, relocatable=1, kernel=b"\x90" * 512):
    setup = bytearray(0x400)  # boot sector + 1 setup sector
    setup[0x1F1] = 1  # setup_sects
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)
    setup[0x201] = 0x6A  # header runs to 0x26C
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, version)
    setup[0x211] = 0x01  # LOADED_HIGH
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)  # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)  # kernel_alignment
    setup[0x234] = relocatable
    struct.pack_into("<H", setup, 0x236, 0x3)  # XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G
    struct.pack_into("<I", setup, 0x238, 2047)  # cmdline_size
    struct.pack_into("<Q", setup, 0x258, 0x1000000)  # pref_address
    struct.pack_into("<I", setup, 0x260, init_size)
    return bytes(setup) + kernel


def elf64(notes, paddr=0x100000, code=b"\xf4" * 64, machine=62):
    ehsize, phsize = 64, 56
    phoff = ehsize
    data_off = phoff + 2 * phsize
    note_off = data_off + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 2, machine, 1, paddr, phoff, 0, 0, ehsize, phsize, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, data_off, paddr, paddr, len(code), len(code) + 0x1000, 0x1000)
    note = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), len(notes), 4)
    return header + load + note + code + notes


def xen_note(entry, size=4):
    desc = entry.to_bytes(size, "little")
    return struct.pack("<III", 4, len(desc), 18) + b"Xen\0" + desc


def multiboot_aout(load=0x100000, entry=0x100020, bss=0x2000):
    flags = 0x00010003  # page align, memory info, a.out kludge
    magic = 0x1BADB002
    header_addr = load
    body = bytearray(256)
    end = load + len(body)
    struct.pack_into("<IIIIIIII", body, 0, magic, flags, (-(magic + flags)) & 0xFFFFFFFF,
                     header_addr, load, end, end + bss, entry)
    body[0x20:0x22] = b"\xeb\xfe"
    return bytes(body)


def multiboot_elf():
    flags = 0x00000003
    magic = 0x1BADB002
    header = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xFFFFFFFF)
    return elf64(b"", code=header + b"\xeb\xfe" * 20, machine=3)


# ---- devices -----------------------------------------------------------------------------------------------------
def uart_seed():
    s = access(WRITE, 3, 1, value=0x80) + access(WRITE, 0, 1, value=0x01) + access(WRITE, 1, 1, value=0)
    s += access(WRITE, 3, 1, value=0x03) + access(WRITE, 2, 1, value=0xC7) + access(WRITE, 1, 1, value=0x0F)
    s += access(WRITE, 4, 1, value=0x0B) + b"".join(access(WRITE, 0, 1, value=c) for c in b"hi\n")
    s += op(ACTION, 1, 3) + bytes([0]) + access(READ, 5, 1) + access(READ, 2, 1) + access(READ, 0, 1) * 3
    s += access(WRITE, 4, 1, value=0x10) + access(WRITE, 0, 1, value=0x55) + access(READ, 0, 1) + access(READ, 6, 1)
    return s


def i8042_seed():
    s = access(WRITE, 4, 1, value=0xAA) + access(READ, 4, 1) + access(READ, 0, 1)
    s += access(WRITE, 4, 1, value=0x60) + access(WRITE, 0, 1, value=0x47)
    s += access(WRITE, 0, 1, value=0xFF) + access(READ, 0, 1) * 2 + access(WRITE, 0, 1, value=0xF4) + access(READ, 0, 1)
    s += op(ACTION, 1, 2) + bytes([1]) + access(READ, 4, 1) + access(READ, 0, 1) * 3
    s += access(WRITE, 4, 1, value=0xD4) + access(WRITE, 0, 1, value=0xF2) + access(READ, 0, 1) + access(WRITE, 4, 1, value=0xFE)
    return s


def cmos_seed():
    s = bytes([3]) + (512 << 8).to_bytes(4, "little") + (0).to_bytes(4, "little")
    for reg in (0x0A, 0x0B, 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32, 0x0C, 0x0D, 0x34, 0x35):
        s += access(WRITE, 0, 1, value=reg) + access(READ, 1, 1)
    s += access(WRITE, 0, 1, value=0x0B) + access(WRITE, 1, 1, value=0x86)  # SET, binary, 24h
    s += access(WRITE, 0, 1, value=0x00) + access(WRITE, 1, 1, value=30)
    s += access(WRITE, 0, 1, value=0x01) + access(WRITE, 1, 1, value=0xFF)  # alarm seconds: don't care
    s += access(WRITE, 0, 1, value=0x0B) + access(WRITE, 1, 1, value=0x26)  # AIE, binary, 24h
    s += op(ACTION, 1, 5) + bytes([1]) + access(WRITE, 0, 1, value=0x0C) + access(READ, 1, 1)
    s += op(ACTION, 1, 12) + bytes([0]) + access(WRITE, 0, 1, value=0x00) + access(READ, 1, 1)
    return s


def fwcfg_seed():
    s = bytes([2, 0, 1, 2])
    for key in (0x0000, 0x0001, 0x0005, 0x0019, 0x0008, 0x0011, 0x0014, 0x0017, 0x0018):
        s += access(WRITE, 0, 1, width=2, value=key) + access(READ, 1, 1) * 6
    s += access(WRITE, 0, 1, width=2, value=0x0020) + access(READ, 1, 1) * 4 + access(READ, 0, 1, width=4)
    return s


def acpi_seed():
    s = access(READ, 0, 1, width=2) + access(WRITE, 2, 1, width=2, value=0x0121) + op(ACTION, 1, 0) + bytes([0])
    s += access(READ, 0, 1, width=2) + access(WRITE, 0, 1, width=2, value=0x0100) + access(READ, 8, 1, width=4)
    s += op(ACTION, 1, 10) + bytes([3]) + access(READ, 8, 1, width=4) + access(WRITE, 4, 1, width=2, value=0x3401)
    s += op(ACTION, 1, 1) + bytes([8]) + access(READ, 4, 1, width=2) + access(WRITE, 12, 1, value=0x0E)
    s += access(WRITE, 4, 1, width=2, value=0x2401)
    return s


def emulator_seed(mode, instruction, window=b""):
    regs = struct.pack("<QQQQ", 0x1111, 0x2222, 0x3333, 0x4444) + b"".join(struct.pack("<H", 0x200) for _ in range(12))
    return (bytes([mode]) + struct.pack("<HIH", 0x0202, 0x1F80, 0x100) + regs + bytes([len(instruction)])
            + instruction.ljust(15, b"\0") + window)


# ---- virtio: a driver bringing queue 0 up and submitting one chain ------------------------------------------------
DESC, AVAIL, USED, BUF = 0x1000, 0x2000, 0x3000, 0x4000


def memory_store(address, value):
    return op(ACTION, 1, 0) + (address // 8).to_bytes(2, "little") + value.to_bytes(8, "little")


def rings(queue):
    """Where queue QUEUE's descriptor table, rings and buffers lie; all in the first 32 KiB, which the stores of an
    mmio input reach (their offset is taken modulo the 4 KiB window, times 8)."""
    return DESC + 0x200 * queue, AVAIL + 0x100 * queue, USED + 0x100 * queue, BUF + 0x400 * queue


def ring_with_chain(request, queue=0):
    """Guest-memory stores for one chain at avail 0 of QUEUE: REQUEST readable, if any, then 512 bytes writable."""
    desc, avail, _, buf = rings(queue)
    s = b""
    for i in range(0, len(request), 8):
        s += memory_store(buf + i, int.from_bytes(request[i:i + 8].ljust(8, b"\0"), "little"))
    if request:
        s += memory_store(desc, buf) + memory_store(desc + 8, len(request) | (1 << 32) | (1 << 48))  # NEXT, next = 1
    s += memory_store(desc + 16 if request else desc, buf + 0x100)
    s += memory_store(desc + 24 if request else desc + 8, 512 | (2 << 32))  # WRITE
    # flags 0, idx 1, ring[0] = 0. (A store is 8-byte aligned: one at avail + 4 would land on avail and undo this.)
    s += memory_store(avail, 1 << 16)
    return s


def mmio_seed(device, request, queue=0, queues=1):
    """A driver bringing queues 0 to QUEUES - 1 up (each but QUEUE with one writable buffer) and submitting REQUEST on
    QUEUE."""
    w = lambda off, val: access(WRITE, off, 2, width=4, value=val)
    s = bytes([device]) + access(READ, 0, 2, width=4) + access(READ, 8, 2, width=4)
    s += w(0x70, 0) + w(0x70, 1) + w(0x70, 3) + w(0x14, 1) + access(READ, 0x10, 2, width=4) + w(0x24, 1) + w(0x20, 1)
    s += w(0x24, 0) + w(0x70, 11) + access(READ, 0x70, 2, width=4)
    for q in [q for q in range(queues) if q != queue] + [queue]:
        desc, avail, used, _ = rings(q)
        s += w(0x30, q) + access(READ, 0x34, 2, width=4) + w(0x38, 8)
        s += w(0x80, desc) + w(0x84, 0) + w(0x90, avail) + w(0x94, 0) + w(0xA0, used) + w(0xA4, 0) + w(0x44, 1)
    s += w(0x70, 15)
    for q in [q for q in range(queues) if q != queue]:
        s += ring_with_chain(b"", q) + w(0x50, q)
    s += ring_with_chain(request, queue) + w(0x50, queue) + op(ACTION, 1, 1) + b"\0\0"
    s += access(READ, 0x60, 2, width=4) + w(0x64, 1) + access(READ, 0x100, 2, width=8) + access(READ, 0xFC, 2, width=4)
    return s


def pci_seed(device, request, queue=0, queues=1):
    """As mmio_seed, through BAR 0's common configuration and notification registers."""
    w = lambda off, val, width=4: access(WRITE, off, 2, width=width, value=val)
    s = bytes([device])
    s += op(ACTION, 2, 2) + (0).to_bytes(2, "little") + op(ACTION, 2, 6) + (4).to_bytes(2, "little") + (6).to_bytes(2, "little")
    s += op(ACTION, 1, 2) + (0x34).to_bytes(2, "little")
    s += w(0x14, 0, 1) + w(0x14, 1, 1) + w(0x14, 3, 1) + w(0x00, 0) + access(READ, 0x04, 2, width=4) + w(0x08, 1) + w(0x0C, 1)
    s += w(0x08, 0) + w(0x0C, 0) + w(0x14, 11, 1) + w(0x10, 0, 2)
    for q in [q for q in range(queues) if q != queue] + [queue]:
        desc, avail, used, _ = rings(q)
        s += w(0x16, q, 2) + access(READ, 0x18, 2, width=2)
        s += w(0x18, 8, 2) + w(0x1A, 0, 2) + w(0x20, desc) + w(0x24, 0) + w(0x28, avail) + w(0x2C, 0) + w(0x30, used)
        s += w(0x34, 0) + w(0x1C, 1, 2) + access(READ, 0x1E, 2, width=2)
    s += w(0x14, 15, 1)
    for q in [q for q in range(queues) if q != queue]:
        s += ring_with_chain(b"", q) + w(0x3000 + 4 * q, q, 2)
    s += ring_with_chain(request, queue)
    s += w(0x3000 + 4 * queue, queue, 2) + op(ACTION, 1, 1) + b"\0\0" + access(READ, 0x1000, 2) + access(READ, 0x2000, 2, width=4)
    s += w(0x4000, 0xFEE00000) + w(0x400C, 0) + access(READ, 0x4800, 2, width=8)
    return s


def pci_config_seed():
    def cfg(bdf_reg, width=4, value=None):
        s = access(WRITE, 0, 3, width=4, value=0x80000000 | bdf_reg)
        if value is None:
            return s + access(READ, 4 + (bdf_reg & 3), 3, width=width)
        return s + access(WRITE, 4 + (bdf_reg & 3), 3, width=width, value=value)
    s = b""
    for dev in (0, 1, 2, 3):
        s += cfg(dev << 11) + cfg((dev << 11) | 0x08) + cfg((dev << 11) | 0x0E, 1)
    s += cfg((1 << 11) | 0x10, value=0xFFFFFFFF) + cfg((1 << 11) | 0x10) + cfg((1 << 11) | 0x10, value=0xC0100000)
    s += cfg((1 << 11) | 0x04, 2, 0x0006) + cfg((1 << 11) | 0x34, 1) + cfg((1 << 11) | 0x40)
    s += op(READ, 4, 1) + (0x100000).to_bytes(3, "little") + op(READ, 1, 1) + (0x100014).to_bytes(3, "little")
    s += cfg((2 << 11) | 0x14, value=0xC0000000) + op(ACTION, 4, 2) + (0x200000).to_bytes(3, "little")
    return s


def main():
    put("bzimage", "minimal-2.15", bzimage())
    put("bzimage", "old-2.06", bzimage(version=0x0206, init_size=0))
    put("bzimage", "fixed-address", bzimage(relocatable=0))
    put("elf-pvh", "pvh-note-32", elf64(xen_note(0x100000)))
    put("elf-pvh", "pvh-note-64", elf64(xen_note(0x100010, 8)))
    put("elf-pvh", "no-note", elf64(b""))
    put("multiboot", "aout-kludge", multiboot_aout())
    put("multiboot", "elf", multiboot_elf())
    virtqueue = bytearray(b"\x03" + struct.pack("<HHHH", 8, 0x10, 0x20, 0x30) + bytes(0x700))
    struct.pack_into("<QIHH", virtqueue, 9 + 0x100, 0x400, 64, 1, 1)  # readable, NEXT -> 1
    struct.pack_into("<QIHH", virtqueue, 9 + 0x110, 0x380, 32, 4 | 2, 0)  # INDIRECT: a table of two at 0x380
    struct.pack_into("<QIHH", virtqueue, 9 + 0x120, 0x500, 32, 2, 0)  # writable
    struct.pack_into("<QIHH", virtqueue, 9 + 0x380, 0x600, 16, 2 | 1, 1)
    struct.pack_into("<QIHH", virtqueue, 9 + 0x390, 0x680, 16, 2, 0)
    struct.pack_into("<HHHH", virtqueue, 9 + 0x200, 0, 2, 0, 2)  # flags, idx 2, ring: 0, 2
    put("virtqueue", "direct-indirect", bytes(virtqueue))
    blk_read = struct.pack("<IIQ", 0, 0, 1)
    # net: a virtio_net_hdr_v1 and a broadcast ARP request on the transmit queue; the loopback back-end returns it.
    net_frame = bytes(12) + b"\xff" * 6 + b"\x06\0\0\0\0\x01" + b"\x08\x06" + bytes(28)
    # vsock: a connection request from guest port 1234 to the host's port 1024, where the harness's echo listener is.
    vsock_request = struct.pack("<QQIIIHHIII", 3, 2, 1234, 1024, 0, 1, 1, 0, 65536, 0)
    # balloon: three page frame numbers on the inflate queue.
    balloon_pfns = struct.pack("<III", 0x10, 0x11, 0x80)
    for name, device, request, queue, queues in (
            ("rng", 0, b"", 0, 1), ("blk-read", 1, blk_read, 0, 1), ("console", 2, b"hello", 0, 1),
            ("net-tx", 3, net_frame, 1, 2), ("vsock-connect", 4, vsock_request, 1, 3),
            ("balloon-inflate", 5, balloon_pfns, 0, 2)):
        put("virtio-mmio", name, mmio_seed(device, request, queue, queues))
        put("virtio-pci", name, pci_seed(device, request, queue, queues))
    put("pci-config", "enumerate-and-map", pci_config_seed())
    put("uart", "init-and-echo", uart_seed())
    put("i8042", "self-test-and-keyboard", i8042_seed())
    put("cmos-rtc", "read-set-alarm", cmos_seed())
    put("fw-cfg", "signature-and-items", fwcfg_seed())
    put("acpi-pm", "button-timer-sleep", acpi_seed())
    put("instruction-emulator", "int3-64", emulator_seed(0x07, b"\xcc"))
    put("instruction-emulator", "cmpxchg16b-64", emulator_seed(0x07, b"\xf0\x48\x0f\xc7\x0e"))
    put("instruction-emulator", "ldmxcsr-32", emulator_seed(0x09, b"\x0f\xae\x16"))
    put("instruction-emulator", "popcnt-16", emulator_seed(0x00, b"\xf3\x0f\xb8\xc3"))
    put("instruction-emulator", "stac-user", emulator_seed(0x67, b"\x0f\x01\xcb"))


if __name__ == "__main__":
    main()
