/* SharpVmm test kernel: checks the Multiboot handoff, fw_cfg, ACPI, the PM timer and SMP start-up, then exits
 * through isa-debug-exit or ACPI S5. Everything is polled; no interrupts are enabled. */
#include "kernel.h"

#define COM1 0x3F8
#define DEBUG_EXIT 0xF4
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define LAPIC 0xFEE00000u
#define TRAMPOLINE 0x8000u

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

/* ---- serial ---- */
static void putc_(char c)
{
    while (!(inb(COM1 + 5) & 0x20))
        pause();
    outb(COM1, (uint8_t)c);
}
void puts_(const char *s) { while (*s) { if (*s == '\n') putc_('\r'); putc_(*s++); } }
void putdec(uint32_t v)
{
    char buf[11]; int i = 10; buf[i] = 0;
    do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    puts_(&buf[i]);
}
void puthex(uint32_t v)
{
    char buf[11] = "0x"; int n = 0;
    for (int s = 28; s >= 0; s -= 4) {
        unsigned d = (v >> s) & 0xF;
        if (d || n || s == 0) buf[2 + n++] = "0123456789abcdef"[d];
    }
    buf[2 + n] = 0;
    puts_(buf);
}
void puthex8(uint8_t v)
{
    putc_("0123456789abcdef"[v >> 4]);
    putc_("0123456789abcdef"[v & 0xF]);
}
static void putsig(const void *p) { const char *s = p; for (int i = 0; i < 4; i++) putc_(s[i]); }

__attribute__((noreturn)) static void debug_exit(uint8_t v) { outb(DEBUG_EXIT, v); for (;;) __asm__ volatile("cli; hlt"); }
void fail(const char *what) { puts_("FAIL: "); puts_(what); puts_("\n"); debug_exit(0x01); }

/* ---- strings ---- */
size_t strlen_(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
int memeq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) if (x[i] != y[i]) return 0;
    return 1;
}
/* Finds "key" (e.g. "mem=") as a whole word of the command line; returns what follows it, or NULL. */
const char *cmdline_arg(const char *cmdline, const char *key)
{
    size_t k = strlen_(key);
    for (const char *p = cmdline; *p; p++)
        if ((p == cmdline || p[-1] == ' ') && memeq(p, key, k)) return p + k;
    return NULL;
}
static int parse_u32(const char *p, uint32_t *out)
{
    if (!p || *p < '0' || *p > '9') return 0;
    uint32_t v = 0;
    while (*p >= '0' && *p <= '9') v = v * 10 + (uint32_t)(*p++ - '0');
    *out = v;
    return 1;
}
uint32_t cmdline_u32(const char *cmdline, const char *key, uint32_t fallback)
{
    uint32_t v;
    return parse_u32(cmdline_arg(cmdline, key), &v) ? v : fallback;
}
int word_is(const char *p, const char *w)
{
    size_t n = strlen_(w);
    return p && memeq(p, w, n) && (p[n] == 0 || p[n] == ' ');
}

/* ---- PM timer ---- */
static uint16_t pm_timer_port;
static uint32_t pm_read(void) { return inl(pm_timer_port) & 0xFFFFFF; }
uint32_t pm_timer_read(void) { return pm_read(); }
static void delay_us(uint32_t us)
{
    uint32_t ticks = us / 1000 * 3580 + (us % 1000) * 3580 / 1000 + 1;
    uint32_t last = pm_read(), elapsed = 0;
    while (elapsed < ticks) {
        uint32_t now = pm_read();
        elapsed += (now - last) & 0xFFFFFF;
        last = now;
        pause();
    }
}
void timeout_start(struct timeout *t, uint32_t ms)
{
    t->ticks = ms * 3580;
    t->elapsed = 0;
    t->last = pm_read();
}
int timeout_expired(struct timeout *t)
{
    uint32_t now = pm_read();
    t->elapsed += (now - t->last) & 0xFFFFFF;
    t->last = now;
    return t->elapsed >= t->ticks;
}

