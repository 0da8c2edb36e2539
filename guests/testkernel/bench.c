/* SharpVmm test kernel: virtio-blk and virtio-net throughput benchmarks (bench=blk, bench=net, bench=blk,net).
 * They reuse virtio.c's polling driver core, but with queues of up to QMAX entries, several requests in flight,
 * one notification per batch of new buffers and none while the device sets VIRTQ_USED_F_NO_NOTIFY (2.7.10), as a
 * real driver does. Times come from the ACPI PM timer (3.579545 MHz) and every result is a line of the form
 *   bench <device> <what> key=value ...
 * (fixed-point values with one decimal: no FPU). Command line knobs: bench_mb= (sequential bytes, MiB, default 8),
 * bench_ios= (random 4 KiB reads per run, default 2000), bench_frames= (frames sent, default 20000). */
#include "virtio.h"

#define SEQ_REQ_BYTES (128u * 1024)       /* one sequential request */
#define SEQ_DEPTH 16u                     /* sequential requests in flight at most */
#define RAND_REQ_BYTES 4096u
#define MAX_SLOTS 32u                     /* blk requests in flight at most (3 descriptors each) */
#define STALL_TICKS (5u * PM_TIMER_HZ)    /* no completion for 5 s: the device is stuck */
#define FRAME_BYTES 1514u                 /* a full Ethernet frame without FCS */

static uint8_t blk_buf[SEQ_REQ_BYTES * SEQ_DEPTH] __attribute__((aligned(4096)));
static struct blk_req_hdr hdrs[MAX_SLOTS];
static volatile uint8_t statuses[MAX_SLOTS];
static uint8_t frame[NET_HDR + FRAME_BYTES] __attribute__((aligned(16)));

/* ---- timing and arithmetic ---- */
struct stopwatch { uint32_t last, ticks; };
static void sw_start(struct stopwatch *s) { s->ticks = 0; s->last = pm_timer_read(); }
/* Adds the PM timer ticks since the last call; called at least every few ms, far below the 4.7 s wrap. */
static void sw_poll(struct stopwatch *s)
{
    uint32_t now = pm_timer_read();
    s->ticks += (now - s->last) & 0xFFFFFF;
    s->last = now;
}

/* n / d without libgcc's __udivdi3 */
static uint64_t div64(uint64_t n, uint32_t d)
{
    uint64_t q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) { r -= d; q |= 1ull << i; }
    }
    return q;
}

/* prints "key=<amount per second / unit>" with one decimal */
static void put_rate(const char *key, uint32_t amount, uint32_t ticks, uint32_t unit)
{
    uint32_t tenths = (uint32_t)div64(div64((uint64_t)amount * PM_TIMER_HZ * 10u, ticks ? ticks : 1), unit);
    puts_(key); puts_("="); putdec(tenths / 10); puts_("."); putdec(tenths % 10);
}

/* prints " avg_us=" the mean time per operation, one decimal */
static void put_avg_us(uint32_t ticks, uint32_t ops)
{
    uint32_t tenths = (uint32_t)div64(div64((uint64_t)ticks * 10000000u, PM_TIMER_HZ), ops ? ops : 1);
    puts_(" avg_us="); putdec(tenths / 10); puts_("."); putdec(tenths % 10);
}

static uint32_t xorshift_state = 0x2545F491u;
static uint32_t xorshift(void)
{
    uint32_t x = xorshift_state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return xorshift_state = x;
}

/* Waits for the used ring to move, keeping the stopwatch current; fails after STALL_TICKS without progress. */
static void wait_used(struct vq *q, struct stopwatch *sw, const char *what)
{
    uint32_t since = sw->ticks;
    for (uint32_t spins = 1; *(volatile uint16_t *)&q->used.idx == q->last_used; spins++) {
        pause();
        if ((spins & 255) == 0) {
            sw_poll(sw);
            if (sw->ticks - since > STALL_TICKS) fail(what);
        }
    }
    __sync_synchronize();           /* the elements only after the index */
}

/* 2.7.10: notify unless the device asked not to be (checked after the new index is published). */
static void kick(struct vq *q, uint32_t *notifies)
{
    if (!(*(volatile uint16_t *)&q->used.flags & VIRTQ_USED_F_NO_NOTIFY)) {
        virtio_notify(q);
        (*notifies)++;
    }
}

/* ---- blk ---- */
/* Runs `nreq` requests of `bytes` each, at most `depth` in flight; sequential from sector 0 or, with `random`,
 * 4 KiB-aligned at random in the first `region` sectors. Prints one result line. */
