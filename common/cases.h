/*  cases.h -- case state, its indexes, history and conflicts in the store.
    Every write keeps the indexes in the same transaction as the state, so
    lists and reports never scan the whole table.  */
#ifndef GN_CASES_H
#define GN_CASES_H
#include "codec.h"
#include "store.h"

//  Current state of a case by id text or key. Caller frees with
//  gn_codec_free_case. GN_ENOTFOUND if absent.
int gn_cases_get(gn_txn_t *txn, const char *id, gn_case_t **c);
int gn_cases_get_key(gn_txn_t *txn, const uint8_t key[16], gn_case_t **c);
//  Store c as the case's state; old is its previous state (NULL if new),
//  whose index entries are replaced. The case's summary for reports
//  (summary.h) is written in the same transaction.
int gn_cases_put(gn_txn_t *txn, const gn_case_t *c, const gn_case_t *old);
//  The deadline the case is working against now (0 = none): accepting while
//  reported, handling (or the latest supervision's) while accepted or
//  dispatched.
int64_t gn_case_due(const gn_case_t *c);
//  Highest case counter n stored for cases from this origin (0 if none).
int gn_cases_max_n(gn_txn_t *txn, uint64_t origin, uint64_t *n);

//  History: the ops of a case in version order (then op id). Adding one
//  folds its action and time into the case's summary (summary.h).
int gn_cases_history_add(gn_txn_t *txn, const gn_op_t *op);
typedef int (gn_opid_fn)(uint64_t origin, uint64_t seq, void *arg);
int gn_cases_history(gn_txn_t *txn, const uint8_t key[16], gn_opid_fn *fn, void *arg);

//  Conflicts: ops refused as stale, kept visible with the case.
int gn_cases_conflict_add(gn_txn_t *txn, const uint8_t key[16], uint64_t origin, uint64_t seq,
                          const void *bytes, size_t len);
typedef int (gn_bytes_fn)(const void *bytes, size_t len, void *arg);
int gn_cases_conflicts(gn_txn_t *txn, const uint8_t key[16], gn_bytes_fn *fn, void *arg);

//  List cases matching every given filter (status 0, grid NULL/"", owner 0:
//  any), in case key order, starting after the key `after` (NULL: from the
//  start). fn gets each case's packed state; returns 0 go on, 1 stop.
typedef struct {
    int status;                 // Gridnet__Status, 0 = any
    const char *grid;           // grid code, NULL or "" = any
    uint64_t owner;             // owner node, 0 = any
    const uint8_t *after;       // 16-byte case key to continue after, or NULL
} gn_case_filter_t;
int gn_cases_list(gn_txn_t *txn, const gn_case_filter_t *filter, gn_bytes_fn *fn, void *arg);

#endif