/* ---- ACPI ---- */
struct __attribute__((packed)) sdt_header {
    char signature[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem_id[6], oem_table_id[8];
    uint32_t oem_revision, creator_id, creator_revision;
};
static uint8_t sum8(const void *p, uint32_t n)
{
    const uint8_t *b = p; uint8_t s = 0;
    for (uint32_t i = 0; i < n; i++) s = (uint8_t)(s + b[i]);
    return s;
}
static const struct sdt_header *fadt, *madt, *dsdt;

static void check_table(const struct sdt_header *t)
{
    puts_("acpi table "); putsig(t->signature); puts_(" at "); puthex((uint32_t)t);
    puts_(" len "); putdec(t->length); puts_("\n");
    if (t->length < sizeof *t || sum8(t, t->length) != 0) { puts_("bad checksum in "); putsig(t->signature); puts_("\n"); fail("acpi table checksum"); }
    if (memeq(t->signature, "FACP", 4)) fadt = t;
    if (memeq(t->signature, "APIC", 4)) madt = t;
}

static void check_acpi(void)
{
    const uint8_t *rsdp = NULL;
    for (uint32_t a = 0xE0000; a < 0x100000; a += 16)
        if (memeq((const void *)a, "RSD PTR ", 8)) { rsdp = (const uint8_t *)a; break; }
    if (!rsdp) fail("no RSDP in 0xE0000-0xFFFFF");
    puts_("rsdp at "); puthex((uint32_t)rsdp); puts_(" revision "); putdec(rsdp[15]); puts_("\n");
    if (sum8(rsdp, 20) != 0) fail("RSDP checksum");
    uint32_t rsdt = *(const uint32_t *)(rsdp + 16);
    uint32_t xsdt_lo = 0, xsdt_hi = 0;
    if (rsdp[15] >= 2) {
        uint32_t len = *(const uint32_t *)(rsdp + 20);
        if (len < 36 || sum8(rsdp, len) != 0) fail("RSDP extended checksum");
        xsdt_lo = *(const uint32_t *)(rsdp + 24);
        xsdt_hi = *(const uint32_t *)(rsdp + 28);
        if (xsdt_hi) fail("XSDT above 4 GiB");
    }
    if (xsdt_lo) {
        const struct sdt_header *x = (const void *)xsdt_lo;
        if (!memeq(x->signature, "XSDT", 4)) fail("XSDT signature");
        check_table(x);
        uint32_t n = (x->length - sizeof *x) / 8;
        const uint32_t *e = (const uint32_t *)(x + 1);
        for (uint32_t i = 0; i < n; i++) {
            if (e[2 * i + 1]) fail("ACPI table above 4 GiB");
            check_table((const void *)e[2 * i]);
        }
    }
    if (rsdt) {
        const struct sdt_header *r = (const void *)rsdt;
        if (!memeq(r->signature, "RSDT", 4)) fail("RSDT signature");
        if (xsdt_lo) { if (r->length < sizeof *r || sum8(r, r->length) != 0) fail("RSDT checksum"); }
        else {
            check_table(r);
            uint32_t n = (r->length - sizeof *r) / 4;
            const uint32_t *e = (const uint32_t *)(r + 1);
            for (uint32_t i = 0; i < n; i++) check_table((const void *)e[i]);
        }
    }
    if (!xsdt_lo && !rsdt) fail("neither XSDT nor RSDT");
    if (!fadt) fail("no FADT (FACP)");
    if (!madt) fail("no MADT (APIC)");
    uint32_t d = *(const uint32_t *)((const uint8_t *)fadt + 40);
    if (fadt->length >= 148 && *(const uint32_t *)((const uint8_t *)fadt + 140)) d = *(const uint32_t *)((const uint8_t *)fadt + 140);
    if (!d) fail("FADT has no DSDT");
    dsdt = (const void *)d;
    if (!memeq(dsdt->signature, "DSDT", 4)) fail("DSDT signature");
    check_table(dsdt);
    puts_("acpi ok\n");
}

/* SLP_TYPa for S5 from the DSDT's \_S5_ package; 5 if it cannot be read. */
static uint16_t s5_sleep_type(void)
{
    const uint8_t *p = (const uint8_t *)dsdt, *end = p + dsdt->length;
    for (p += sizeof(struct sdt_header); p + 8 < end; p++) {
        if (!memeq(p, "_S5_", 4) || p[4] != 0x12) continue; /* NameOp _S5_ PackageOp */
        const uint8_t *q = p + 5;
        q += 1 + (*q >> 6);   /* PkgLength */
        q += 1;               /* NumElements */
        if (*q == 0x0A) return q[1];  /* BytePrefix */
        if (*q == 0x00 || *q == 0x01) return *q; /* ZeroOp / OneOp */
        return *q;
    }
    return 5;
}

/* ---- SMP ---- */
static volatile uint32_t print_lock;
static volatile uint32_t ap_count;
static void lock(void) { while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE)) pause(); }
static void unlock(void) { __atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE); }
static uint32_t apic_id(void) { return mmio_read(LAPIC + 0x20) >> 24; }

void ap_main(void);
void ap_main(void)
{
    uint32_t id = apic_id();
    lock();
    puts_("AP "); putdec(id); puts_(" up\n");
    unlock();
    __atomic_fetch_add(&ap_count, 1, __ATOMIC_SEQ_CST);
}

static void icr_wait(void)
{
    for (int i = 0; i < 100000 && (mmio_read(LAPIC + 0x300) & (1u << 12)); i++) pause();
}
static void send_ipi(uint32_t apic, uint32_t low)
{
    mmio_write(LAPIC + 0x310, apic << 24);
    mmio_write(LAPIC + 0x300, low);
    icr_wait();
}

