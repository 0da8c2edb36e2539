/*
 * sock-tool: a small static program for SharpVmm's guest initramfs, so tests and benchmarks can drive AF_VSOCK
 * (virtio-vsock) and TCP (virtio-net) streams from inside a Linux guest with the same code. Busybox has no vsock.
 *
 *   sock-tool echo-server ADDR          accept forever; each connection (a child process) echoes until EOF
 *   sock-tool sink-server ADDR          accept forever; each connection is read to EOF, then its byte count is
 *                                       written back as a decimal line
 *   sock-tool echo ADDR TEXT            connect, send TEXT, shut down the send side, print all that comes back
 *   sock-tool send ADDR BYTES           connect, send BYTES bytes, shut down the send side, print the reply line
 *   sock-tool ping ADDR COUNT           connect, COUNT times send one byte and wait for it to come back; prints
 *                                       "ping: COUNT round trips, AVG us each"
 * send also prints "send: BYTES bytes in S s, R MiB/s" on stderr, timed from the connection to the reply's end.
 *
 * ADDR is vsock:CID:PORT or tcp:A.B.C.D:PORT to connect to, vsock:PORT, tcp:PORT or unix:PATH to listen on, and,
 * on the host side of a SharpVmm or Firecracker VM, unix:PATH or hybrid:PATH:PORT to connect to: the VM's vsock
 * Unix socket at PATH, where "CONNECT PORT\n" asks for guest port PORT and "OK ...\n" answers.
 * Exits 0 on success, 1 on an error (with a message on stderr).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buffer[256 * 1024];

static void die(const char *what)
{
    fprintf(stderr, "sock-tool: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Fills *storage from ADDR; returns its length. For a listening ADDR the host part is absent. */
static socklen_t parse(const char *text, int listening, struct sockaddr_storage *storage)
{
    memset(storage, 0, sizeof *storage);
    if (strncmp(text, "vsock:", 6) == 0) {
        struct sockaddr_vm *vm = (struct sockaddr_vm *)storage;
        vm->svm_family = AF_VSOCK;
        const char *rest = text + 6;
        if (listening) {
            vm->svm_cid = VMADDR_CID_ANY;
        } else {
            vm->svm_cid = (unsigned)strtoul(rest, (char **)&rest, 10);
            if (*rest++ != ':') goto bad;
        }
        vm->svm_port = (unsigned)strtoul(rest, NULL, 10);
        return sizeof *vm;
    }
    if (strncmp(text, "unix:", 5) == 0 || strncmp(text, "hybrid:", 7) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)storage;
        const char *path = strchr(text, ':') + 1;
        size_t length = strlen(path);
        if (text[0] == 'h') {
            const char *colon = strrchr(path, ':');
            if (!colon) goto bad;
            length = (size_t)(colon - path);
        }
        if (length >= sizeof un->sun_path) goto bad;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, length);
        return sizeof *un;
    }
    if (strncmp(text, "tcp:", 4) == 0) {
        struct sockaddr_in *in = (struct sockaddr_in *)storage;
        in->sin_family = AF_INET;
        const char *rest = text + 4;
        if (listening) {
            in->sin_addr.s_addr = htonl(INADDR_ANY);
        } else {
            char host[64];
            const char *colon = strrchr(rest, ':');
            if (!colon || colon - rest >= (long)sizeof host) goto bad;
            memcpy(host, rest, colon - rest);
            host[colon - rest] = 0;
            if (inet_pton(AF_INET, host, &in->sin_addr) != 1) goto bad;
            rest = colon + 1;
        }
        in->sin_port = htons((unsigned short)strtoul(rest, NULL, 10));
        return sizeof *in;
    }
bad:
    fprintf(stderr, "sock-tool: bad address %s\n", text);
    exit(2);
}

