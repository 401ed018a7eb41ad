/* pahna.intake._receiver: UDP datagrams to the on-disk spool, off the interpreter.
 *
 * A Receiver owns three threads that never take the GIL:
 *   - the receive thread waits on the collector's sockets with poll(2), takes up to
 *     SLOTS datagrams a call with recvmmsg(2) into slots that keep 32 bytes in front of
 *     each payload for the spool record header (u32 magic "PSG1", u32 payload length,
 *     u64 received ns, 16-byte exporter address, little-endian), and copies the framed
 *     records into a block of the ring (BLOCKS blocks of BLOCK_BYTES); a block goes to
 *     the writer when full or when the sockets are empty. It never touches the file
 *     system, so a slow disk (a journal commit, writeback) cannot stall receiving: the
 *     ring absorbs it, and behind the ring the socket's own buffer. Only when every
 *     block waits for the writer does the receive thread wait too. At stop it takes
 *     every socket until recvmmsg says EAGAIN: closing a socket discards its queue,
 *     neither received nor counted as dropped by the kernel.
 *   - the writer thread appends blocks to the open segment, closing a segment at the
 *     first record that takes it to the size bound, or when its first datagram is older
 *     than the age bound. Before each block the spool's size (every seg-* file in the
 *     folder, rescanned at most every 20 ms while near the bound) is checked against its
 *     bound: over it, the block's datagrams are counted as dropped by a full spool, never
 *     silently. A write that fails is cut back to the last whole record and counted.
 *   - the sync thread fsyncs the open segment every fsync interval and seals the closed
 *     ones (fsync, rename .open -> .seg, fsync of the folder).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 64
#define HEADER_BYTES 32
#define SLOT_BYTES (HEADER_BYTES + 65536)
#define MAGIC 0x50534731u
#define MAX_SOCKETS 64
#define QUEUE 1024
#define CALLS_PER_SOCKET 32
#define POLL_MS 50
#define RESCAN_NS 20000000LL
#define BLOCKS 32
#define BLOCK_BYTES (4 << 20)
#define WRITER_WAIT_MS 50

typedef struct {
    unsigned char *data;
    int64_t used, payload;
    int records;
} Block;

typedef struct {
    PyObject_HEAD
    int fds[MAX_SOCKETS];
    int nfds;
    char folder[PATH_MAX];
    int dir_fd;
    int64_t segment_bytes, limit_bytes, age_ns, fsync_ns;
    /* receive thread state */
    unsigned char *buffer;
    struct mmsghdr msgs[SLOTS];
    struct iovec slots[SLOTS];
    struct sockaddr_storage names[SLOTS];
    int cur_block;
    /* the ring, between the receive and the writer threads */
    pthread_mutex_t ring_lock;
    pthread_cond_t ring_filled, ring_freed;
    Block blocks[BLOCKS];
    int free_blocks[BLOCKS], nfree, filled[BLOCKS], filled_head, filled_len, receive_done;
    /* writer thread state */
    uint64_t next_seq;
    int cur_fd;
    uint64_t cur_seq;
    int64_t cur_size, cur_opened_ns, others_bytes, last_scan_ns;
    /* between the writer and the sync threads */
    pthread_mutex_t lock;
    pthread_cond_t wake, room;
    int queue_fd[QUEUE];
    uint64_t queue_seq[QUEUE];
    int queue_head, queue_len, sync_fd, writer_done;
    pthread_t receive_thread, writer_thread, sync_thread;
    int started, joined;
    atomic_int stop;
    atomic_ullong datagrams, payload_bytes, spooled_bytes, full_datagrams, full_bytes,
        failed_datagrams, failed_bytes, sealed, sync_errors;
    atomic_int last_errno;
} Receiver;

static int64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void segment_name(char *out, size_t size, uint64_t seq, const char *suffix) {
    snprintf(out, size, "seg-%016llu.%s", (unsigned long long)seq, suffix);
}