extern const uint8_t trampoline_start[], trampoline_end[];

static void check_smp(uint32_t expected_cpus)
{
    uint32_t bsp = apic_id();
    uint32_t ids[64], n = 0;
    const uint8_t *p = (const uint8_t *)madt + 44, *end = (const uint8_t *)madt + madt->length;
    puts_("madt lapic "); puthex(*(const uint32_t *)((const uint8_t *)madt + 36)); puts_("\n");
    while (p + 2 <= end && p[1] >= 2) {
        if (p[0] == 0 && p[1] >= 8 && (*(const uint32_t *)(p + 4) & 1) && n < 64) ids[n++] = p[3];
        p += p[1];
    }
    puts_("madt: "); putdec(n); puts_(" enabled cpus, bsp apic id "); putdec(bsp); puts_("\n");
    if (n != expected_cpus) fail("MADT cpu count differs from fw_cfg");

    uint32_t size = (uint32_t)(trampoline_end - trampoline_start);
    for (uint32_t i = 0; i < size; i++) ((volatile uint8_t *)TRAMPOLINE)[i] = trampoline_start[i];

    mmio_write(LAPIC + 0xF0, mmio_read(LAPIC + 0xF0) | 0x1FF); /* software-enable, spurious vector 0xFF */
    uint32_t started = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ids[i] == bsp) continue;
        uint32_t before = ap_count;
        send_ipi(ids[i], 0x4500);                          /* INIT, assert, level */
        delay_us(10000);
        for (int s = 0; s < 2 && ap_count == before; s++) {
            send_ipi(ids[i], 0x4600 | (TRAMPOLINE >> 12)); /* SIPI */
            delay_us(s == 0 ? 200000 : 1000000);
        }
        started++;
    }
    /* wait (at most ~5 s of PM timer time) for every AP */
    for (uint32_t ms = 0; ms < 5000 && ap_count < started; ms++) delay_us(1000);
    lock();
    if (ap_count != started) { puts_("only "); putdec(ap_count); puts_(" of "); putdec(started); puts_(" APs checked in\n"); unlock(); fail("APs did not start"); }
    puts_("smp ok "); putdec(ap_count + 1); puts_(" cpus\n");
    unlock();
}

/* ---- main ---- */
struct __attribute__((packed)) mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table, boot_loader_name;
};

static uint8_t fw_cfg_byte(void) { return inb(FW_CFG_DATA); }
static void fw_cfg_select(uint16_t key) { outw(FW_CFG_SEL, key); }

