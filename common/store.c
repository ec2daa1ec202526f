/*  store.c -- LMDB behind one small API (see store.h).  */
#include "store.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAP_LIMIT ((size_t) 1 << 40)   // never grow the map past 1 TiB

struct _gn_store_t {
    MDB_env *env;                  // the environment
    MDB_dbi dbi[GN_DB_COUNT];      // named databases, opened once
    size_t map_size;               // current map size, bytes
    unsigned grown;                // times the map grew
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
    case ENOSPC: gn_error("store: %s: disk full", what); return GN_EDISKFULL;
    case EIO: gn_error("store: %s: %s", what, mdb_strerror(rc)); return GN_EIO;
    case ENOMEM: return GN_ENOMEM;
    default: gn_error("store: %s: %s", what, mdb_strerror(rc)); return GN_ESTORE;
    }
}

int
gn_store_open(gn_store_t **self_p, const char *dir, size_t map_bytes)
{
    *self_p = NULL;
    gn_store_t *self = calloc(1, sizeof *self);
    if (!self)
        return GN_ENOMEM;
    int rc;
    MDB_txn *txn = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        gn_error("store: cannot create %s: %s", dir, strerror(errno));
        rc = GN_EIO;
        goto fail;
    }
    self->map_size = map_bytes;
    if ((rc = s_err(mdb_env_create(&self->env), "env_create")) != 0
        || (rc = s_err(mdb_env_set_maxdbs(self->env, GN_DB_COUNT), "set_maxdbs")) != 0
        || (rc = s_err(mdb_env_set_mapsize(self->env, map_bytes), "set_mapsize")) != 0
        || (rc = s_err(mdb_env_open(self->env, dir, MDB_NOTLS, 0600), "env_open")) != 0)
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
    if ((rc = s_err(mdb_txn_commit(txn), "txn_commit")) != 0) {
        txn = NULL;
        goto fail;
    }
    *self_p = self;
    return GN_OK;
fail:
    if (txn)
        mdb_txn_abort(txn);
    if (self->env)
        mdb_env_close(self->env);
    free(self);
    return rc;
}

void
gn_store_destroy(gn_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_store_t *self = *self_p;
    mdb_env_close(self->env);
    free(self);
    *self_p = NULL;
}

int
gn_store_reap(gn_store_t *self)
{
    int dead = 0;
    if (mdb_reader_check(self->env, &dead) != 0)
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

static int
s_grow(gn_store_t *self)
{
    size_t next = self->map_size * 2;
    if (next > MAP_LIMIT) {
        gn_error("store: map would pass its limit of %zu bytes", MAP_LIMIT);
        return GN_EMAPFULL;
    }
    int rc = s_err(mdb_env_set_mapsize(self->env, next), "grow map");
    if (rc != 0)
        return rc;
    self->map_size = next;
    self->grown++;
    gn_info("store: map grown to %.1f MiB", (double) next / (1 << 20));
    return GN_OK;
}

static int
s_begin(gn_store_t *self, unsigned flags, MDB_txn **txn)
{
    int rc = mdb_txn_begin(self->env, NULL, flags, txn);
    if (rc == MDB_MAP_RESIZED) {   // another process grew it: adopt the new size
        if ((rc = mdb_env_set_mapsize(self->env, 0)) == 0)
            rc = mdb_txn_begin(self->env, NULL, flags, txn);
    }
    return s_err(rc, "txn_begin");
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
        if (rc == 0)
            rc = s_err(mdb_txn_commit(t.txn), "commit");
        else
            mdb_txn_abort(t.txn);
        if (rc != GN_EMAPFULL)
            return rc;
        if ((rc = s_grow(self)) != 0)
            return rc;
    }
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
