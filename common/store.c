/*  store.c -- LMDB behind one small API (see store.h).  */
#include "store.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define MAP_LIMIT ((size_t) 1 << 40)   // never grow the map past 1 TiB
#define LOW_SPACE ((unsigned long long) 1 << 20)   // free bytes under which a short
                                                   //   write means "disk full"
#define FULL_LOG_MS 10000              // a disk-full error is logged once per this

struct _gn_store_t {
    MDB_env *env;                  // the environment, NULL while it must be opened again
    MDB_dbi dbi[GN_DB_COUNT];      // named databases, opened with the environment
    char dir[512];                 // where it lives
    size_t map_size;               // current map size, bytes
    unsigned grown;                // times the map grew
    bool broken;                   // LMDB gave up on the environment (MDB_PANIC, or a map
                                   //   that could not be remapped): reopen before the next txn
    bool full;                     // a commit found the disk full, and no write since
                                   //   found LOW_SPACE free again
    unsigned refused;              // commits refused for lack of space since then
    unsigned refused_logged;       // how many of those were logged
    int64_t full_logged;           // ms (monotonic): when that was last logged
    pthread_rwlock_t env_lock;     // readers on other threads (gn_store_read_shared) hold it
                                   //   shared; the owner thread takes it to remap or reopen
                                   //   the environment, which no live transaction may see
};

struct _gn_txn_t {
    gn_store_t *store;             // owning store
    MDB_txn *txn;                  // live LMDB transaction
};

static const char *s_db_names[GN_DB_COUNT] = {
    "meta", "cases", "ops", "feed", "peers", "ref", "history", "conflicts",
    "idx_status", "idx_owner", "idx_grid", "idx_due", "ledger", "idx_time"
};