/* Bytes of every segment in the folder but the open one. */
static int64_t scan_others(Receiver *self) {
    int fd = openat(self->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (dir == NULL) {
        if (fd >= 0) close(fd);
        return self->others_bytes;
    }
    char current[64] = "";
    if (self->cur_fd >= 0) segment_name(current, sizeof current, self->cur_seq, "open");
    int64_t total = 0;
    struct dirent *entry;
    struct stat info;
    while ((entry = readdir(dir)) != NULL) {
        if (strncmp(entry->d_name, "seg-", 4) != 0 || strcmp(entry->d_name, current) == 0)
            continue;
        if (fstatat(self->dir_fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0)
            total += info.st_size;
    }
    closedir(dir);
    return total;
}

static void hand_to_sync(Receiver *self) {
    if (self->cur_fd < 0) return;
    pthread_mutex_lock(&self->lock);
    while (self->queue_len == QUEUE) pthread_cond_wait(&self->room, &self->lock);
    int at = (self->queue_head + self->queue_len) % QUEUE;
    self->queue_fd[at] = self->cur_fd;
    self->queue_seq[at] = self->cur_seq;
    self->queue_len++;
    self->sync_fd = -1;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    self->others_bytes += self->cur_size;
    self->cur_fd = -1;
    self->cur_size = 0;
}

static int open_segment(Receiver *self) {
    char name[64];
    for (int attempt = 0; attempt < 1000; attempt++) {
        segment_name(name, sizeof name, self->next_seq, "open");
        int fd = openat(self->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                        0600);
        if (fd < 0 && errno == EEXIST) {
            self->next_seq++;
            continue;
        }
        if (fd < 0) {
            atomic_store(&self->last_errno, errno);
            return -1;
        }
        self->cur_fd = fd;
        self->cur_seq = self->next_seq++;
        self->cur_size = 0;
        self->cur_opened_ns = clock_ns(CLOCK_MONOTONIC);
        pthread_mutex_lock(&self->lock);
        self->sync_fd = fd;
        pthread_mutex_unlock(&self->lock);
        return 0;
    }
    atomic_store(&self->last_errno, EEXIST);
    return -1;
}

static int spool_has_room(Receiver *self, int64_t bytes) {
    if (self->limit_bytes <= 0) return 1;
    if (self->others_bytes + self->cur_size + bytes <= self->limit_bytes) return 1;
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    if (now - self->last_scan_ns >= RESCAN_NS) {
        self->others_bytes = scan_others(self);
        self->last_scan_ns = now;
    }
    return self->others_bytes + self->cur_size + bytes <= self->limit_bytes;
}

static void count_lost(atomic_ullong *datagrams, atomic_ullong *bytes, int n, int64_t size) {
    atomic_fetch_add(datagrams, (unsigned long long)n);
    atomic_fetch_add(bytes, (unsigned long long)size);
}

/* Write `bytes` of whole records at `data` to the open segment: all or nothing. */
static int write_range(Receiver *self, const unsigned char *data, int64_t bytes) {
    if (self->cur_fd < 0 && open_segment(self) != 0) return -1;
    int64_t done = 0;
    while (done < bytes) {
        ssize_t n = write(self->cur_fd, data + done, (size_t)(bytes - done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            atomic_store(&self->last_errno, n < 0 ? errno : ENOSPC);
            if (done > 0 && ftruncate(self->cur_fd, self->cur_size) != 0)
                atomic_store(&self->last_errno, errno);
            hand_to_sync(self);
            return -1;
        }
        done += n;
    }
    self->cur_size += bytes;
    return 0;
}

/* Append a block's records to the spool, closing a segment at the first record that
 * takes it to its size bound. */
static void spool_block(Receiver *self, Block *block) {
    if (!spool_has_room(self, block->used)) {
        count_lost(&self->full_datagrams, &self->full_bytes, block->records, block->payload);
        return;
    }
    int64_t start = 0, at = 0, lost_payload = 0;
    int records = 0;
    while (at < block->used) {
        uint32_t length;
        memcpy(&length, block->data + at + 4, 4);
        at += HEADER_BYTES + (int64_t)length;
        lost_payload += length;
        records++;
        if (at < block->used && self->cur_size + (at - start) < self->segment_bytes) continue;
        if (write_range(self, block->data + start, at - start) != 0) {
            count_lost(&self->failed_datagrams, &self->failed_bytes, records, lost_payload);
        } else {
            atomic_fetch_add(&self->spooled_bytes, (unsigned long long)(at - start));
            if (self->cur_size >= self->segment_bytes) hand_to_sync(self);
        }
        start = at;
        records = 0;
        lost_payload = 0;
    }
}

/* Frame n received datagrams in their slots. */
static void frame_batch(Receiver *self, int n) {
    int64_t now_ns = clock_ns(CLOCK_REALTIME);
    for (int i = 0; i < n; i++) {
        unsigned char *slot = (unsigned char *)self->slots[i].iov_base - HEADER_BYTES;
        uint32_t length = self->msgs[i].msg_len, magic = MAGIC;
        memcpy(slot, &magic, 4);
        memcpy(slot + 4, &length, 4);
        memcpy(slot + 8, &now_ns, 8);
        struct sockaddr_storage *peer = &self->names[i];
        memset(slot + 16, 0, 16);
        if (peer->ss_family == AF_INET) {
            slot[26] = slot[27] = 0xff;
            memcpy(slot + 28, &((struct sockaddr_in *)peer)->sin_addr, 4);
        } else if (peer->ss_family == AF_INET6) {
            memcpy(slot + 16, &((struct sockaddr_in6 *)peer)->sin6_addr, 16);
        }
    }
}

/* Hand the receive thread's block to the writer (if it holds anything). */
static void hand_block(Receiver *self) {
    if (self->cur_block < 0 || self->blocks[self->cur_block].used == 0) return;
    pthread_mutex_lock(&self->ring_lock);
    self->filled[(self->filled_head + self->filled_len) % BLOCKS] = self->cur_block;
    self->filled_len++;
    pthread_cond_signal(&self->ring_filled);
    pthread_mutex_unlock(&self->ring_lock);
    self->cur_block = -1;
}

/* A block with room for `bytes`, waiting for the writer if every block is taken. */
static Block *block_for(Receiver *self, int64_t bytes) {
    if (self->cur_block >= 0 && self->blocks[self->cur_block].used + bytes <= BLOCK_BYTES)
        return &self->blocks[self->cur_block];
    hand_block(self);
    pthread_mutex_lock(&self->ring_lock);
    while (self->nfree == 0) pthread_cond_wait(&self->ring_freed, &self->ring_lock);
    int index = self->free_blocks[--self->nfree];
    pthread_mutex_unlock(&self->ring_lock);
    Block *block = &self->blocks[index];
    if (block->data == NULL) block->data = malloc(BLOCK_BYTES);
    if (block->data == NULL) {
        pthread_mutex_lock(&self->ring_lock);
        self->free_blocks[self->nfree++] = index;
        pthread_mutex_unlock(&self->ring_lock);
        return NULL;
    }
    block->used = block->payload = 0;
    block->records = 0;
    self->cur_block = index;
    return block;
}

/* Copy n received datagrams, framed, into the ring. */
static void ring_batch(Receiver *self, int n) {
    frame_batch(self, n);
    int64_t payload = 0;
    for (int i = 0; i < n; i++) {
        int64_t bytes = HEADER_BYTES + (int64_t)self->msgs[i].msg_len;
        payload += self->msgs[i].msg_len;
        Block *block = block_for(self, bytes);
        if (block == NULL) {
            count_lost(&self->failed_datagrams, &self->failed_bytes, 1, bytes - HEADER_BYTES);
            atomic_store(&self->last_errno, ENOMEM);
            continue;
        }
        memcpy(block->data + block->used, (unsigned char *)self->slots[i].iov_base -
               HEADER_BYTES, (size_t)bytes);
        block->used += bytes;
        block->payload += bytes - HEADER_BYTES;
        block->records++;
    }
    atomic_fetch_add(&self->datagrams, (unsigned long long)n);
    atomic_fetch_add(&self->payload_bytes, (unsigned long long)payload);
}

/* Take up to `calls` batches from a socket (at stop, `calls` < 0: until it is empty). */
static void drain_socket(Receiver *self, int fd, int calls) {
    for (int call = 0; calls < 0 || call < calls; call++) {
        for (int i = 0; i < SLOTS; i++) {
            self->msgs[i].msg_hdr.msg_name = &self->names[i];
            self->msgs[i].msg_hdr.msg_namelen = sizeof self->names[i];
            self->msgs[i].msg_hdr.msg_iov = &self->slots[i];
            self->msgs[i].msg_hdr.msg_iovlen = 1;
            self->msgs[i].msg_hdr.msg_control = NULL;
            self->msgs[i].msg_hdr.msg_controllen = 0;
            self->msgs[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, self->msgs, SLOTS, MSG_DONTWAIT, NULL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                atomic_store(&self->last_errno, errno);
            return;
        }
        ring_batch(self, n);
        if (n < SLOTS && calls >= 0) return;
    }
}

static void *receive_loop(void *arg) {
    Receiver *self = arg;
    struct pollfd polls[MAX_SOCKETS];
    for (int i = 0; i < self->nfds; i++) polls[i] = (struct pollfd){self->fds[i], POLLIN, 0};
    while (!atomic_load(&self->stop)) {
        int ready = poll(polls, (nfds_t)self->nfds, POLL_MS);
        for (int i = 0; ready > 0 && i < self->nfds; i++)
            if (polls[i].revents & POLLIN) drain_socket(self, self->fds[i], CALLS_PER_SOCKET);
        hand_block(self);
    }
    for (int i = 0; i < self->nfds; i++) drain_socket(self, self->fds[i], -1);
    hand_block(self);
    pthread_mutex_lock(&self->ring_lock);
    self->receive_done = 1;
    pthread_cond_signal(&self->ring_filled);
    pthread_mutex_unlock(&self->ring_lock);
    return NULL;
}

static void seal_if_old(Receiver *self) {
    if (self->cur_fd >= 0 && clock_ns(CLOCK_MONOTONIC) - self->cur_opened_ns >= self->age_ns)
        hand_to_sync(self);
}

static void *writer_loop(void *arg) {
    Receiver *self = arg;
    pthread_mutex_lock(&self->ring_lock);
    for (;;) {
        if (self->filled_len > 0) {
            int index = self->filled[self->filled_head];
            self->filled_head = (self->filled_head + 1) % BLOCKS;
            self->filled_len--;
            pthread_mutex_unlock(&self->ring_lock);
            spool_block(self, &self->blocks[index]);
            seal_if_old(self);
            pthread_mutex_lock(&self->ring_lock);
            self->free_blocks[self->nfree++] = index;
            pthread_cond_signal(&self->ring_freed);
            continue;
        }
        if (self->receive_done) break;
        int64_t due = clock_ns(CLOCK_REALTIME) + WRITER_WAIT_MS * 1000000LL;
        struct timespec until = {due / 1000000000LL, due % 1000000000LL};
        pthread_cond_timedwait(&self->ring_filled, &self->ring_lock, &until);
        pthread_mutex_unlock(&self->ring_lock);
        seal_if_old(self);
        pthread_mutex_lock(&self->ring_lock);
    }
    pthread_mutex_unlock(&self->ring_lock);
    hand_to_sync(self);
    pthread_mutex_lock(&self->lock);
    self->writer_done = 1;
    pthread_cond_signal(&self->wake);
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static void seal(Receiver *self, int fd, uint64_t seq) {
    char from[64], to[64];
    segment_name(from, sizeof from, seq, "open");
    segment_name(to, sizeof to, seq, "seg");
    int failed = fsync(fd) != 0;
    close(fd);
    failed = failed || renameat(self->dir_fd, from, self->dir_fd, to) != 0;
    failed = failed || fsync(self->dir_fd) != 0;
    if (failed) {
        atomic_store(&self->last_errno, errno);
        atomic_fetch_add(&self->sync_errors, 1);
    } else {
        atomic_fetch_add(&self->sealed, 1);
    }
}

static void *sync_loop(void *arg) {
    Receiver *self = arg;
    pthread_mutex_lock(&self->lock);
    for (;;) {
        if (self->queue_len > 0) {
            int fd = self->queue_fd[self->queue_head];
            uint64_t seq = self->queue_seq[self->queue_head];
            pthread_mutex_unlock(&self->lock);
            seal(self, fd, seq);
            pthread_mutex_lock(&self->lock);
            self->queue_head = (self->queue_head + 1) % QUEUE;
            self->queue_len--;
            pthread_cond_signal(&self->room);
            continue;
        }
        if (self->writer_done) break;
        int64_t due = clock_ns(CLOCK_REALTIME) + self->fsync_ns;
        struct timespec until = {due / 1000000000LL, due % 1000000000LL};
        if (pthread_cond_timedwait(&self->wake, &self->lock, &until) == ETIMEDOUT &&
            self->sync_fd >= 0) {
            int fd = self->sync_fd;
            pthread_mutex_unlock(&self->lock);
            if (fdatasync(fd) != 0) atomic_fetch_add(&self->sync_errors, 1);
            pthread_mutex_lock(&self->lock);
        }
    }
    pthread_mutex_unlock(&self->lock);
    return NULL;
}

static int Receiver_init(Receiver *self, PyObject *args, PyObject *kwargs) {
    static char *names[] = {"fds", "folder", "first_sequence", "segment_bytes", "segment_age_s",
                            "fsync_interval_s", "limit_bytes", NULL};
    PyObject *fds;
    const char *folder;
    unsigned long long first;
    long long segment_bytes, limit_bytes;
    double age_s, fsync_s;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OsKLddL", names, &fds, &folder, &first,
                                     &segment_bytes, &age_s, &fsync_s, &limit_bytes))
        return -1;
    PyObject *seq = PySequence_Fast(fds, "fds must be a sequence of file descriptors");
    if (seq == NULL) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    if (count < 1 || count > MAX_SOCKETS || strlen(folder) >= PATH_MAX) {
        Py_DECREF(seq);
        PyErr_SetString(PyExc_ValueError, "between 1 and 64 sockets, and a folder path");
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++)
        self->fds[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(seq, i));
    Py_DECREF(seq);
    if (PyErr_Occurred()) return -1;
    self->nfds = (int)count;
    snprintf(self->folder, sizeof self->folder, "%s", folder);
    self->dir_fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (self->dir_fd < 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, folder);
        return -1;
    }
    self->buffer = PyMem_RawMalloc((size_t)SLOTS * SLOT_BYTES);
    if (self->buffer == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < SLOTS; i++) {
        self->slots[i].iov_base = self->buffer + (size_t)i * SLOT_BYTES + HEADER_BYTES;
        self->slots[i].iov_len = SLOT_BYTES - HEADER_BYTES;
    }
    self->next_seq = first;
    self->segment_bytes = segment_bytes;
    self->limit_bytes = limit_bytes;
    self->age_ns = (int64_t)(age_s * 1e9);
    self->fsync_ns = (int64_t)(fsync_s * 1e9);
    self->cur_fd = self->sync_fd = self->cur_block = -1;
    self->others_bytes = scan_others(self);
    for (int i = 0; i < BLOCKS; i++) self->free_blocks[i] = BLOCKS - 1 - i;
    self->nfree = BLOCKS;
    pthread_mutex_init(&self->ring_lock, NULL);
    pthread_cond_init(&self->ring_filled, NULL);
    pthread_cond_init(&self->ring_freed, NULL);
    pthread_mutex_init(&self->lock, NULL);
    pthread_cond_init(&self->wake, NULL);
    pthread_cond_init(&self->room, NULL);
    return 0;
}

static PyObject *Receiver_start(Receiver *self, PyObject *unused) {
    if (self->started || self->buffer == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "a receiver starts once");
        return NULL;
    }
    if (pthread_create(&self->sync_thread, NULL, sync_loop, self) != 0 ||
        pthread_create(&self->writer_thread, NULL, writer_loop, self) != 0 ||
        pthread_create(&self->receive_thread, NULL, receive_loop, self) != 0) {
        PyErr_SetString(PyExc_OSError, "cannot start the receiver threads");
        return NULL;
    }
    self->started = 1;
    Py_RETURN_NONE;
}

static void join_threads(Receiver *self) {
    if (!self->started || self->joined) return;
    atomic_store(&self->stop, 1);
    pthread_join(self->receive_thread, NULL);
    pthread_join(self->writer_thread, NULL);
    pthread_join(self->sync_thread, NULL);
    self->joined = 1;
}

static PyObject *Receiver_stop(Receiver *self, PyObject *unused) {
    Py_BEGIN_ALLOW_THREADS
    join_threads(self);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *Receiver_counters(Receiver *self, PyObject *unused) {
    return Py_BuildValue(
        "{s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:K,s:i,s:K}",
        "datagrams", atomic_load(&self->datagrams),
        "payload_bytes", atomic_load(&self->payload_bytes),
        "spooled_bytes", atomic_load(&self->spooled_bytes),
        "spool_full_datagrams", atomic_load(&self->full_datagrams),
        "spool_full_bytes", atomic_load(&self->full_bytes),
        "write_failed_datagrams", atomic_load(&self->failed_datagrams),
        "write_failed_bytes", atomic_load(&self->failed_bytes),
        "sealed_segments", atomic_load(&self->sealed),
        "sync_errors", atomic_load(&self->sync_errors),
        "last_errno", atomic_load(&self->last_errno),
        "next_sequence", (unsigned long long)self->next_seq);
}

static void Receiver_dealloc(Receiver *self) {
    Py_BEGIN_ALLOW_THREADS
    join_threads(self);
    Py_END_ALLOW_THREADS
    if (self->buffer != NULL) {
        pthread_mutex_destroy(&self->lock);
        pthread_cond_destroy(&self->wake);
        pthread_cond_destroy(&self->room);
        pthread_mutex_destroy(&self->ring_lock);
        pthread_cond_destroy(&self->ring_filled);
        pthread_cond_destroy(&self->ring_freed);
        for (int i = 0; i < BLOCKS; i++) free(self->blocks[i].data);
        PyMem_RawFree(self->buffer);
    }
    if (self->dir_fd > 0) close(self->dir_fd);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Receiver_methods[] = {
    {"start", (PyCFunction)Receiver_start, METH_NOARGS, "Start receiving into the spool."},
    {"stop", (PyCFunction)Receiver_stop, METH_NOARGS,
     "Stop: take everything the sockets hold (until they are empty), seal the open "
     "segment, wait for the threads."},
    {"counters", (PyCFunction)Receiver_counters, METH_NOARGS, "The counters, as a dict."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ReceiverType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pahna.intake._receiver.Receiver",
    .tp_basicsize = sizeof(Receiver),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Receive datagrams from UDP sockets into spool segments, without the GIL.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Receiver_init,
    .tp_dealloc = (destructor)Receiver_dealloc,
    .tp_methods = Receiver_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_receiver",
    "The compiled receive path of the UDP collector (see pahna.intake.receiver).", -1, NULL,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__receiver(void) {
    if (PyType_Ready(&ReceiverType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&ReceiverType);
    if (PyModule_AddObject(m, "Receiver", (PyObject *)&ReceiverType) < 0) {
        Py_DECREF(&ReceiverType);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "HEADER_BYTES", HEADER_BYTES);
    PyModule_AddIntConstant(m, "MAGIC", (long)MAGIC);
    return m;
}