static void blk_run(struct vq *q, const char *name, uint32_t type, uint32_t nreq, uint32_t bytes, uint32_t depth,
                    int random, uint32_t region)
{
    uint16_t free_slots[MAX_SLOTS];
    uint32_t nfree = 0, submitted = 0, done = 0, notifies = 0, next_sector = 0;
    for (uint32_t s = depth; s > 0; s--) free_slots[nfree++] = (uint16_t)(s - 1);
    struct stopwatch sw;
    sw_start(&sw);
    while (done < nreq) {
        uint32_t batch = 0;
        while (submitted < nreq && nfree) {
            uint16_t s = free_slots[--nfree];
            uint16_t d = (uint16_t)(3 * s);
            hdrs[s].type = type;
            hdrs[s].reserved = 0;
            if (random) hdrs[s].sector = (uint64_t)(xorshift() % (region / 8)) * 8;
            else { hdrs[s].sector = next_sector; next_sector += bytes / 512; }
            statuses[s] = 0xFF;
            virtio_set_desc(q, d, &hdrs[s], sizeof hdrs[s], VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1));
            virtio_set_desc(q, (uint16_t)(d + 1), blk_buf + (uint32_t)s * bytes, bytes,
                            (uint16_t)(VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0)), (uint16_t)(d + 2));
            virtio_set_desc(q, (uint16_t)(d + 2), &statuses[s], 1, VIRTQ_DESC_F_WRITE, 0);
            virtio_publish(q, d);
            submitted++;
            batch++;
        }
        if (batch) kick(q, &notifies);
        wait_used(q, &sw, "virtio-blk benchmark request not completed within 5 s");
        while (*(volatile uint16_t *)&q->used.idx != q->last_used) {
            uint32_t id = ((volatile struct virtq_used *)&q->used)->ring[q->last_used % q->size].id;
            q->last_used++;
            if (id % 3 || id / 3 >= depth) fail("virtio-blk used an unknown descriptor");
            if (statuses[id / 3] != VIRTIO_BLK_S_OK) fail("virtio-blk benchmark request failed");
            free_slots[nfree++] = (uint16_t)(id / 3);
            done++;
        }
    }
    sw_poll(&sw);
    uint32_t total = nreq * bytes;
    puts_("bench blk "); puts_(name); puts_(" ");
    if (random) put_rate("iops", nreq, sw.ticks, 1);
    else put_rate("MBps", total, sw.ticks, 1000000);
    if (random) put_avg_us(sw.ticks, nreq);
    puts_(" bytes="); putdec(total); puts_(" reqs="); putdec(nreq); puts_(" req_bytes="); putdec(bytes);
    puts_(" depth="); putdec(depth); puts_(" ticks="); putdec(sw.ticks); puts_(" notifies="); putdec(notifies); puts_("\n");
}

static void blk_flush(struct vq *q)
{
    struct stopwatch sw;
    uint32_t notifies = 0;
    hdrs[0].type = VIRTIO_BLK_T_FLUSH;
    hdrs[0].reserved = 0;
    hdrs[0].sector = 0;
    statuses[0] = 0xFF;
    sw_start(&sw);
    virtio_set_desc(q, 0, &hdrs[0], sizeof hdrs[0], VIRTQ_DESC_F_NEXT, 1);
    virtio_set_desc(q, 1, &statuses[0], 1, VIRTQ_DESC_F_WRITE, 0);
    virtio_publish(q, 0);
    kick(q, &notifies);
    wait_used(q, &sw, "virtio-blk flush not completed within 5 s");
    q->last_used++;
    sw_poll(&sw);
    if (statuses[0] != VIRTIO_BLK_S_OK) fail("virtio-blk flush failed");
    puts_("bench blk flush"); put_avg_us(sw.ticks, 1); puts_(" ticks="); putdec(sw.ticks); puts_("\n");
}

