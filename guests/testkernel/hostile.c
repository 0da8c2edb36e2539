/*
 * hostile=1: the test kernel as a hostile guest. It writes extreme values (0, all ones, the top bit alone, all but the
 * top bit, 0x80, 0x7F) at every width to the I/O ports (every one below 0x1000, where the PC's devices and the VMM's
 * ACPI blocks are, and every 64th above), to every register of each virtio-mmio device and of each PCI function's
 * configuration space; it moves each memory BAR and storms the registers behind it, hands fw_cfg DMA descriptors that
 * point outside RAM, and gives every virtqueue broken rings; it reads everything back. Then it puts COM1 back as it
 * was, prints `hostile done ...` and leaves through exit= as usual: a VMM that survived ends the run with that exit.
 *
 * Left alone, because they end or reset the machine by design, not by accident: isa-debug-exit (0xF4-0xF7), the
 * i8042 commands that pulse the reset line (0xF0-0xFF, 0xD1), the SLP_EN bit of PM1a control, the FADT's reset
 * register, port 0x92's fast reset bit and 0xCF9's reset bits; the local APIC and I/O APIC (KVM's, where a write can
 * INIT the CPU).
 */
#include "kernel.h"

#define DEBUG_EXIT 0xF4
#define COM1 0x3F8

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static const uint32_t extremes[] = { 0x00000000u, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x00000080u, 0x0000007Fu };
#define EXTREMES (sizeof extremes / sizeof extremes[0])

static uint16_t pm1a_cnt, reset_port;
static uint32_t writes, reads, broken_devices, needs_reset;
static volatile uint32_t sink;

/* The value to write to `port` instead of v, or -1 to leave the write out (see the comment at the top). */
static int64_t tame(uint16_t port, uint32_t v)
{
    uint8_t low = (uint8_t)v;
    if ((port >= DEBUG_EXIT && port < DEBUG_EXIT + 4) || (reset_port && port == reset_port)) return -1;
    if (port == 0x64 && (low >= 0xF0 || low == 0xD1)) return -1;
    if (port == 0x92) return v & ~1u;
    if (port == 0xCF9) return v & ~6u;
    if (pm1a_cnt && port == pm1a_cnt) return v & ~(1u << 13);
    if (pm1a_cnt && port == pm1a_cnt + 1) return v & ~(1u << 5);
    return v;
}

static void storm_port(uint16_t port)
{
    for (uint32_t i = 0; i < EXTREMES; i++) {
        int64_t v = tame(port, extremes[i]);
        if (v < 0) continue;
        outb(port, (uint8_t)v);
        outw(port, (uint16_t)v);
        outl(port, (uint32_t)v);
        writes += 3;
    }
    sink = inb(port) + inw(port) + inl(port);
    reads += 3;
}

/* Every register of a small region; in a larger one (a BAR) the first 256 bytes of each 4 KiB page, where virtio-pci's
   structures start, and a register every 64 bytes past them. */
static void storm_mmio(uint32_t base, uint32_t size)
{
    for (uint32_t off = 0; off < size; off += (size <= 0x1000 || (off & 0xFFF) < 0x100) ? 4 : 64) {
        for (uint32_t i = 0; i < EXTREMES; i++) {
            *(volatile uint8_t *)(base + off) = (uint8_t)extremes[i];
            *(volatile uint16_t *)(base + off) = (uint16_t)extremes[i];
            mmio_write(base + off, extremes[i]);
            writes += 3;
        }
        sink = *(volatile uint8_t *)(base + off) + *(volatile uint16_t *)(base + off) + mmio_read(base + off);
        reads += 3;
    }
}

/* Waits up to half a second for DEVICE_NEEDS_RESET (virtio 1.2, 2.1.2) in a status read by `status`, and counts it. */
static void await_needs_reset(uint32_t (*status)(uint32_t), uint32_t where, uint32_t device_id)
{
    struct timeout t;
    timeout_start(&t, 500);
    while (!(status(where) & 0x40) && !timeout_expired(&t)) pause();
    if (status(where) & 0x40) {
        needs_reset++;
    } else {
        puts_("hostile: virtio device "); putdec(device_id); puts_(" did not report its broken rings\n");
    }
    broken_devices++;
}

