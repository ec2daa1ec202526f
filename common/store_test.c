/*  store_test.c -- the LMDB wrapper, the feed and the peers' cursors on a real
    environment in a temporary directory.

    A full disk is played by this file's own writev(2), pwrite(2) and
    fstatvfs(3), which liblmdb and store.c call instead of libc's (symbols of
    the executable come first): armed, they fail the way the kernel does when
    a filesystem fills up; disarmed, they are the system calls. (The real
    thing, a tmpfs that fills up under a running town, is
    tests/faults/disk_full.sh.)  */
#include "err.h"
#include "feed.h"
#include "ids.h"
#include "store.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

static char s_dir[64];

// ---- the disk, as LMDB sees it ----

typedef enum {
    DISK_OK,                    // the system calls
    DISK_ENOSPC,                // data page writes (writev) fail with ENOSPC, nothing written
    DISK_SHORT,                 // data page writes stop half way (the disk filled meanwhile)
    DISK_META                   // the meta page write (a small pwrite) fails with ENOSPC
} disk_t;
static disk_t s_disk = DISK_OK;
static bool s_no_free;          // fstatvfs says no block is free

ssize_t
writev(int fd, const struct iovec *iov, int iovcnt)
{
    if (s_disk == DISK_ENOSPC) {
        errno = ENOSPC;
        return -1;
    }
    if (s_disk == DISK_SHORT && iov[0].iov_len > 1)
        return (ssize_t) syscall(SYS_write, fd, iov[0].iov_base, iov[0].iov_len / 2);
    return (ssize_t) syscall(SYS_writev, fd, iov, iovcnt);
}

ssize_t
pwrite(int fd, const void *buf, size_t count, off_t offset)
{
    if ((s_disk == DISK_META && count < 4096) || s_disk == DISK_ENOSPC) {
        errno = ENOSPC;
        return -1;
    }
    if (s_disk == DISK_SHORT && count > 1)
        count /= 2;
    return (ssize_t) syscall(SYS_pwrite64, fd, buf, count, offset);
}

int
fstatvfs(int fd, struct statvfs *st)
{
    struct statfs fs;
    if (syscall(SYS_fstatfs, fd, &fs) != 0)
        return -1;
    memset(st, 0, sizeof *st);
    st->f_bsize = (unsigned long) fs.f_bsize;
    st->f_frsize = (unsigned long) (fs.f_frsize ? fs.f_frsize : fs.f_bsize);
    st->f_blocks = fs.f_blocks;
    st->f_bfree = s_no_free ? 0 : fs.f_bfree;
    st->f_bavail = s_no_free ? 0 : fs.f_bavail;
    return 0;
}

