/*
 * C reference VMM for SharpVmm's benchmarks: the classic KVM start-up sequence written directly
 * against <linux/kvm.h>, with no abstraction, so SharpVmm's managed overhead can be measured against it.
 *
 *   kvm_reference demo          demo 1: prints "4\nKVM_EXIT_HLT\n" exactly as the classic program does
 *   kvm_reference exits N       runs the kvmsample loop for N port-I/O exits; prints ns per exit
 *   kvm_reference create N      N times: create VM + memory + 1 vCPU, run demo 1 to HLT, tear down; prints us per VM
 *   kvm_reference create-threaded N   the same, with the vCPU run on its own pthread (SharpVmm's architecture)
 */
#include <err.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (64UL << 20)

static const uint8_t demo_add[] = { 0xba, 0xf8, 0x03, 0x00, 0xd8, 0x04, '0', 0xee, 0xb0, '\n', 0xee, 0xf4 };
static const uint8_t kvmsample[] = { 0x31, 0xc0, 0xe7, 0x10, 0x40, 0xeb, 0xfb };

struct vm {
    int kvm, vmfd, vcpufd;
    uint8_t *mem;
    struct kvm_run *run;
    size_t run_size;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void vm_create(struct vm *v, const uint8_t *code, size_t len, uint64_t load, uint16_t seg, uint16_t ip)
{
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        err(1, "/dev/kvm");
    v->vmfd = ioctl(v->kvm, KVM_CREATE_VM, 0UL);
    if (v->vmfd < 0)
        err(1, "KVM_CREATE_VM");
    if (ioctl(v->vmfd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
        err(1, "KVM_SET_TSS_ADDR");
    v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->mem == MAP_FAILED)
        err(1, "mmap");
    memcpy(v->mem + load, code, len);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE, .userspace_addr = (uint64_t)v->mem,
    };
    if (ioctl(v->vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        err(1, "KVM_SET_USER_MEMORY_REGION");
    v->vcpufd = ioctl(v->vmfd, KVM_CREATE_VCPU, 0UL);
    if (v->vcpufd < 0)
        err(1, "KVM_CREATE_VCPU");
    v->run_size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
    v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpufd, 0);
    if (v->run == MAP_FAILED)
        err(1, "mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(v->vcpufd, KVM_GET_SREGS, &sregs) < 0)
        err(1, "KVM_GET_SREGS");
    struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss };
    for (int i = 0; i < 6; i++) {
        segs[i]->selector = seg;
        segs[i]->base = (uint64_t)seg << 4;
        segs[i]->limit = 0xffff;
    }
    if (ioctl(v->vcpufd, KVM_SET_SREGS, &sregs) < 0)
        err(1, "KVM_SET_SREGS");
    struct kvm_regs regs = { .rip = ip, .rax = 2, .rbx = 2, .rflags = 2 };
    if (ioctl(v->vcpufd, KVM_SET_REGS, &regs) < 0)
        err(1, "KVM_SET_REGS");
}

static void vm_destroy(struct vm *v)
{
    munmap(v->run, v->run_size);
    close(v->vcpufd);
    close(v->vmfd);
    munmap(v->mem, MEM_SIZE);
    close(v->kvm);
}

/* Runs demo 1 to HLT; prints its serial output when echo is set. */
static void run_demo(struct vm *v, int echo)
{
    for (;;) {
        if (ioctl(v->vcpufd, KVM_RUN, NULL) < 0)
            err(1, "KVM_RUN");
        switch (v->run->exit_reason) {
        case KVM_EXIT_HLT:
            if (echo)
                puts("KVM_EXIT_HLT");
            return;
        case KVM_EXIT_IO:
            if (v->run->io.direction == KVM_EXIT_IO_OUT && v->run->io.size == 1 && v->run->io.port == 0x3f8 && v->run->io.count == 1) {
                if (echo)
                    putchar(*(((char *)v->run) + v->run->io.data_offset));
            } else
                errx(1, "unhandled KVM_EXIT_IO");
            break;
        default:
            errx(1, "exit_reason = 0x%x", v->run->exit_reason);
        }
    }
}

static void *vcpu_thread(void *arg)
{
    run_demo(arg, 0);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "demo") == 0) {
        struct vm v;
        vm_create(&v, demo_add, sizeof demo_add, 0x1000, 0, 0x1000);
        run_demo(&v, 1);
        vm_destroy(&v);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "exits") == 0) {
        long n = atol(argv[2]);
        struct vm v;
        vm_create(&v, kvmsample, sizeof kvmsample, 0x10000, 0x1000, 0);
        volatile uint64_t sink = 0;
        double start = now_ns();
        for (long i = 0; i < n; i++) {
            if (ioctl(v.vcpufd, KVM_RUN, NULL) < 0)
                err(1, "KVM_RUN");
            if (v.run->exit_reason != KVM_EXIT_IO || v.run->io.port != 0x10)
                errx(1, "unexpected exit %u", v.run->exit_reason);
            sink += *(uint16_t *)((char *)v.run + v.run->io.data_offset);
        }
        double elapsed = now_ns() - start;
        vm_destroy(&v);
        printf("%.1f\n", elapsed / n);
        return 0;
    }
    if (argc >= 3 && (strcmp(argv[1], "create") == 0 || strcmp(argv[1], "create-threaded") == 0)) {
        long n = atol(argv[2]);
        int threaded = strcmp(argv[1], "create-threaded") == 0;
        double start = now_ns();
        for (long i = 0; i < n; i++) {
            struct vm v;
            vm_create(&v, demo_add, sizeof demo_add, 0x1000, 0, 0x1000);
            if (threaded) {
                pthread_t t;
                if (pthread_create(&t, NULL, vcpu_thread, &v) != 0)
                    errx(1, "pthread_create");
                pthread_join(t, NULL);
            } else {
                run_demo(&v, 0);
            }
            vm_destroy(&v);
        }
        printf("%.1f\n", (now_ns() - start) / n / 1000.0);
        return 0;
    }
    fprintf(stderr, "usage: %s demo | exits N | create N | create-threaded N\n", argv[0]);
    return 2;
}