void bench_blk(uint32_t base, struct vq *q, const char *cmdline)
{
    uint32_t features = virtio_negotiate(base, VIRTIO_BLK_F_FLUSH);
    virtio_setup_queue(q, base, 0, QMAX);
    virtio_add_status(base, STATUS_DRIVER_OK);
    uint32_t cap_lo = virtio_config32(base, 0), cap_hi = virtio_config32(base, 4);
    uint32_t mib = cmdline_u32(cmdline, "bench_mb=", 8), ios = cmdline_u32(cmdline, "bench_ios=", 2000);
    uint32_t region = mib * 2048;
    uint32_t slots = q->size / 3 < MAX_SLOTS ? q->size / 3 : MAX_SLOTS;
    puts_("  bench blk: queue size "); putdec(q->size); puts_(", capacity "); putdec(cap_lo); puts_(" sectors, ");
    putdec(mib); puts_(" MiB sequential, "); putdec(ios); puts_(" random reads\n");
    if (mib == 0 || mib > 2047 || ios == 0) fail("bench_mb= must be 1-2047 and bench_ios= at least 1");
    if (features & VIRTIO_BLK_F_RO) fail("bench=blk needs a writable disk");
    if (cap_hi == 0 && cap_lo < region) fail("bench=blk: the disk is smaller than bench_mb=");
    if (slots == 0) fail("bench=blk: the queue has fewer than 3 entries");
    uint32_t seq_depth = slots < SEQ_DEPTH ? slots : SEQ_DEPTH;
    uint32_t seq_reqs = region / (SEQ_REQ_BYTES / 512);

    blk_run(q, "seq-write", VIRTIO_BLK_T_OUT, seq_reqs, SEQ_REQ_BYTES, seq_depth, 0, region);
    if (features & VIRTIO_BLK_F_FLUSH) blk_flush(q);
    blk_run(q, "seq-read", VIRTIO_BLK_T_IN, seq_reqs, SEQ_REQ_BYTES, seq_depth, 0, region);
    blk_run(q, "randread-4k-qd1", VIRTIO_BLK_T_IN, ios, RAND_REQ_BYTES, 1, 1, region);
    blk_run(q, "randread-4k-qdmax", VIRTIO_BLK_T_IN, ios, RAND_REQ_BYTES, slots, 1, region);
    puts_("bench blk done\n");
}

/* ---- net ---- */
void bench_net(uint32_t base, struct vq *rx, struct vq *tx, const char *cmdline)
{
    uint32_t features = virtio_negotiate(base, VIRTIO_NET_F_MAC);
    uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    if (features & VIRTIO_NET_F_MAC)
        for (int i = 0; i < 6; i++) mac[i] = virtio_config8(base, (uint32_t)i);
    virtio_setup_queue(rx, base, 0, QSZ);     /* no receive buffers: what the host sends waits or is dropped */
    virtio_setup_queue(tx, base, 1, QMAX);
    virtio_add_status(base, STATUS_DRIVER_OK);
    uint32_t n = cmdline_u32(cmdline, "bench_frames=", 20000);
    puts_("  bench net: tx queue size "); putdec(tx->size); puts_(", "); putdec(n); puts_(" frames of ");
    putdec(FRAME_BYTES); puts_(" bytes\n");
    if (n == 0) fail("bench_frames= must be at least 1");

    /* a zeroed virtio_net_hdr_v1, then a frame to 02:00:00:00:00:01 (no one: the host drops it) with the local
     * experimental EtherType 0x88B5 and a byte pattern; every descriptor points at this same frame */
    for (uint32_t i = 0; i < sizeof frame; i++) frame[i] = (uint8_t)i;
    for (uint32_t i = 0; i < NET_HDR; i++) frame[i] = 0;
    uint8_t *f = frame + NET_HDR;
    static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    for (int i = 0; i < 6; i++) { f[i] = dst[i]; f[6 + i] = mac[i]; }
    f[12] = 0x88; f[13] = 0xB5;

    uint16_t free_desc[QMAX];
    uint32_t nfree = 0, submitted = 0, done = 0, notifies = 0;
    for (uint32_t d = tx->size; d > 0; d--) free_desc[nfree++] = (uint16_t)(d - 1);
    struct stopwatch sw;
    sw_start(&sw);
    while (done < n) {
        uint32_t batch = 0;
        while (submitted < n && nfree) {
            uint16_t d = free_desc[--nfree];
            virtio_set_desc(tx, d, frame, sizeof frame, 0, 0);
            virtio_publish(tx, d);
            submitted++;
            batch++;
        }
        if (batch) kick(tx, &notifies);
        wait_used(tx, &sw, "virtio-net benchmark frame not sent within 5 s");
        while (*(volatile uint16_t *)&tx->used.idx != tx->last_used) {
            uint32_t id = ((volatile struct virtq_used *)&tx->used)->ring[tx->last_used % tx->size].id;
            tx->last_used++;
            if (id >= tx->size) fail("virtio-net used an unknown transmit descriptor");
            free_desc[nfree++] = (uint16_t)id;
            done++;
        }
    }
    sw_poll(&sw);
    puts_("bench net tx-1514 ");
    put_rate("fps", n, sw.ticks, 1); puts_(" ");
    put_rate("MBps", n * FRAME_BYTES, sw.ticks, 1000000);
    puts_(" frames="); putdec(n); puts_(" bytes="); putdec(n * FRAME_BYTES); puts_(" depth="); putdec(tx->size);
    puts_(" ticks="); putdec(sw.ticks); puts_(" notifies="); putdec(notifies); puts_("\n");
    puts_("bench net done\n");
}
