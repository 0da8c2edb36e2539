/* SharpVmm test kernel: minimal polling virtio-mmio drivers (virtio 1.2, 4.2 version 2; split virtqueues, 2.7).
 * The devices come from virtio_mmio.device=<size>@<base>:<irq> on the command line, as Linux gets them. No
 * interrupts: every request is submitted, notified and then polled for in the used ring with a PM-timer bound.
 *   blk (5.2): blk=rw writes a pattern to sectors 0-7, FLUSHes and reads it back; blk=ro expects the write to fail
 *              with VIRTIO_BLK_S_IOERR. blk=rw,ro gives the modes of the first, second, ... disk.
 *   net (5.1): sends an ARP request for 10.0.2.2 from 10.0.2.15 and waits for the reply.
 *   rng (5.4): reads 64 random bytes twice.
 * With bench=blk and/or bench=net, the first disk and/or network card are benchmarked (bench.c) instead. */
#include "virtio.h"

#define MAX_DEVICES 7
static struct vq queues[MAX_DEVICES][2];

/* blk (5.2.6) */
#define SECTORS 8
static struct blk_req_hdr blk_hdr;
static uint8_t blk_data[SECTORS * 512] __attribute__((aligned(16)));
static uint8_t blk_pattern[SECTORS * 512];
static volatile uint8_t blk_status;

#define RX_BUFS 4
#define RX_BUF_SIZE 2048
static uint8_t net_rx[RX_BUFS][RX_BUF_SIZE] __attribute__((aligned(16)));
static uint8_t net_tx[NET_HDR + 60] __attribute__((aligned(16)));

/* rng (5.4) */
static uint8_t rng_a[64], rng_b[64];

#define REQUEST_MS 5000
#define NET_REPLY_MS 5000

/* ---- transport ---- */
static uint32_t reg(uint32_t base, uint32_t off) { return mmio_read(base + off); }
static void set_reg(uint32_t base, uint32_t off, uint32_t v) { mmio_write(base + off, v); }
static void add_status(uint32_t base, uint32_t bits) { set_reg(base, VIRTIO_MMIO_STATUS, reg(base, VIRTIO_MMIO_STATUS) | bits); }
uint32_t virtio_reg(uint32_t base, uint32_t off) { return reg(base, off); }
void virtio_add_status(uint32_t base, uint32_t bits) { add_status(base, bits); }