static uint8_t zeroed[4096] __attribute__((aligned(4096)));

static uint32_t mmio_status(uint32_t base) { return mmio_read(base + 0x070); }

/* A virtio-mmio device driven to its worst, twice: every queue (three at most) given 65535 entries whose rings lie
   beyond 4 GiB, then as many entries as offered in a zeroed page whose avail->idx claims 65535 requests; each time
   made ready, DRIVER_OK set and every queue notified. Then every register. */
static void storm_virtio_mmio(uint32_t base, uint32_t size)
{
    uint32_t id = mmio_read(base + 0x008);
    for (uint32_t a = 0; a < 2; a++) {
        mmio_write(base + 0x070, 0);                      /* Status: reset */
        mmio_write(base + 0x070, 1 | 2);                  /* ACKNOWLEDGE | DRIVER */
        mmio_write(base + 0x024, 1);                      /* DriverFeaturesSel: bits 32-63 */
        mmio_write(base + 0x020, 1);                      /* VIRTIO_F_VERSION_1 */
        mmio_write(base + 0x070, 1 | 2 | 8);              /* FEATURES_OK */
        uint32_t queues = 0;
        for (uint32_t q = 0; q < 3; q++) {
            mmio_write(base + 0x030, q);                  /* QueueSel */
            uint32_t max = mmio_read(base + 0x034);       /* QueueNumMax */
            if (!max) break;
            mmio_write(base + 0x038, a == 0 ? 0xFFFF : max);
            for (uint32_t r = 0x080; r <= 0x0A4; r += 4)  /* QueueDesc/Driver/Device, low and high */
                mmio_write(base + r, a == 0 ? 0xFFFFFFFFu : (r & 4 ? 0 : (uint32_t)zeroed));
            *(volatile uint16_t *)(zeroed + 2) = 0xFFFF;  /* avail->idx */
            mmio_write(base + 0x044, 1);                  /* QueueReady */
            queues++;
        }
        mmio_write(base + 0x070, 1 | 2 | 8 | 4);          /* DRIVER_OK */
        for (uint32_t q = 0; q < queues; q++) mmio_write(base + 0x050, q);
        writes += 6 + queues * 11;
        if (a == 1 && queues) await_needs_reset(mmio_status, base, id);
        mmio_write(base + 0x064, 0xFFFFFFFF);             /* InterruptACK */
    }
    storm_mmio(base, size);
}

static uint32_t pci_address(uint32_t bus, uint32_t dev, uint32_t fn, uint32_t reg)
{
    return 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xFC);
}

static uint32_t pci_read(uint32_t address) { outl(0xCF8, address); return inl(0xCFC); }
static void pci_write(uint32_t address, uint32_t v) { outl(0xCF8, address); outl(0xCFC, v); }

static uint32_t pci_status(uint32_t common) { return *(volatile uint8_t *)(common + 0x14); }

/* Each virtio-pci function on bus 0 driven like a virtio-mmio device above (virtio 1.2, 4.1.4): its BARs placed below
   4 GiB, its common configuration and notification area found through its capabilities, then the same two rounds of
   broken rings. */