static int
s_setup(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gn_store_test.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int
s_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static int
s_put_abc(gn_txn_t *txn, void *arg)
{
    int rc;
    if ((rc = gn_txn_put(txn, GN_DB_REF, "a", 1, "1", 1)) != 0
        || (rc = gn_txn_put(txn, GN_DB_REF, "b1", 2, "2", 1)) != 0
        || (rc = gn_txn_put(txn, GN_DB_REF, "b2", 2, "3", 1)) != 0
        || (rc = gn_txn_put(txn, GN_DB_REF, "c", 1, "4", 1)) != 0)
        return rc;
    return gn_meta_put(txn, "answer", 42);
}

static int
s_fail_after_put(gn_txn_t *txn, void *arg)
{
    int rc = gn_txn_put(txn, GN_DB_REF, "z", 1, "x", 1);
    return rc ? rc : GN_EINVAL;
}

typedef struct {
    char keys[8][8];
    int n;
} seen_t;

static int
s_collect(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    seen_t *seen = arg;
    snprintf(seen->keys[seen->n++], 8, "%.*s", (int) klen, (const char *) key);
    return 0;
}

static int
s_read_checks(gn_txn_t *txn, void *arg)
{
    const void *val;
    size_t vlen;
    assert_int_equal(gn_txn_get(txn, GN_DB_REF, "b2", 2, &val, &vlen), 0);
    assert_int_equal(vlen, 1);
    assert_memory_equal(val, "3", 1);
    assert_int_equal(gn_txn_get(txn, GN_DB_REF, "z", 1, &val, &vlen), GN_ENOTFOUND);
    uint64_t v;
    assert_int_equal(gn_meta_get(txn, "answer", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(gn_meta_get(txn, "never", &v), 0);
    assert_int_equal(v, 0);
    seen_t seen = { .n = 0 };
    assert_int_equal(gn_txn_scan(txn, GN_DB_REF, "b", 1, false, 1, s_collect, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.keys[0], "b1");
    assert_string_equal(seen.keys[1], "b2");
    seen.n = 0;
    assert_int_equal(gn_txn_scan(txn, GN_DB_REF, "b1", 2, true, 0, s_collect, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.keys[0], "b2");
    const void *key;
    size_t klen;
    assert_int_equal(gn_txn_last(txn, GN_DB_REF, "b", 1, &key, &klen, &val, &vlen), 0);
    assert_int_equal(klen, 2);
    assert_memory_equal(key, "b2", 2);
    assert_int_equal(gn_txn_last(txn, GN_DB_REF, "q", 1, &key, &klen, NULL, NULL), GN_ENOTFOUND);
    assert_int_equal(gn_txn_last(txn, GN_DB_REF, NULL, 0, &key, &klen, NULL, NULL), 0);
    assert_memory_equal(key, "c", 1);
    return 0;
}

static void
test_put_get_scan(void **state)
{
    gn_store_t *store;
    assert_int_equal(gn_store_open(&store, s_dir, 1 << 20), 0);
    assert_int_equal(gn_store_write(store, s_put_abc, NULL), 0);
    assert_int_equal(gn_store_write(store, s_fail_after_put, NULL), GN_EINVAL);
    assert_int_equal(gn_store_read(store, s_read_checks, NULL), 0);
    gn_store_destroy(&store);
    assert_null(store);
    //  Everything committed is there after reopening; the failed txn is not.
    assert_int_equal(gn_store_open(&store, s_dir, 1 << 20), 0);
    assert_int_equal(gn_store_read(store, s_read_checks, NULL), 0);
    gn_store_destroy(&store);
}

typedef struct {
    int calls;                  // times the txn function ran
    int n;                      // records to write
} big_t;

static int
s_write_big(gn_txn_t *txn, void *arg)
{
    big_t *big = arg;
    big->calls++;
    char value[4000];
    memset(value, 'v', sizeof value);
    for (int i = 0; i < big->n; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%08d", i);
        int rc = gn_txn_put(txn, GN_DB_REF, key, strlen(key), value, sizeof value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
s_count_ref(gn_txn_t *txn, void *arg)
{
    return gn_txn_count(txn, GN_DB_REF, arg);
}

static void
test_map_grows_and_retries(void **state)
{
    gn_store_t *store;
    assert_int_equal(gn_store_open(&store, s_dir, 256 << 10), 0);
    size_t before = gn_store_map_size(store);
    big_t big = { 0, 2000 };   // ~8 MB into a 256 KiB map
    assert_int_equal(gn_store_write(store, s_write_big, &big), 0);
    assert_true(big.calls > 1);
    assert_true(gn_store_map_size(store) > before);
    uint64_t count = 0;
    assert_int_equal(gn_store_read(store, s_count_ref, &count), 0);
    assert_int_equal(count, 2000);
    gn_store_destroy(&store);
}

typedef struct {
    uint64_t seqs[16];
    gn_feed_rec_t recs[16];
    int n;
} feed_seen_t;

static int
s_feed_collect(uint64_t seq, const gn_feed_rec_t *rec, void *arg)
{
    feed_seen_t *seen = arg;
    seen->seqs[seen->n] = seq;
    seen->recs[seen->n++] = *rec;
    return 0;
}

static int
s_feed_txn(gn_txn_t *txn, void *arg)
{
    uint64_t seq;
    gn_feed_rec_t rec = { .origin = 610403001001ULL, .seq = 1, .from = 610403001001ULL,
                          .nscope = 2, .scope = { 610403001001ULL, 610403001000ULL } };
    assert_int_equal(gn_feed_append(txn, &rec, "op1", 3, &seq), 0);
    assert_int_equal(seq, 1);
    rec.seq = 2;
    rec.flags = GN_FEED_CONFLICT;
    assert_int_equal(gn_feed_append(txn, &rec, "op2", 3, &seq), 0);
    assert_int_equal(seq, 2);
    assert_int_equal(gn_feed_skip_to(txn, 10), 0);
    rec.seq = 3;
    rec.flags = 0;
    rec.nscope = 0;
    assert_int_equal(gn_feed_append(txn, &rec, "op3", 3, &seq), 0);
    assert_int_equal(seq, 11);   // never reuses a skipped seq (I7)
    assert_int_equal(gn_feed_skip_to(txn, 5), 0);   // never moves back
    uint64_t head;
    assert_int_equal(gn_feed_head(txn, &head), 0);
    assert_int_equal(head, 11);
    assert_int_equal(gn_peer_cursor_put(txn, 610403001000ULL, 77), 0);
    return 0;
}

static int
s_feed_read(gn_txn_t *txn, void *arg)
{
    feed_seen_t seen = { .n = 0 };
    assert_int_equal(gn_feed_scan(txn, 1, s_feed_collect, &seen), 0);
    assert_int_equal(seen.n, 2);
    assert_int_equal(seen.seqs[0], 2);
    assert_int_equal(seen.recs[0].flags, GN_FEED_CONFLICT);
    assert_int_equal(seen.recs[0].nscope, 2);
    assert_int_equal(seen.recs[0].scope[1], 610403001000ULL);
    assert_int_equal(seen.seqs[1], 11);
    assert_true(gn_feed_concerns(&seen.recs[0], 610403001000ULL));    // the town
    assert_true(gn_feed_concerns(&seen.recs[0], 610403000000ULL));    // the district
    assert_false(gn_feed_concerns(&seen.recs[0], 610403002000ULL));   // another town
    assert_false(gn_feed_concerns(&seen.recs[1], 610403001000ULL));   // no scope
    uint64_t c;
    assert_int_equal(gn_peer_cursor_get(txn, 610403001000ULL, &c), 0);
    assert_int_equal(c, 77);
    assert_int_equal(gn_peer_cursor_get(txn, 610403002000ULL, &c), 0);
    assert_int_equal(c, 0);
    return 0;
}

static void
test_feed_and_cursors(void **state)
{
    gn_store_t *store;
    assert_int_equal(gn_store_open(&store, s_dir, 1 << 20), 0);
    assert_int_equal(gn_store_write(store, s_feed_txn, NULL), 0);
    assert_int_equal(gn_store_read(store, s_feed_read, NULL), 0);
    gn_store_destroy(&store);
}

typedef struct {
    const char *key;            // a key to write
    int n;                      // records of 2 KiB to write with it (0: just the key)
} put_t;

static int
s_put(gn_txn_t *txn, void *arg)
{
    put_t *p = arg;
    char value[2048];
    memset(value, 'd', sizeof value);
    int rc = gn_txn_put(txn, GN_DB_REF, p->key, strlen(p->key), "v", 1);
    for (int i = 0; rc == 0 && i < p->n; i++) {
        char key[64];
        snprintf(key, sizeof key, "%s/%04d", p->key, i);
        rc = gn_txn_put(txn, GN_DB_REF, key, strlen(key), value, sizeof value);
    }
    return rc;
}

static int
s_has(gn_txn_t *txn, void *arg)
{
    const void *val;
    size_t vlen;
    return gn_txn_get(txn, GN_DB_REF, arg, strlen(arg), &val, &vlen);
}

//  One full-disk failure: the write fails with `want`, nothing of it is kept,
//  and once there is space again the next write goes through.
static void
s_full_once(gn_store_t **store, disk_t how, bool no_free, int want, const char *key)
{
    put_t before = { "before", 0 }, failed = { key, 40 }, after = { "after", 40 };
    assert_int_equal(gn_store_write(*store, s_put, &before), 0);
    s_disk = how;
    s_no_free = no_free;
    assert_int_equal(gn_store_write(*store, s_put, &failed), want);
    s_disk = DISK_OK;
    s_no_free = false;
    assert_int_equal(gn_store_read(*store, s_has, (void *) key), GN_ENOTFOUND);
    assert_int_equal(gn_store_write(*store, s_put, &after), 0);
    assert_int_equal(gn_store_read(*store, s_has, "before"), 0);
    assert_int_equal(gn_store_read(*store, s_has, "after"), 0);
    assert_int_equal(gn_store_read(*store, s_has, (void *) key), GN_ENOTFOUND);
    //  And so it is on disk.
    gn_store_destroy(store);
    assert_int_equal(gn_store_open(store, s_dir, 1 << 20), 0);
    assert_int_equal(gn_store_read(*store, s_has, "after"), 0);
    assert_int_equal(gn_store_read(*store, s_has, (void *) key), GN_ENOTFOUND);
}

static void
test_disk_full(void **state)
{
    gn_store_t *store;
    assert_int_equal(gn_store_open(&store, s_dir, 1 << 20), 0);
    //  No space at all: the page writes fail with ENOSPC.
    s_full_once(&store, DISK_ENOSPC, false, GN_EDISKFULL, "enospc");
    //  The disk filled up half way through a write: LMDB says EIO ("short
    //  write"); with no space left that is a full disk...
    s_full_once(&store, DISK_SHORT, true, GN_EDISKFULL, "short");
    //  ...and with space left, an I/O error.
    s_full_once(&store, DISK_SHORT, false, GN_EIO, "eio");
    //  The meta page write fails: LMDB marks the environment unusable
    //  (MDB_PANIC from then on); the store opens it again and goes on.
    s_full_once(&store, DISK_META, false, GN_EDISKFULL, "meta");
    //  The map fills while the disk is full: it grows (address space, not
    //  disk space), the transaction runs again, and the commit finds the disk
    //  full; nothing of it is kept, and the next write grows it again.
    size_t map = gn_store_map_size(store);
    put_t big = { "big", 1200 };   // ~2.5 MB into a 1 MiB map
    s_disk = DISK_ENOSPC;
    assert_int_equal(gn_store_write(store, s_put, &big), GN_EDISKFULL);
    s_disk = DISK_OK;
    assert_true(gn_store_map_size(store) > map);
    assert_int_equal(gn_store_read(store, s_has, "big"), GN_ENOTFOUND);
    assert_int_equal(gn_store_write(store, s_put, &big), 0);
    assert_int_equal(gn_store_read(store, s_has, "big"), 0);
    gn_store_destroy(&store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_get_scan, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_map_grows_and_retries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_feed_and_cursors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_disk_full, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