static int connect_to(const char *text)
{
    struct sockaddr_storage address;
    socklen_t length = parse(text, 0, &address);
    int fd = socket(address.ss_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&address, length) < 0) die("connect");
    if (address.ss_family == AF_INET) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (strncmp(text, "hybrid:", 7) == 0) {
        /* Firecracker's handshake: CONNECT <port>\n, answered by OK <host port>\n (read a byte at a time: no more). */
        char line[64];
        int length = snprintf(line, sizeof line, "CONNECT %s\n", strrchr(text, ':') + 1);
        if (write(fd, line, (size_t)length) != length) die("write CONNECT");
        int used = 0;
        while (used < (int)sizeof line - 1 && read(fd, line + used, 1) == 1 && line[used] != '\n') used++;
        line[used] = 0;
        if (strncmp(line, "OK ", 3) != 0) {
            fprintf(stderr, "sock-tool: CONNECT refused (%s)\n", line);
            exit(1);
        }
    }
    return fd;
}

static void write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) die("write");
        data += n;
        length -= (size_t)n;
    }
}

static void serve(const char *text, int sink)
{
    struct sockaddr_storage address;
    socklen_t length = parse(text, 1, &address);
    int listener = socket(address.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (listener < 0) die("socket");
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&address, length) < 0) die("bind");
    if (listen(listener, 256) < 0) die("listen");
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    printf("sock-tool: listening on %s\n", text);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR) continue;
            die("accept");
        }
        pid_t child = fork();
        if (child < 0) die("fork");
        if (child > 0) {
            close(fd);
            continue;
        }
        close(listener);
        unsigned long long total = 0;
        for (;;) {
            ssize_t n = read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            total += (unsigned long long)n;
            if (!sink) write_all(fd, buffer, (size_t)n);
        }
        if (sink) {
            int line = snprintf(buffer, sizeof buffer, "%llu\n", total);
            write_all(fd, buffer, (size_t)line);
        }
        _exit(0);
    }
}

static void copy_reply(int fd)
{
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("read");
        if (n == 0) break;
        write_all(1, buffer, (size_t)n);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: sock-tool echo-server|sink-server ADDR | echo ADDR TEXT | send ADDR BYTES | ping ADDR COUNT\n");
        return 2;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "echo-server") == 0) serve(argv[2], 0);
    if (strcmp(mode, "sink-server") == 0) serve(argv[2], 1);
    if (argc < 4) {
        fprintf(stderr, "sock-tool: %s needs an argument after the address\n", mode);
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int fd = connect_to(argv[2]);
    if (strcmp(mode, "echo") == 0) {
        write_all(fd, argv[3], strlen(argv[3]));
        shutdown(fd, SHUT_WR);
        copy_reply(fd);
        return 0;
    }
    if (strcmp(mode, "send") == 0) {
        unsigned long long left = strtoull(argv[3], NULL, 10);
        for (size_t i = 0; i < sizeof buffer; i++) buffer[i] = (char)(i * 131 + (i >> 9));
        while (left > 0) {
            size_t chunk = left < sizeof buffer ? (size_t)left : sizeof buffer;
            write_all(fd, buffer, chunk);
            left -= chunk;
        }
        shutdown(fd, SHUT_WR);
        copy_reply(fd);
        clock_gettime(CLOCK_MONOTONIC, &end);
        double s = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
        fprintf(stderr, "send: %s bytes in %.3f s, %.1f MiB/s\n", argv[3], s, (double)strtoull(argv[3], NULL, 10) / 1048576.0 / s);
        return 0;
    }
    if (strcmp(mode, "ping") == 0) {
        long count = strtol(argv[3], NULL, 10);
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (long i = 0; i < count; i++) {
            char byte = (char)i;
            write_all(fd, &byte, 1);
            ssize_t n;
            do n = read(fd, &byte, 1); while (n < 0 && errno == EINTR);
            if (n != 1) die("read");
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        double us = ((end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec)) / 1e3;
        printf("ping: %ld round trips, %.1f us each\n", count, count > 0 ? us / (double)count : 0.0);
        return 0;
    }
    fprintf(stderr, "sock-tool: unknown mode %s\n", mode);
    return 2;
}