static void storm_virtio_pci(void)
{
    uint32_t window = 0xE0000000u;
    for (uint32_t dev = 0; dev < 32; dev++) {
        uint32_t id = pci_read(pci_address(0, dev, 0, 0));
        if ((id & 0xFFFF) != 0x1AF4 || (id >> 16) < 0x1040) continue;
        uint32_t bars[6] = { 0 };
        for (uint32_t bar = 0; bar < 6; bar++) {
            uint32_t reg = pci_address(0, dev, 0, 0x10 + bar * 4), old = pci_read(reg);
            if (!old || (old & 1)) continue;
            pci_write(reg, 0xFFFFFFFF);
            uint32_t length = ~(pci_read(reg) & ~0xFu) + 1;
            window = (window + length - 1) & ~(length - 1);
            pci_write(reg, window);
            if (((old >> 1) & 3) == 2) pci_write(pci_address(0, dev, 0, 0x14 + bar * 4), 0);
            bars[bar] = window;
            window += length;
            if (((old >> 1) & 3) == 2) bar++;
        }
        pci_write(pci_address(0, dev, 0, 0x04), 0x0006);
        uint32_t common = 0, notify = 0, multiplier = 0;
        for (uint32_t cap = pci_read(pci_address(0, dev, 0, 0x34)) & 0xFC; cap; ) {
            uint32_t head = pci_read(pci_address(0, dev, 0, cap));
            if ((head & 0xFF) == 0x09) {
                uint32_t type = (head >> 24) & 0xFF, bar = pci_read(pci_address(0, dev, 0, cap + 4)) & 0xFF;
                uint32_t offset = pci_read(pci_address(0, dev, 0, cap + 8));
                if (bar < 6 && bars[bar] && type == 1) common = bars[bar] + offset;
                if (bar < 6 && bars[bar] && type == 2) {
                    notify = bars[bar] + offset;
                    multiplier = pci_read(pci_address(0, dev, 0, cap + 16));
                }
            }
            cap = (head >> 8) & 0xFC;
        }
        if (!common || !notify) continue;
        volatile uint8_t *status = (volatile uint8_t *)(common + 0x14);
        uint32_t count = *(volatile uint16_t *)(common + 0x12);
        for (uint32_t a = 0; a < 2; a++) {
            *status = 0;
            *status = 1 | 2;
            mmio_write(common + 0x08, 1); mmio_write(common + 0x0C, 1); /* VIRTIO_F_VERSION_1 */
            *status = 1 | 2 | 8;
            uint32_t queues = 0;
            for (uint32_t q = 0; q < count && q < 3; q++) {
                *(volatile uint16_t *)(common + 0x16) = (uint16_t)q;
                uint16_t max = *(volatile uint16_t *)(common + 0x18);
                if (!max) break;
                if (a == 0) *(volatile uint16_t *)(common + 0x18) = 0xFFFF;
                for (uint32_t r = 0x20; r < 0x38; r += 4) mmio_write(common + r, a == 0 ? 0xFFFFFFFFu : (r & 4 ? 0 : (uint32_t)zeroed));
                *(volatile uint16_t *)(zeroed + 2) = 0xFFFF;
                *(volatile uint16_t *)(common + 0x1C) = 1;
                queues++;
            }
            *status = 1 | 2 | 8 | 4;
            for (uint32_t q = 0; q < queues; q++) {
                *(volatile uint16_t *)(common + 0x16) = (uint16_t)q;
                uint16_t off = *(volatile uint16_t *)(common + 0x1E);
                *(volatile uint16_t *)(notify + off * multiplier) = (uint16_t)q;
            }
            writes += 6 + queues * 12;
            if (a == 1 && queues) await_needs_reset(pci_status, common, (id >> 16) - 0x1040);
        }
    }
}

/* Each PCI function on bus 0: its memory BARs moved to 0xE0000000 (and to 0, over RAM) with decoding on and the
   registers behind them stormed, then every configuration register, the command register last. */
