/* SharpVmm test kernel: the polling virtio-mmio driver core (virtio.c) shared with the benchmarks (bench.c). */
#ifndef TESTKERNEL_VIRTIO_H
#define TESTKERNEL_VIRTIO_H
#include "kernel.h"

/* virtio-mmio registers (4.2.2) */
#define VIRTIO_MMIO_MAGIC_VALUE 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0A0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0A4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0FC
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_MMIO_MAGIC 0x74726976u

/* device status (2.1) */
#define STATUS_ACKNOWLEDGE 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define STATUS_FEATURES_OK 8u
#define STATUS_FAILED 128u

/* feature bits (6, 5.1.3, 5.2.3); bit 32 is VIRTIO_F_VERSION_1, bit 0 of the high word */
#define VIRTIO_F_VERSION_1_HI 1u
#define VIRTIO_NET_F_MAC (1u << 5)
#define VIRTIO_BLK_F_RO (1u << 5)
#define VIRTIO_BLK_F_FLUSH (1u << 9)

/* device IDs (5) */
#define ID_NET 1
#define ID_BLK 2
#define ID_RNG 4

/* split virtqueue (2.7): descriptor table aligned 16, available ring 2, used ring 4 */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define QSZ 8          /* what the checks use */
#define QMAX 128       /* the storage of every queue (the benchmarks use it all) */
#define VIRTQ_USED_F_NO_NOTIFY 1
struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_avail { uint16_t flags, idx, ring[QMAX], used_event; };
struct virtq_used_elem { uint32_t id, len; };
struct virtq_used { uint16_t flags, idx; struct virtq_used_elem ring[QMAX]; uint16_t avail_event; };
struct vq {
    struct virtq_desc desc[QMAX] __attribute__((aligned(16)));
    struct virtq_avail avail __attribute__((aligned(2)));
    struct virtq_used used __attribute__((aligned(4)));
    uint32_t base, index;
    uint16_t size, last_used;
};

/* blk (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
struct blk_req_hdr { uint32_t type, reserved; uint64_t sector; };

/* net (5.1.6): virtio_net_hdr_v1 is 12 bytes with VERSION_1 */
#define NET_HDR 12

uint32_t virtio_reg(uint32_t base, uint32_t off);
void virtio_add_status(uint32_t base, uint32_t bits);
/* 3.1.1 steps 1-6; returns the device's low feature word. */
uint32_t virtio_negotiate(uint32_t base, uint32_t wanted_low);
/* 4.2.3.2: queue `index` of the device at `base`, at most `limit` (<= QMAX) entries. */
void virtio_setup_queue(struct vq *q, uint32_t base, uint32_t index, uint16_t limit);
void virtio_set_desc(struct vq *q, uint16_t i, const volatile void *addr, uint32_t len, uint16_t flags, uint16_t next);
/* 2.7.13: publish chain `head`; notify the device only if `notify`. */
void virtio_publish(struct vq *q, uint16_t head);
void virtio_notify(struct vq *q);
uint32_t virtio_config32(uint32_t base, uint32_t off);
uint8_t virtio_config8(uint32_t base, uint32_t off);

/* bench.c: bench=blk / bench=net instead of the checks of those devices. */
void bench_blk(uint32_t base, struct vq *q, const char *cmdline);
void bench_net(uint32_t base, struct vq *rx, struct vq *tx, const char *cmdline);

#endif