/* 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, negotiate VERSION_1 plus the wanted low bits the device offers. */
uint32_t virtio_negotiate(uint32_t base, uint32_t wanted_low)
{
    set_reg(base, VIRTIO_MMIO_STATUS, 0);
    struct timeout t;
    timeout_start(&t, REQUEST_MS);
    while (reg(base, VIRTIO_MMIO_STATUS) != 0)
        if (timeout_expired(&t)) fail("virtio device did not reset");
    add_status(base, STATUS_ACKNOWLEDGE);
    add_status(base, STATUS_DRIVER);
    set_reg(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint32_t hi = reg(base, VIRTIO_MMIO_DEVICE_FEATURES);
    set_reg(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t lo = reg(base, VIRTIO_MMIO_DEVICE_FEATURES);
    puts_("  device features "); puthex(hi); puts_(":"); puthex(lo); puts_("\n");
    if (!(hi & VIRTIO_F_VERSION_1_HI)) { add_status(base, STATUS_FAILED); fail("virtio device does not offer VIRTIO_F_VERSION_1"); }
    set_reg(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    set_reg(base, VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_F_VERSION_1_HI);
    set_reg(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    set_reg(base, VIRTIO_MMIO_DRIVER_FEATURES, lo & wanted_low);
    add_status(base, STATUS_FEATURES_OK);
    if (!(reg(base, VIRTIO_MMIO_STATUS) & STATUS_FEATURES_OK)) { add_status(base, STATUS_FAILED); fail("virtio device refused FEATURES_OK"); }
    return lo;
}

static uint32_t lo32(const void *p) { return (uint32_t)p; }

/* 4.2.3.2: program queue `index` of the device at `base` into `q` (static memory, identity-mapped), at most `limit` entries. */
void virtio_setup_queue(struct vq *q, uint32_t base, uint32_t index, uint16_t limit)
{
    set_reg(base, VIRTIO_MMIO_QUEUE_SEL, index);
    if (reg(base, VIRTIO_MMIO_QUEUE_READY)) fail("virtio queue already ready after reset");
    uint32_t max = reg(base, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0) fail("virtio queue does not exist (QueueNumMax 0)");
    q->base = base;
    q->index = index;
    q->size = (uint16_t)(max < limit ? max : limit);
    q->last_used = 0;
    set_reg(base, VIRTIO_MMIO_QUEUE_NUM, q->size);
    set_reg(base, VIRTIO_MMIO_QUEUE_DESC_LOW, lo32(q->desc));
    set_reg(base, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    set_reg(base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, lo32(&q->avail));
    set_reg(base, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    set_reg(base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, lo32(&q->used));
    set_reg(base, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    set_reg(base, VIRTIO_MMIO_QUEUE_READY, 1);
}

void virtio_set_desc(struct vq *q, uint16_t i, const volatile void *addr, uint32_t len, uint16_t flags, uint16_t next)
{
    q->desc[i].addr = (uint32_t)addr;
    q->desc[i].len = len;
    q->desc[i].flags = flags;
    q->desc[i].next = next;
}

/* 2.7.13: put chain `head` in the available ring and publish the index after the entry. */
void virtio_publish(struct vq *q, uint16_t head)
{
    q->avail.ring[q->avail.idx % q->size] = head;
    __sync_synchronize();           /* the ring entry (and the descriptors) before the index */
    *(volatile uint16_t *)&q->avail.idx = (uint16_t)(q->avail.idx + 1);
    __sync_synchronize();           /* the index before the notification */
}
void virtio_notify(struct vq *q) { set_reg(q->base, VIRTIO_MMIO_QUEUE_NOTIFY, q->index); }

/* publish and always notify (the checks do not look at VIRTQ_USED_F_NO_NOTIFY) */
static void push(struct vq *q, uint16_t head)
{
    virtio_publish(q, head);
    virtio_notify(q);
}

/* 2.7.14: the next used element, or 0 if the device has not used one within `ms`. */
static int pop(struct vq *q, uint32_t ms, uint32_t *id, uint32_t *len)
{
    struct timeout t;
    timeout_start(&t, ms);
    while (*(volatile uint16_t *)&q->used.idx == q->last_used)
        if (timeout_expired(&t)) return 0;
    __sync_synchronize();           /* read the element only after seeing the index move */
    struct virtq_used_elem e = ((volatile struct virtq_used *)&q->used)->ring[q->last_used % q->size];
    q->last_used++;
    *id = e.id;
    *len = e.len;
    return 1;
}

uint32_t virtio_config32(uint32_t base, uint32_t off) { return reg(base, VIRTIO_MMIO_CONFIG + off); }
uint8_t virtio_config8(uint32_t base, uint32_t off) { return *(volatile uint8_t *)(base + VIRTIO_MMIO_CONFIG + off); }

/* ---- blk ---- */
static uint8_t blk_request(struct vq *q, uint32_t type, void *data, uint32_t len)
{
    blk_hdr.type = type;
    blk_hdr.reserved = 0;
    blk_hdr.sector = 0;
    blk_status = 0xFF;
    uint16_t status_desc = 1;
    if (len) {
        virtio_set_desc(q, 1, data, len, (uint16_t)(VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0)), 2);
        status_desc = 2;
    }
    virtio_set_desc(q, 0, &blk_hdr, sizeof blk_hdr, VIRTQ_DESC_F_NEXT, 1);
    virtio_set_desc(q, status_desc, &blk_status, 1, VIRTQ_DESC_F_WRITE, 0);
    push(q, 0);
    uint32_t id, used_len;
    if (!pop(q, REQUEST_MS, &id, &used_len)) fail("virtio-blk request not completed");
    if (id != 0) fail("virtio-blk used an unknown descriptor");
    return blk_status;
}

/* Sector s holds "SHARPVMM", then '0' + s, then (i * 7 + s * 13) & 0xFF at byte i (TestKernelTests checks the same). */
static void make_pattern(void)
{
    for (uint32_t s = 0; s < SECTORS; s++) {
        uint8_t *p = blk_pattern + s * 512;
        for (uint32_t i = 0; i < 512; i++) p[i] = (uint8_t)(i * 7 + s * 13);
        for (uint32_t i = 0; i < 8; i++) p[i] = (uint8_t)"SHARPVMM"[i];
        p[8] = (uint8_t)('0' + s);
    }
}

/* The first disk's queue once its check passed: exit=count reads its sector 0 on every tick. */
static struct vq *first_blk;

int virtio_blk_read_sector0(void *buf)
{
    if (!first_blk) return -1;
    return blk_request(first_blk, VIRTIO_BLK_T_IN, buf, 512) == VIRTIO_BLK_S_OK ? 0 : -1;
}

static void check_blk(uint32_t base, struct vq *q, const char *mode)
{
    int rw = word_is(mode, "rw") || memeq(mode, "rw,", 3);
    int ro = word_is(mode, "ro") || memeq(mode, "ro,", 3);
    if (!rw && !ro) fail("blk= takes rw or ro for each disk");
    if (!first_blk) first_blk = q;
    uint32_t features = virtio_negotiate(base, VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_RO);
    virtio_setup_queue(q, base, 0, QSZ);
    add_status(base, STATUS_DRIVER_OK);

    uint32_t gen, cap_lo, cap_hi;
    do { /* 4.2.2: ConfigGeneration brackets a multi-word config read */
        gen = reg(base, VIRTIO_MMIO_CONFIG_GENERATION);
        cap_lo = virtio_config32(base, 0);
        cap_hi = virtio_config32(base, 4);
    } while (gen != reg(base, VIRTIO_MMIO_CONFIG_GENERATION));
    puts_("  virtio-blk capacity "); putdec(cap_lo); puts_(" sectors"); if (features & VIRTIO_BLK_F_RO) puts_(", read-only"); puts_("\n");
    if (cap_hi == 0 && cap_lo < SECTORS) fail("virtio-blk capacity below 8 sectors");

    make_pattern();
    if (ro) {
        if (!(features & VIRTIO_BLK_F_RO)) fail("read-only virtio-blk does not offer VIRTIO_BLK_F_RO");
        uint8_t st = blk_request(q, VIRTIO_BLK_T_OUT, blk_pattern, sizeof blk_pattern);
        if (st != VIRTIO_BLK_S_IOERR) { puts_("  write status "); putdec(st); puts_("\n"); fail("virtio-blk write to a read-only disk did not fail with IOERR"); }
        for (uint32_t i = 0; i < sizeof blk_data; i++) blk_data[i] = 0xCC;
        if (blk_request(q, VIRTIO_BLK_T_IN, blk_data, sizeof blk_data) != VIRTIO_BLK_S_OK) fail("virtio-blk read from a read-only disk");
        puts_("virtio-blk ro ok\n");
        return;
    }
    if (features & VIRTIO_BLK_F_RO) fail("blk=rw but the disk is read-only");
    if (!(features & VIRTIO_BLK_F_FLUSH)) fail("virtio-blk does not offer VIRTIO_BLK_F_FLUSH");
    if (blk_request(q, VIRTIO_BLK_T_OUT, blk_pattern, sizeof blk_pattern) != VIRTIO_BLK_S_OK) fail("virtio-blk write");
    if (blk_request(q, VIRTIO_BLK_T_FLUSH, 0, 0) != VIRTIO_BLK_S_OK) fail("virtio-blk flush");
    for (uint32_t i = 0; i < sizeof blk_data; i++) blk_data[i] = 0xCC;
    if (blk_request(q, VIRTIO_BLK_T_IN, blk_data, sizeof blk_data) != VIRTIO_BLK_S_OK) fail("virtio-blk read");
    if (!memeq(blk_data, blk_pattern, sizeof blk_data)) fail("virtio-blk read back differs from what was written");
    puts_("virtio-blk ok capacity="); putdec(cap_lo); puts_("\n");
}

/* ---- net ---- */
static const uint8_t our_ip[4] = {10, 0, 2, 15}, host_ip[4] = {10, 0, 2, 2};

static void put_mac(const uint8_t *m)
{
    for (int i = 0; i < 6; i++) { if (i) puts_(":"); puthex8(m[i]); }
}

static void check_net(uint32_t base, struct vq *rx, struct vq *tx)
{
    uint32_t features = virtio_negotiate(base, VIRTIO_NET_F_MAC);
    uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    if (features & VIRTIO_NET_F_MAC)
        for (int i = 0; i < 6; i++) mac[i] = virtio_config8(base, (uint32_t)i);
    virtio_setup_queue(rx, base, 0, QSZ);
    virtio_setup_queue(tx, base, 1, QSZ);
    add_status(base, STATUS_DRIVER_OK);
    puts_("  virtio-net mac "); put_mac(mac); puts_("\n");

    /* 5.1.6.3: fill the receive queue, each buffer big enough for a header and a full frame */
    uint16_t nrx = rx->size < RX_BUFS ? rx->size : RX_BUFS;
    for (uint16_t i = 0; i < nrx; i++) {
        virtio_set_desc(rx, i, net_rx[i], RX_BUF_SIZE, VIRTQ_DESC_F_WRITE, 0);
        push(rx, i);
    }

    /* an ARP request (RFC 826) for host_ip, after a zeroed virtio_net_hdr_v1 */
    uint8_t *f = net_tx + NET_HDR;
    for (uint32_t i = 0; i < sizeof net_tx; i++) net_tx[i] = 0;
    for (int i = 0; i < 6; i++) { f[i] = 0xFF; f[6 + i] = mac[i]; f[22 + i] = mac[i]; }
    f[12] = 0x08; f[13] = 0x06;             /* ethertype ARP */
    f[14] = 0; f[15] = 1;                   /* htype Ethernet */
    f[16] = 0x08; f[17] = 0x00;             /* ptype IPv4 */
    f[18] = 6; f[19] = 4;                   /* hlen, plen */
    f[20] = 0; f[21] = 1;                   /* request */
    for (int i = 0; i < 4; i++) { f[28 + i] = our_ip[i]; f[38 + i] = host_ip[i]; }
    virtio_set_desc(tx, 0, net_tx, sizeof net_tx, 0, 0);
    push(tx, 0);
    uint32_t id, len;
    if (!pop(tx, REQUEST_MS, &id, &len)) fail("virtio-net transmit not completed");

    struct timeout t;
    timeout_start(&t, NET_REPLY_MS);
    uint32_t frames = 0;
    while (!timeout_expired(&t)) {
        if (!pop(rx, 10, &id, &len)) continue;
        if (id >= nrx) fail("virtio-net used an unknown receive descriptor");
        frames++;
        const uint8_t *r = net_rx[id] + NET_HDR;
        if (len >= NET_HDR + 42 && r[12] == 0x08 && r[13] == 0x06 && r[20] == 0 && r[21] == 2
            && memeq(r + 28, host_ip, 4) && memeq(r + 38, our_ip, 4) && memeq(r, mac, 6)) {
            puts_("virtio-net ok reply from "); put_mac(r + 22); puts_("\n");
            return;
        }
        push(rx, (uint16_t)id);             /* not the reply: give the buffer back */
    }
    puts_("  received "); putdec(frames); puts_(" other frames\n");
    fail("no ARP reply from 10.0.2.2 through virtio-net");
}

/* ---- rng ---- */
static void rng_read(struct vq *q, uint8_t *buf, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) buf[i] = 0;
    for (uint32_t got = 0, tries = 0; got < n; tries++) {
        if (tries > 64) fail("virtio-rng gives too few bytes");
        virtio_set_desc(q, 0, buf + got, n - got, VIRTQ_DESC_F_WRITE, 0);
        push(q, 0);
        uint32_t id, len;
        if (!pop(q, REQUEST_MS, &id, &len)) fail("virtio-rng request not completed");
        if (id != 0 || len > n - got) fail("virtio-rng used element out of range");
        got += len;
    }
}

static void check_rng(uint32_t base, struct vq *q)
{
    virtio_negotiate(base, 0);
    virtio_setup_queue(q, base, 0, QSZ);
    add_status(base, STATUS_DRIVER_OK);
    rng_read(q, rng_a, sizeof rng_a);
    rng_read(q, rng_b, sizeof rng_b);
    int nonzero = 0;
    for (uint32_t i = 0; i < sizeof rng_a; i++) nonzero |= rng_a[i] | rng_b[i];
    if (!nonzero) fail("virtio-rng returned only zeros");
    if (memeq(rng_a, rng_b, sizeof rng_a)) fail("virtio-rng returned the same bytes twice");
    puts_("virtio-rng ok\n");
}

/* ---- probing ---- */
/* Linux's memparse: a number (0x for hex) with an optional K/M/G suffix; returns the end, or NULL. */
static const char *parse_num(const char *p, uint32_t *out)
{
    uint32_t v = 0, base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) { base = 16; p += 2; }
    const char *start = p;
    for (;; p++) {
        uint32_t d;
        if (*p >= '0' && *p <= '9') d = (uint32_t)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f') d = (uint32_t)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F') d = (uint32_t)(*p - 'A' + 10);
        else break;
        v = v * base + d;
    }
    if (p == start) return NULL;
    if (*p == 'K' || *p == 'k') { v <<= 10; p++; }
    else if (*p == 'M' || *p == 'm') { v <<= 20; p++; }
    else if (*p == 'G' || *p == 'g') { v <<= 30; p++; }
    *out = v;
    return p;
}

/* Whether the comma-separated list at `p` (ending at a space or the end) holds `w`. */
static int list_has(const char *p, const char *w)
{
    size_t n = strlen_(w);
    for (; p && *p && *p != ' '; p++) {
        if (memeq(p, w, n) && (p[n] == 0 || p[n] == ' ' || p[n] == ',')) return 1;
        while (*p && *p != ',' && *p != ' ') p++;
        if (*p != ',') break;
    }
    return 0;
}

void check_virtio(const char *cmdline)
{
    static const char key[] = "virtio_mmio.device=";
    const char *blk_modes = cmdline_arg(cmdline, "blk=");
    const char *bench = cmdline_arg(cmdline, "bench=");
    int bench_blk_on = list_has(bench, "blk"), bench_net_on = list_has(bench, "net");
    if (bench && !bench_blk_on && !bench_net_on) fail("bench= takes blk, net or blk,net");
    uint32_t n = 0, blks = 0;
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || !memeq(p, key, sizeof key - 1)) continue;
        uint32_t size, base, irq;
        const char *q = parse_num(p + sizeof key - 1, &size);
        if (!q || *q != '@' || !(q = parse_num(q + 1, &base)) || *q != ':' || !parse_num(q + 1, &irq))
            fail("malformed virtio_mmio.device= on the command line");
        if (n == MAX_DEVICES) fail("more virtio_mmio.device= than the test kernel handles");
        uint32_t magic = reg(base, VIRTIO_MMIO_MAGIC_VALUE), version = reg(base, VIRTIO_MMIO_VERSION);
        uint32_t id = reg(base, VIRTIO_MMIO_DEVICE_ID);
        puts_("virtio-mmio at "); puthex(base); puts_(" size "); puthex(size); puts_(" irq "); putdec(irq);
        puts_(": magic "); puthex(magic); puts_(" version "); putdec(version); puts_(" device id "); putdec(id); puts_("\n");
        if (magic != VIRTIO_MMIO_MAGIC) fail("virtio-mmio magic value");
        if (version != 2) fail("virtio-mmio version is not 2");
        struct vq *qs = queues[n++];
        if (id == ID_BLK && bench_blk_on) {
            bench_blk(base, &qs[0], cmdline);
            bench_blk_on = 2;
        } else if (id == ID_NET && bench_net_on) {
            bench_net(base, &qs[0], &qs[1], cmdline);
            bench_net_on = 2;
        } else if (id == ID_BLK) {
            if (!blk_modes) { puts_("  no blk= on the command line: disk left alone\n"); continue; }
            const char *mode = blk_modes;
            for (uint32_t i = 0; i < blks && mode; i++) {
                while (*mode && *mode != ',' && *mode != ' ') mode++;
                mode = *mode == ',' ? mode + 1 : NULL;
            }
            if (!mode) fail("more virtio-blk disks than modes in blk=");
            blks++;
            check_blk(base, &qs[0], mode);
        } else if (id == ID_NET) {
            check_net(base, &qs[0], &qs[1]);
        } else if (id == ID_RNG) {
            check_rng(base, &qs[0]);
        } else if (id != 0) {
            puts_("  no driver for this device\n");
        }
    }
    if (blk_modes && blks == 0 && bench_blk_on != 2) fail("blk= on the command line but no virtio-blk device");
    if (bench_blk_on == 1) fail("bench=blk but no virtio-blk device");
    if (bench_net_on == 1) fail("bench=net but no virtio-net device");
    if (n) { puts_("virtio ok "); putdec(n); puts_(" devices\n"); }
}