//  Translate an LMDB or errno code to a gridnet code, logging the unusual.
static int
s_err(int rc, const char *what)
{
    switch (rc) {
    case 0: return GN_OK;
    case MDB_NOTFOUND: return GN_ENOTFOUND;
    case MDB_KEYEXIST: return GN_EEXIST;
    case MDB_MAP_FULL: return GN_EMAPFULL;
    case MDB_TXN_FULL: return GN_EMAPFULL;
    case ENOSPC:   // logged where they matter (s_commit_err, s_env_open)
    case EDQUOT:
    case EFBIG: return GN_EDISKFULL;
    case EIO: gn_error("store: %s: %s", what, mdb_strerror(rc)); return GN_EIO;
    case ENOMEM: return GN_ENOMEM;
    default: gn_error("store: %s: %s", what, mdb_strerror(rc)); return GN_ESTORE;
    }
}

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Open the environment in self->dir with a map of self->map_size (or the
//  larger size it already has), and its named databases.
static int
s_env_open(gn_store_t *self)
{
    int rc;
    MDB_txn *txn = NULL;
    if ((rc = s_err(mdb_env_create(&self->env), "env_create")) != 0)
        return rc;
    if ((rc = s_err(mdb_env_set_maxdbs(self->env, GN_DB_COUNT), "set_maxdbs")) != 0
        || (rc = s_err(mdb_env_set_mapsize(self->env, self->map_size), "set_mapsize")) != 0
        || (rc = s_err(mdb_env_open(self->env, self->dir, MDB_NOTLS, 0600), "env_open")) != 0)
        goto fail;
    MDB_envinfo info;
    if ((rc = s_err(mdb_env_info(self->env, &info), "env_info")) != 0)
        goto fail;
    self->map_size = info.me_mapsize;   // an existing env may be larger
    gn_store_reap(self);
    if ((rc = s_err(mdb_txn_begin(self->env, NULL, 0, &txn), "txn_begin")) != 0)
        goto fail;
    for (int i = 0; i < GN_DB_COUNT; i++)
        if ((rc = s_err(mdb_dbi_open(txn, s_db_names[i], MDB_CREATE, &self->dbi[i]),
                        s_db_names[i])) != 0)
            goto fail;
    rc = mdb_txn_commit(txn);   // creates the databases the first time only
    txn = NULL;
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
        gn_error("store: cannot create the databases in %s: %s (disk full)", self->dir,
                 mdb_strerror(rc));
    if ((rc = s_err(rc, "txn_commit")) != 0)
        goto fail;
    return GN_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(self->env);
    self->env = NULL;
    return rc;
}

int
gn_store_open(gn_store_t **self_p, const char *dir, size_t map_bytes)
{
    *self_p = NULL;
    gn_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return GN_ENOMEM;
    int rc;
    if (strlen(dir) >= sizeof self->dir) {
        gn_error("store: directory name too long: %s", dir);
        free(self);
        return GN_EINVAL;
    }
    snprintf(self->dir, sizeof self->dir, "%s", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int err = errno;
        gn_error("store: cannot create %s: %s", dir, strerror(err));
        free(self);
        return err == ENOSPC || err == EDQUOT ? GN_EDISKFULL : GN_EIO;
    }
    self->map_size = map_bytes;
    if ((rc = s_env_open(self)) != 0) {
        free(self);
        return rc;
    }
    int prc = pthread_rwlock_init(&self->env_lock, NULL);
    if (prc != 0) {
        mdb_env_close(self->env);
        free(self);
        return GN_ENOMEM;
    }
    *self_p = self;
    return GN_OK;
}

//  LMDB cannot go on with this environment (see `broken`): close it and open
//  it again. What it holds is what the last good commit left; the failed
//  transaction is not in it.
static int
s_reopen(gn_store_t *self)
{
    pthread_rwlock_wrlock(&self->env_lock);
    if (self->env) {
        mdb_env_close(self->env);
        self->env = NULL;
    }
    int rc = s_env_open(self);
    pthread_rwlock_unlock(&self->env_lock);
    if (rc != 0) {
        gn_error("store: cannot open %s again: %s", self->dir, gn_strerror(rc));
        return rc;
    }
    self->broken = false;
    gn_warn("store: environment in %s opened again (map %.1f MiB)", self->dir,
            (double) self->map_size / (1 << 20));
    return GN_OK;
}

void
gn_store_destroy(gn_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_store_t *self = *self_p;
    if (self->env)
        mdb_env_close(self->env);
    pthread_rwlock_destroy(&self->env_lock);
    free(self);
    *self_p = NULL;
}

int
gn_store_reap(gn_store_t *self)
{
    int dead = 0;
    if (!self->env || mdb_reader_check(self->env, &dead) != 0)
        return 0;
    if (dead > 0)
        gn_warn("store: cleared %d stale reader slot(s)", dead);
    return dead;
}

size_t
gn_store_map_size(gn_store_t *self)
{
    return self->map_size;
}

unsigned
gn_store_grown(gn_store_t *self)
{
    return self->grown;
}

static int
s_grow(gn_store_t *self)
{
    size_t next = self->map_size * 2;
    if (next > MAP_LIMIT) {
        gn_error("store: map would pass its limit of %zu bytes", MAP_LIMIT);
        return GN_EMAPFULL;
    }
    //  Without MDB_WRITEMAP this only maps more of the file (PROT_READ,
    //  MAP_SHARED): it takes address space, not disk space; the file grows
    //  when a commit writes past its end.
    pthread_rwlock_wrlock(&self->env_lock);
    int mrc = mdb_env_set_mapsize(self->env, next);
    pthread_rwlock_unlock(&self->env_lock);
    if (mrc != 0) {
        //  The old mapping is gone by now: the environment must be opened again.
        gn_error("store: cannot grow the map from %.1f to %.1f MiB: %s",
                 (double) self->map_size / (1 << 20), (double) next / (1 << 20),
                 mdb_strerror(mrc));
        self->broken = true;
        return mrc == ENOMEM ? GN_ENOMEM : GN_ESTORE;
    }
    gn_info("store: map full: grown from %.1f to %.1f MiB (growth %u); the transaction runs "
            "again", (double) self->map_size / (1 << 20), (double) next / (1 << 20),
            self->grown + 1);
    self->map_size = next;
    self->grown++;
    return GN_OK;
}

static int
s_begin(gn_store_t *self, unsigned flags, MDB_txn **txn)
{
    if ((self->broken || !self->env) && s_reopen(self) != 0)
        return GN_ESTORE;
    int rc = mdb_txn_begin(self->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {   // another process grew it: adopt the new size
        pthread_rwlock_wrlock(&self->env_lock);
        rc = mdb_env_set_mapsize(self->env, 0);
        pthread_rwlock_unlock(&self->env_lock);
        if (rc == 0)
            rc = mdb_txn_begin(self->env, NULL, flags, txn);
    }
    if (rc == MDB_PANIC) {   // a failed commit wrecked it (see s_commit_err)
        gn_error("store: LMDB marked the environment in %s unusable after a failed write "
                 "(MDB_PANIC): opening it again", self->dir);
        self->broken = true;
        if (s_reopen(self) != 0)
            return GN_ESTORE;
        rc = mdb_txn_begin(self->env, NULL, flags, txn);
    }
    return s_err(rc, "txn_begin");
}

//  Free bytes on the filesystem holding the environment, as this process may
//  use them; false if unknown.
static bool
s_free_bytes(gn_store_t *self, unsigned long long *bytes)
{
    int fd;
    struct statvfs st;
    if (mdb_env_get_fd(self->env, &fd) != 0 || fstatvfs(fd, &st) != 0)
        return false;
    unsigned long long blocks = geteuid() == 0 ? st.f_bfree : st.f_bavail;
    *bytes = blocks * (unsigned long long) st.f_frsize;
    return true;
}

//  A commit failed with LMDB's or the system's code rc. Without MDB_WRITEMAP
//  LMDB writes the dirty pages with write(2)s at commit; a write that finds
//  no space fails with ENOSPC (EDQUOT, EFBIG) if it wrote nothing, and LMDB
//  turns a short write -- the disk filled up part way through -- into EIO.
//  An EIO with (almost) no space left is that. Either way the transaction is
//  aborted and nothing of it is visible; the environment stays usable unless
//  the meta page write failed, which LMDB marks fatal (MDB_PANIC at the next
//  begin: s_begin opens the environment again).
static int
s_commit_err(gn_store_t *self, int rc)
{
    unsigned long long avail = 0;
    bool known = s_free_bytes(self, &avail);
    const char *why = NULL;
    if (rc == ENOSPC || rc == EDQUOT || rc == EFBIG)
        why = mdb_strerror(rc);
    else if (rc == EIO && known && avail < LOW_SPACE)
        why = "short write (no space left on device)";
    if (!why)
        return s_err(rc, "commit");
    self->refused++;
    int64_t now = s_now_ms();
    if (!self->full) {
        gn_error("store: disk full: a commit in %s failed: %s; %llu bytes free; the transaction "
                 "was rolled back, nothing of it is kept; writes that need more room fail until "
                 "there is space", self->dir, why, avail);
        self->full = true;
        self->full_logged = now;
        self->refused_logged = self->refused;
    }
    else if (now - self->full_logged >= FULL_LOG_MS) {
        gn_error("store: disk still full in %s: %u more commit(s) refused; %llu bytes free",
                 self->dir, self->refused - self->refused_logged, avail);
        self->full_logged = now;
        self->refused_logged = self->refused;
    }
    return GN_EDISKFULL;
}

//  A commit went through while the disk was full: said once there is room again.
static void
s_space_back(gn_store_t *self)
{
    unsigned long long avail = 0;
    if (!s_free_bytes(self, &avail) || avail < LOW_SPACE)
        return;   // squeezed in; more commits will fail
    gn_warn("store: space is back in %s (%llu bytes free): writes succeed again (%u refused "
            "while the disk was full)", self->dir, avail, self->refused);
    self->full = false;
    self->refused = self->refused_logged = 0;
}

int
gn_store_write(gn_store_t *self, gn_txn_fn *fn, void *arg)
{
    for (;;) {
        gn_txn_t t = { self, NULL };
        int rc = s_begin(self, 0, &t.txn);
        if (rc != 0)
            return rc;
        rc = fn(&t, arg);
        if (rc == 0) {
            int mrc = mdb_txn_commit(t.txn);   // aborts the transaction if it fails
            rc = mrc == 0 || mrc == MDB_MAP_FULL || mrc == MDB_TXN_FULL ? s_err(mrc, "commit")
                                                                        : s_commit_err(self, mrc);
        }
        else
            mdb_txn_abort(t.txn);
        if (rc == 0 && self->full)
            s_space_back(self);
        if (rc != GN_EMAPFULL)
            return rc;
        if ((rc = s_grow(self)) != 0)
            return rc;
    }
}

int
gn_store_read_shared(gn_store_t *self, gn_txn_fn *fn, void *arg)
{
    pthread_rwlock_rdlock(&self->env_lock);
    gn_txn_t t = { self, NULL };
    int rc = self->env && !self->broken
           ? s_err(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &t.txn), "txn_begin")
           : GN_ESTORE;
    if (rc == 0) {
        rc = fn(&t, arg);
        mdb_txn_abort(t.txn);
    }
    pthread_rwlock_unlock(&self->env_lock);
    return rc;
}

int
gn_store_read(gn_store_t *self, gn_txn_fn *fn, void *arg)
{
    gn_txn_t t = { self, NULL };
    int rc = s_begin(self, MDB_RDONLY, &t.txn);
    if (rc != 0)
        return rc;
    rc = fn(&t, arg);
    mdb_txn_abort(t.txn);
    return rc;
}

int
gn_txn_get(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
           const void **val, size_t *vlen)
{
    MDB_val k = { klen, (void *) key }, v;
    int rc = mdb_get(txn->txn, txn->store->dbi[db], &k, &v);
    if (rc != 0) {
        *val = NULL;
        *vlen = 0;
        return s_err(rc, "get");
    }
    *val = v.mv_data;
    *vlen = v.mv_size;
    return GN_OK;
}

int
gn_txn_put(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
           const void *val, size_t vlen)
{
    MDB_val k = { klen, (void *) key }, v = { vlen, (void *) val };
    return s_err(mdb_put(txn->txn, txn->store->dbi[db], &k, &v, 0), "put");
}

int
gn_txn_reserve(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
               size_t vlen, void **dst)
{
    MDB_val k = { klen, (void *) key }, v = { vlen, NULL };
    int rc = mdb_put(txn->txn, txn->store->dbi[db], &k, &v, MDB_RESERVE);
    if (rc != 0)
        return s_err(rc, "reserve");
    *dst = v.mv_data;
    return GN_OK;
}

int
gn_txn_del(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen)
{
    MDB_val k = { klen, (void *) key };
    return s_err(mdb_del(txn->txn, txn->store->dbi[db], &k, NULL), "del");
}

int
gn_txn_clear(gn_txn_t *txn, gn_db_t db)
{
    return s_err(mdb_drop(txn->txn, txn->store->dbi[db], 0), "clear");
}

int
gn_txn_count(gn_txn_t *txn, gn_db_t db, uint64_t *count)
{
    MDB_stat st;
    int rc = s_err(mdb_stat(txn->txn, txn->store->dbi[db], &st), "stat");
    if (rc == 0)
        *count = st.ms_entries;
    return rc;
}

int
gn_txn_scan(gn_txn_t *txn, gn_db_t db, const void *from, size_t flen, bool exclusive,
            size_t prefix_len, gn_scan_fn *fn, void *arg)
{
    MDB_cursor *cur;
    int rc = s_err(mdb_cursor_open(txn->txn, txn->store->dbi[db], &cur), "cursor_open");
    if (rc != 0)
        return rc;
    MDB_val k = { flen, (void *) from }, v;
    int mrc = from && flen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                           : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    if (mrc == 0 && exclusive && from && k.mv_size == flen && memcmp(k.mv_data, from, flen) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    while (mrc == 0) {
        if (prefix_len && (k.mv_size < prefix_len || memcmp(k.mv_data, from, prefix_len) != 0))
            break;
        rc = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg);
        if (rc != 0)
            break;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc < 0)
        return rc;
    if (mrc != 0 && mrc != MDB_NOTFOUND)
        return s_err(mrc, "scan");
    return GN_OK;
}

int
gn_txn_last(gn_txn_t *txn, gn_db_t db, const void *prefix, size_t prefix_len,
            const void **key, size_t *klen, const void **val, size_t *vlen)
{
    MDB_cursor *cur;
    int rc = s_err(mdb_cursor_open(txn->txn, txn->store->dbi[db], &cur), "cursor_open");
    if (rc != 0)
        return rc;
    //  Seek to the first key past every key with this prefix, then step back.
    uint8_t next[64];
    bool has_next = false;
    if (prefix_len > 0 && prefix_len <= sizeof next) {
        memcpy(next, prefix, prefix_len);
        for (size_t i = prefix_len; i-- > 0;)
            if (++next[i] != 0) {
                has_next = true;
                break;
            }
    }
    MDB_val k = { prefix_len, next }, v;
    int mrc;
    if (has_next) {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        mrc = mrc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                       : mdb_cursor_get(cur, &k, &v, MDB_LAST);
    }
    else
        mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (mrc != 0)
        return s_err(mrc, "last");
    if (prefix_len && (k.mv_size < prefix_len || memcmp(k.mv_data, prefix, prefix_len) != 0))
        return GN_ENOTFOUND;
    if (key) {
        *key = k.mv_data;
        *klen = k.mv_size;
    }
    if (val) {
        *val = v.mv_data;
        *vlen = v.mv_size;
    }
    return GN_OK;
}

int
gn_meta_get(gn_txn_t *txn, const char *name, uint64_t *value)
{
    const void *v;
    size_t vlen;
    int rc = gn_txn_get(txn, GN_DB_META, name, strlen(name), &v, &vlen);
    if (rc == GN_ENOTFOUND) {
        *value = 0;
        return GN_OK;
    }
    if (rc != 0)
        return rc;
    if (vlen != sizeof(uint64_t))
        return GN_ESTORE;
    memcpy(value, v, sizeof *value);
    return GN_OK;
}

int
gn_meta_put(gn_txn_t *txn, const char *name, uint64_t value)
{
    return gn_txn_put(txn, GN_DB_META, name, strlen(name), &value, sizeof value);
}
