/* SharpVmm test kernel: what kernel.c shares with the drivers (virtio.c). Identity-mapped, no paging, one CPU polls. */
#ifndef TESTKERNEL_KERNEL_H
#define TESTKERNEL_KERNEL_H
#include <stdint.h>
#include <stddef.h>

static inline void pause(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint32_t mmio_read(uint32_t addr) { return *(volatile uint32_t *)addr; }
static inline void mmio_write(uint32_t addr, uint32_t v) { *(volatile uint32_t *)addr = v; }

void puts_(const char *s);
void putdec(uint32_t v);
void puthex(uint32_t v);
void puthex8(uint8_t v);
__attribute__((noreturn)) void fail(const char *what);

size_t strlen_(const char *s);
int memeq(const void *a, const void *b, size_t n);
const char *cmdline_arg(const char *cmdline, const char *key);
int word_is(const char *p, const char *w);
/* The decimal number after "key" on the command line, else `fallback`. */
uint32_t cmdline_u32(const char *cmdline, const char *key, uint32_t fallback);

/* The ACPI PM timer's 24-bit count (3.579545 MHz). */
#define PM_TIMER_HZ 3579545u
uint32_t pm_timer_read(void);

/* A bounded wait measured with the ACPI PM timer (started with timeout_start, polled with timeout_expired). */
struct timeout { uint32_t last, elapsed, ticks; };
void timeout_start(struct timeout *t, uint32_t ms);
int timeout_expired(struct timeout *t);

/* virtio.c: probes every virtio_mmio.device= on the command line and checks blk, net and rng. */
void check_virtio(const char *cmdline);
/* Reads sector 0 of the first checked virtio-blk disk into buf (512 bytes); -1 when there is none or it failed. */
int virtio_blk_read_sector0(void *buf);

/* hostile.c: with hostile=1, extreme values written to every port and device register the VMM offers. */
void hostile(const char *cmdline, uint16_t pm1a_cnt, uint16_t reset_port);

#endif