void kmain(uint32_t magic, const struct mb_info *mb);
void kmain(uint32_t magic, const struct mb_info *mb)
{
    puts_("\ntestkernel: hello from SharpVmm's Multiboot test kernel\n");
    puts_("multiboot magic "); puthex(magic); puts_(" info at "); puthex((uint32_t)mb); puts_("\n");
    if (magic != 0x2BADB002) fail("multiboot magic in EAX");
    puts_("flags "); puthex(mb->flags); puts_(" mem_lower "); putdec(mb->mem_lower); puts_(" KiB mem_upper "); putdec(mb->mem_upper); puts_(" KiB\n");
    const char *name = (mb->flags & (1u << 9)) ? (const char *)mb->boot_loader_name : "(none)";
    /* The command line is kept in this kernel's own memory: hostile=1 lets devices loose on low memory, where the
       boot loader may have put it. */
    static char cmdline_copy[1024];
    const char *boot_cmdline = (mb->flags & (1u << 2)) ? (const char *)mb->cmdline : "";
    for (size_t i = 0; i < sizeof cmdline_copy - 1 && boot_cmdline[i]; i++) cmdline_copy[i] = boot_cmdline[i];
    const char *cmdline = cmdline_copy;
    puts_("boot loader: "); puts_(name); puts_("\n");
    puts_("cmdline: "); puts_(cmdline); puts_("\n");

    /* memory map: the trampoline page must be usable RAM */
    if (mb->flags & (1u << 6)) {
        int tramp_ok = 0;
        for (uint32_t off = 0; off < mb->mmap_length;) {
            const uint32_t *e = (const uint32_t *)(mb->mmap_addr + off);
            uint32_t base = e[1], base_hi = e[2], len = e[3], len_hi = e[4], type = e[5];
            puts_("mmap "); puthex(base_hi); puts_(":"); puthex(base); puts_(" len "); puthex(len_hi); puts_(":"); puthex(len);
            puts_(" type "); putdec(type); puts_("\n");
            if (type == 1 && !base_hi && base <= TRAMPOLINE && (len_hi || base + len >= TRAMPOLINE + 0x1000)) tramp_ok = 1;
            off += e[0] + 4;
        }
        if (!tramp_ok) fail("trampoline page 0x8000 is not usable RAM in the memory map");
    }

    /* fw_cfg */
    char sig[5] = {0};
    fw_cfg_select(0x0000);
    for (int i = 0; i < 4; i++) sig[i] = (char)fw_cfg_byte();
    puts_("fw_cfg signature: "); puts_(sig); puts_("\n");
    if (!memeq(sig, "QEMU", 4)) fail("fw_cfg signature");
    fw_cfg_select(0x0003);
    uint32_t ram_lo = 0, ram_hi = 0;
    for (int i = 0; i < 4; i++) ram_lo |= (uint32_t)fw_cfg_byte() << (8 * i);
    for (int i = 0; i < 4; i++) ram_hi |= (uint32_t)fw_cfg_byte() << (8 * i);
    fw_cfg_select(0x0005);
    uint32_t cpus = fw_cfg_byte();
    cpus |= (uint32_t)fw_cfg_byte() << 8;
    uint32_t ram_mib = (ram_hi << 12) | (ram_lo >> 20);
    puts_("fw_cfg ram "); puthex(ram_hi); puts_(":"); puthex(ram_lo); puts_(" ("); putdec(ram_mib); puts_(" MiB), cpus "); putdec(cpus); puts_("\n");
    uint32_t want_mem, want_cpus;
    if (parse_u32(cmdline_arg(cmdline, "mem="), &want_mem) && want_mem != ram_mib) fail("fw_cfg RAM size differs from mem=");
    if (parse_u32(cmdline_arg(cmdline, "cpus="), &want_cpus) && want_cpus != cpus) fail("fw_cfg CPU count differs from cpus=");
    if (cpus == 0) fail("fw_cfg CPU count is 0");
    puts_("fw_cfg ok\n");

    check_acpi();

    /* PM timer */
    const uint8_t *f = (const uint8_t *)fadt;
    pm_timer_port = (uint16_t)*(const uint32_t *)(f + 76);
    uint16_t pm1a_cnt = (uint16_t)*(const uint32_t *)(f + 64);
    puts_("pm timer port "); puthex(pm_timer_port); puts_(", pm1a_cnt port "); puthex(pm1a_cnt); puts_("\n");
    if (!pm_timer_port) fail("FADT has no PM timer");
    uint32_t t0 = pm_read();
    for (volatile uint32_t i = 0; i < 100000; i++) {}
    uint32_t t1 = pm_read();
    uint32_t d = (t1 - t0) & 0xFFFFFF;
    puts_("pm timer "); puthex(t0); puts_(" -> "); puthex(t1); puts_(" (+"); putdec(d); puts_(")\n");
    if (d == 0) fail("PM timer did not advance");
    puts_("pmtimer ok\n");

    check_smp(cpus);

    check_virtio(cmdline);

    if (word_is(cmdline_arg(cmdline, "hostile="), "1")) {
        /* The FADT's reset register (a GAS at offset 116), where it is an I/O port */
        uint16_t reset_port = fadt->length >= 129 && f[116] == 1 ? (uint16_t)*(const uint32_t *)(f + 120) : 0;
        hostile(cmdline, pm1a_cnt, reset_port);
    }

    const char *exit = cmdline_arg(cmdline, "exit=");
    if (word_is(exit, "debug")) {
        puts_("all ok, exiting through isa-debug-exit (0x10)\n");
        debug_exit(0x10);
    }
    if (word_is(exit, "acpi")) {
        if (!pm1a_cnt) fail("FADT has no PM1a control block");
        uint16_t typ = s5_sleep_type();
        puts_("all ok, powering off through ACPI S5 (SLP_TYP "); putdec(typ); puts_(")\n");
        outw(pm1a_cnt, (uint16_t)((typ << 10) | (1u << 13)));
        delay_us(1000000);
        fail("still running after ACPI S5");
    }
    if (word_is(exit, "count")) {
        /* For snapshot tests: a counter in this kernel's memory, printed and bumped every 20 ms of PM timer, forever.
           A copy restored from a snapshot must go on from the next value. */
        static volatile uint32_t counter;
        /* With a disk, its sector 0 is read on every tick into a page only the device writes (the guest never does),
           and its first 8 bytes printed: a diff snapshot must hold that page when the disk changed. */
        static uint8_t sector0[4096] __attribute__((aligned(4096)));
        puts_("all ok, counting\n");
        for (;;) {
            counter = counter + 1;
            puts_("count "); putdec(counter);
            if (virtio_blk_read_sector0(sector0) == 0) {
                puts_(" disk ");
                for (int i = 0; i < 8; i++) putc_(sector0[i] >= 0x20 && sector0[i] < 0x7F ? (char)sector0[i] : '.');
            }
            puts_("\n");
            delay_us(20000);
        }
    }
    puts_("all ok, no exit= on the command line; halting\n");
}
