/* The collector race's exporter: send a file of datagrams over UDP at a fixed rate.
 *
 *   race_sender STREAM HOST PORT DATAGRAMS_PER_SECOND
 *
 * STREAM is the datagrams back to back, each after its length as a little-endian u32
 * (benchmarks/collector_race.py writes it). The whole file is read into memory first,
 * then sent with sendmmsg(2) from one connected socket, paced against CLOCK_MONOTONIC:
 * at every instant t since the start, floor(t * rate) datagrams are due, and each call
 * sends what is due (at most BATCH). Prints one line: datagrams sent, seconds taken,
 * the achieved rate, and the calls whose datagrams the kernel did not all take.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned char *read_stream(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(2); }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)length);
    if (!data || fread(data, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(2);
    }
    fclose(file);
    *size = (size_t)length;
    return data;
}

/* Frame the stream into iovecs; returns how many datagrams it holds. */
static size_t frame(unsigned char *data, size_t size, struct iovec **out) {
    size_t count = 0, capacity = 1024, at = 0;
    struct iovec *iov = malloc(capacity * sizeof *iov);
    while (at + 4 <= size) {
        uint32_t length = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 |
                          (uint32_t)data[at + 2] << 16 | (uint32_t)data[at + 3] << 24;
        if (at + 4 + length > size) { fprintf(stderr, "torn stream at %zu\n", at); exit(2); }
        if (count == capacity) { capacity *= 2; iov = realloc(iov, capacity * sizeof *iov); }
        iov[count].iov_base = data + at + 4;
        iov[count].iov_len = length;
        count++;
        at += 4 + length;
    }
    *out = iov;
    return count;
}

static int open_socket(const char *host, const char *port) {
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *found;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0) { fprintf(stderr, "%s: %s\n", host, gai_strerror(rc)); exit(2); }
    int sock = socket(found->ai_family, SOCK_DGRAM, 0);
    int buffer = 64 << 20;
    setsockopt(sock, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
    if (sock < 0 || connect(sock, found->ai_addr, found->ai_addrlen) != 0) {
        perror("connect");
        exit(2);
    }
    freeaddrinfo(found);
    return sock;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s STREAM HOST PORT DATAGRAMS_PER_SECOND\n", argv[0]);
        return 2;
    }
    size_t size;
    unsigned char *data = read_stream(argv[1], &size);
    struct iovec *iov;
    size_t count = frame(data, size, &iov);
    double rate = atof(argv[4]);
    int sock = open_socket(argv[2], argv[3]);
    struct mmsghdr *messages = calloc(count, sizeof *messages);
    for (size_t i = 0; i < count; i++) {
        messages[i].msg_hdr.msg_iov = &iov[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    size_t sent = 0, short_calls = 0;
    double started = now_s();
    while (sent < count) {
        size_t due = (size_t)((now_s() - started) * rate) + 1;
        if (due > count) due = count;
        if (due <= sent) continue;
        size_t batch = due - sent < BATCH ? due - sent : BATCH;
        int done = sendmmsg(sock, messages + sent, (unsigned)batch, 0);
        if (done < 0) {
            if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN) { short_calls++; continue; }
            perror("sendmmsg");
            return 1;
        }
        if ((size_t)done < batch) short_calls++;
        sent += (size_t)done;
    }
    double seconds = now_s() - started;
    printf("sent %zu datagrams in %.6f s = %.0f datagrams/s, %zu short calls\n", sent, seconds,
           (double)sent / seconds, short_calls);
    close(sock);
    free(messages);
    free(iov);
    free(data);
    return 0;
}
