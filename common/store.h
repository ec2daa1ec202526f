/*  store.h -- the node's LMDB environment: named databases, one writer, group
    commit, map growth. The only module that includes lmdb.h.

    Durability (I4): default LMDB flags; a write returns only after its
    transaction is on disk. Writes run through gn_store_write(), which calls
    fn inside a write transaction and commits; on MDB_MAP_FULL it aborts,
    doubles the map and calls fn again from the start, so fn must do all its
    work through the txn (no side effects it cannot repeat).

    Values returned by gn_txn_get / gn_txn_scan point into the map and stay
    valid until the transaction ends (as mdb_get).  */
#ifndef GN_STORE_H
#define GN_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GN_DB_META,        // name -> u64 counters and ids
    GN_DB_CASES,       // case key (origin, n) -> packed Case
    GN_DB_OPS,         // op key (origin, seq) -> packed Op
    GN_DB_FEED,        // local seq (be64) -> feed record (see feed.h)
    GN_DB_PEERS,       // peer node (be64) -> peer record (see feed.h)
    GN_DB_REF,         // reference data key -> versioned value
    GN_DB_HISTORY,     // case key + version (be32) -> op key
    GN_DB_CONFLICTS,   // case key + op key -> packed Op (rejected as stale)
    GN_DB_IDX_STATUS,  // status (u8) + case key -> ""
    GN_DB_IDX_OWNER,   // owner (be64) + case key -> ""
    GN_DB_IDX_GRID,    // grid text + NUL + case key -> ""
    GN_DB_IDX_DUE,     // owner (be64) + overdue (u8) + deadline ms (be64) + case key -> ""
                       //   (open cases only)
    GN_DB_LEDGER,      // op key of the verifying op -> reward entry (JSON)
    GN_DB_IDX_TIME,    // case summaries for reports (see summary.h), by time:
                       //   'R' | reported ms (be64) | case key -> summary record
                       //   'C' | closed ms | case key, 'D' | due ms | case key,
                       //   'O' | case key (open and overdue now) -> reported ms (be64)
    GN_DB_COUNT
} gn_db_t;

typedef struct _gn_store_t gn_store_t;
typedef struct _gn_txn_t gn_txn_t;

//  Open (creating) the environment in dir with an initial map of map_bytes.
//  Clears stale reader slots. 0 or a GN_E* code. Caller owns *self_p.
int gn_store_open(gn_store_t **self_p, const char *dir, size_t map_bytes);
void gn_store_destroy(gn_store_t **self_p);

typedef int (gn_txn_fn)(gn_txn_t *txn, void *arg);

//  Run fn in a write transaction and commit. fn returning non-zero aborts the
//  transaction and that code is returned. On map full: grow and retry.
int gn_store_write(gn_store_t *self, gn_txn_fn *fn, void *arg);
//  Run fn in a read-only transaction.
int gn_store_read(gn_store_t *self, gn_txn_fn *fn, void *arg);
//  Reap reader slots left by dead processes; returns how many were cleared.
int gn_store_reap(gn_store_t *self);
//  Current map size in bytes, and how many times it grew.
size_t gn_store_map_size(gn_store_t *self);

int gn_txn_get(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
               const void **val, size_t *vlen);
int gn_txn_put(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
               const void *val, size_t vlen);
//  Reserve vlen bytes for key and return where to write them (valid until
//  the next write in this txn).
int gn_txn_reserve(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen,
                   size_t vlen, void **dst);
//  Delete key; GN_ENOTFOUND if absent.
int gn_txn_del(gn_txn_t *txn, gn_db_t db, const void *key, size_t klen);
//  Delete every record of db (the db itself stays).
int gn_txn_clear(gn_txn_t *txn, gn_db_t db);
//  Number of records in db.
int gn_txn_count(gn_txn_t *txn, gn_db_t db, uint64_t *count);

//  Visit records with key >= from (> from if exclusive) in key order while
//  their key starts with prefix (prefix_len 0: no limit). fn returns 0 to go
//  on, 1 to stop, <0 to fail (that code is returned).
typedef int (gn_scan_fn)(const void *key, size_t klen, const void *val, size_t vlen, void *arg);
int gn_txn_scan(gn_txn_t *txn, gn_db_t db, const void *from, size_t flen, bool exclusive,
                size_t prefix_len, gn_scan_fn *fn, void *arg);
//  The last record whose key starts with prefix (prefix_len 0: the last of
//  the db). GN_ENOTFOUND if none.
int gn_txn_last(gn_txn_t *txn, gn_db_t db, const void *prefix, size_t prefix_len,
                const void **key, size_t *klen, const void **val, size_t *vlen);

//  Meta counters (GN_DB_META), 0 when absent.
int gn_meta_get(gn_txn_t *txn, const char *name, uint64_t *value);
int gn_meta_put(gn_txn_t *txn, const char *name, uint64_t value);

#endif