static uint32_t storm_pci(void)
{
    uint32_t functions = 0;
    for (uint32_t dev = 0; dev < 32; dev++) {
        for (uint32_t fn = 0; fn < 8; fn++) {
            uint32_t id = pci_read(pci_address(0, dev, fn, 0));
            if ((id & 0xFFFF) == 0xFFFF) continue;
            functions++;
            for (uint32_t bar = 0; bar < 6; bar++) {
                uint32_t reg = pci_address(0, dev, fn, 0x10 + bar * 4), old = pci_read(reg);
                if (old & 1) continue; /* an I/O BAR: the port storm reaches it */
                pci_write(reg, 0xFFFFFFFF);
                uint32_t mask = pci_read(reg) & ~0xFu;
                if (!mask) continue;
                uint32_t length = ~mask + 1;
                int is64 = ((old >> 1) & 3) == 2;
                pci_write(reg, 0xE0000000u);
                if (is64) pci_write(pci_address(0, dev, fn, 0x14 + bar * 4), 0);
                pci_write(pci_address(0, dev, fn, 0x04), 0x0006); /* memory decoding and bus mastering */
                storm_mmio(0xE0000000u, length > 0x4000 ? 0x4000 : length);
                pci_write(reg, 0);
                sink = mmio_read(0x1000); /* RAM stays RAM under a BAR moved over it */
                pci_write(reg, old);
                if (is64) bar++;
            }
            for (uint32_t r = 0; r < 256; r += 4) {
                for (uint32_t i = 0; i < EXTREMES; i++) pci_write(pci_address(0, dev, fn, r), extremes[i]);
                sink = pci_read(pci_address(0, dev, fn, r));
                writes += EXTREMES;
                reads++;
            }
        }
    }
    return functions;
}

/* fw_cfg DMA (QEMU's docs/specs/fw_cfg.rst): a descriptor whose buffer lies beyond RAM and is as long as can be,
   then a descriptor address beyond RAM; each must be refused or cut short, not followed. */
static void storm_fw_cfg_dma(void)
{
    static struct { uint32_t control, length; uint32_t address_hi, address_lo; } __attribute__((aligned(16))) d;
    d.control = __builtin_bswap32((0x0019u << 16) | 0x08 | 0x02); /* select the file directory, read */
    d.length = 0xFFFFFFFFu;
    d.address_hi = 0xFFFFFFFFu;
    d.address_lo = __builtin_bswap32(0xFFFFF000u);
    outl(0x514, 0);
    outl(0x518, __builtin_bswap32((uint32_t)&d));
    sink = d.control;
    outl(0x514, 0xFFFFFFFFu);
    outl(0x518, 0xF0FFFFFFu);
    writes += 4;
}

void hostile(const char *cmdline, uint16_t pm1a_control, uint16_t acpi_reset_port)
{
    pm1a_cnt = pm1a_control;
    reset_port = acpi_reset_port;
    puts_("hostile: every port, virtio-mmio register, PCI register and BAR, and fw_cfg DMA\n");
    uint32_t bases[16], devices = 0;
    static const char key[] = "virtio_mmio.device=";
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || !memeq(p, key, sizeof key - 1)) continue;
        const char *at = p;
        while (*at && *at != '@' && *at != ' ') at++;
        if (*at != '@' || at[1] != '0' || at[2] != 'x') continue;
        uint32_t base = 0;
        for (const char *h = at + 3; (*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f'); h++)
            base = base * 16 + (uint32_t)(*h <= '9' ? *h - '0' : *h - 'a' + 10);
        if (devices < 16) bases[devices++] = base;
    }
    storm_fw_cfg_dma();
    storm_virtio_pci();
    uint32_t functions = storm_pci();
    for (uint32_t i = 0; i < devices; i++) storm_virtio_mmio(bases[i], 0x200);
    /* Every port below 0x1000, where all of the PC's devices and the VMM's ACPI blocks are, and every 64th above */
    for (uint32_t port = 0; port <= 0xFFFF; port += port < 0x1000 ? 1 : 64) storm_port((uint16_t)port);

    /* COM1 as it was: 8N1, no interrupts, no loopback, FIFO off */
    outb(COM1 + 3, 0x80); outb(COM1 + 0, 0x01); outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); outb(COM1 + 1, 0x00); outb(COM1 + 2, 0x00); outb(COM1 + 4, 0x03);
    for (int i = 0; i < 64; i++) sink = inb(COM1); /* drain what the storm left to receive */
    puts_("\nhostile done: "); putdec(writes); puts_(" writes, "); putdec(reads); puts_(" reads, ");
    putdec(functions); puts_(" PCI functions, "); putdec(devices); puts_(" virtio-mmio devices, ");
    putdec(needs_reset); puts_(" of "); putdec(broken_devices); puts_(" devices with broken rings reported DEVICE_NEEDS_RESET\n");
}
