/*  fuzz_apply.c -- libFuzzer target for the op apply path (gn_apply).

    The node under test is a town (FZ_TOWN) with a real LMDB store in a
    scratch directory (under $TMPDIR, else /dev/shm, else /tmp), made once in
    LLVMFuzzerInitialize and seeded with the ops of a real workflow run at
    its village (fuzz_seed.c: reports, an accept, an emergency escalated).

    Each input is a Batch-like sequence of records (format in fuzz_seed.h):
    [hdr][len u16 LE][packed op]. Every record that unpacks as an op
    (gn_codec_unpack_op, as sync.c does for a Batch entry) is applied with
    gn_apply, all of one input in one gn_store_write transaction, as if it
    came up from a child (FROM_CHILD, peer = the village or its sibling) or
    down from the parent (FROM_PARENT, peer = the district), with the entry's
    conflict flag from hdr.

    Invariants (abort() when one breaks, so libFuzzer keeps the input):
      - gn_apply returns 0, GN_ESCOPE, GN_EINVAL or a store error, nothing
        else; with 0 its result is NEW, DUP or CONFLICT;
      - the store stays readable and consistent, checked inside the
        transaction after the input's ops: every record of GN_DB_CASES
        unpacks with gn_codec_unpack_case and sits under the key of its own
        id; each case has exactly its index entries (status, owner, grid,
        and due while open); every op the input stored (the feed past its
        head before the input) is stored and unpacks with gn_codec_unpack_op
        under its own id -- and every op in GN_DB_OPS does, checked at each
        reset;
      - ASan/UBSan: no memory error, no undefined behaviour, no leak.

    The store is committed after each input and wiped and seeded again every
    GN_FUZZ_RESET inputs (default 128), so it never grows without bound (its
    map starts at 1 MiB). GN_FUZZ_RESET=0 rolls every input back instead:
    each input then starts from the seeded store, which makes any crash
    reproducible from its file alone -- use it to replay a crash:
        GN_FUZZ_RESET=0 ./fuzz_apply crash-<sha1>
    With commits, an input can depend on the ones before it since the last
    reset; when an invariant breaks or a sanitizer reports, those inputs are
    written, concatenated (records concatenate), to
    $GN_FUZZ_HISTORY (default ./fuzz-apply-history-<pid>.bin): replay that
    file with GN_FUZZ_RESET=0 too. GN_FUZZ_VERBOSE=1 prints what each record
    did (and the project's log at debug level).  */
#include "apply.h"
#include "cases.h"
#include "err.h"
#include "feed.h"
#include "fuzz_seed.h"
#include "ids.h"
#include "log.h"
#include "store.h"

#include <sanitizer/common_interface_defs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROLLBACK 1              // fn's code to roll an input back (not a GN_E* code)
#define RECORD_HDR 3

static char s_tmp[512];         // scratch dir: seeding stores, then the town's
static char s_dir[600];         // the town's store
static gn_store_t *s_store;
static fz_ops_t s_ops;
static unsigned long s_reset_every = 128;
static unsigned long s_since_reset;
static fz_blob_t s_history;     // inputs since the last reset (commit mode)
static bool s_verbose;          // GN_FUZZ_VERBOSE: log level debug, one line per record

static void
s_dump_history(void)
{
    if (s_reset_every == 0 || s_history.len == 0)
        return;
    char path[600];
    const char *env = getenv("GN_FUZZ_HISTORY");
    if (env && *env)
        snprintf(path, sizeof path, "%s", env);
    else
        snprintf(path, sizeof path, "fuzz-apply-history-%d.bin", (int) getpid());
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(s_history.data, 1, s_history.len, f);
        fclose(f);
        fprintf(stderr, "fuzz_apply: the %lu input(s) since the last reset (%zu bytes) are in %s;"
                " replay with GN_FUZZ_RESET=0\n", s_since_reset, s_history.len, path);
    }
}

static void
s_cleanup(void)
{
    gn_store_destroy(&s_store);
    if (s_dir[0])
        fz_rmdir(s_dir);
    if (s_tmp[0])
        rmdir(s_tmp);
    s_dir[0] = s_tmp[0] = 0;
}

//  On a sanitizer report or a broken invariant the store may be inside a
//  transaction: leave the environment open, only remove its files.
static void
s_on_death(void)
{
    s_dump_history();
    if (s_dir[0])
        fz_rmdir(s_dir);
    if (s_tmp[0])
        rmdir(s_tmp);
}

static void s_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
s_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz_apply: invariant broken: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    s_on_death();
    abort();
}

//  ---------------------------------------------------------------------------
//  The town's store: wiped, opened and seeded with the village's ops.

static int
s_seed_txn(gn_txn_t *txn, void *arg)
{
    for (size_t i = 0; i < s_ops.seed.n; i++) {
        const fz_blob_t *b = &s_ops.seed.v[i];
        int err;
        gn_op_t *op = gn_codec_unpack_op(b->data, b->len, &err);
        if (!op)
            return err;
        gn_apply_ctx_t ctx = { .self = FZ_TOWN, .peer = FZ_VILLAGE, .from = GN_FROM_CHILD };
        gn_apply_result_t result;
        int rc = gn_apply(txn, &ctx, op, b->data, b->len, &result);
        gn_codec_free_op(&op);
        if (rc == 0 && result != GN_APPLY_NEW)
            rc = GN_ESTATE;
        if (rc != 0)
            return rc;
    }
    return gn_peer_cursor_put(txn, FZ_VILLAGE, s_ops.seed.n);
}

static void s_check_store(gn_txn_t *txn, uint64_t after, bool all);
static int s_check_all_txn(gn_txn_t *txn, void *arg);

static void
s_reset(void)
{
    if (s_store)    // before it goes: every op stored since the last reset
        gn_store_read(s_store, s_check_all_txn, NULL);
    gn_store_destroy(&s_store);
    fz_rmdir(s_dir);
    int rc;
    if (mkdir(s_dir, 0700) != 0 || (rc = gn_store_open(&s_store, s_dir, 1 << 20)) != 0
        || (rc = gn_store_write(s_store, s_seed_txn, NULL)) != 0) {
        fprintf(stderr, "fuzz_apply: cannot set up the store in %s\n", s_dir);
        abort();
    }
    s_since_reset = 0;
    s_history.len = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_verbose = getenv("GN_FUZZ_VERBOSE") != NULL;
    gn_log_init(s_verbose ? GN_LOG_DEBUG : GN_LOG_ERROR, FZ_TOWN);
    const char *every = getenv("GN_FUZZ_RESET");
    if (every && *every)
        s_reset_every = strtoul(every, NULL, 10);
    if (fz_mkdtemp(s_tmp, sizeof s_tmp, "apply") != 0) {
        perror("fuzz_apply: mkdtemp");
        abort();
    }
    if (fz_make_ops(s_tmp, &s_ops) != 0) {
        fprintf(stderr, "fuzz_apply: the seed workflow failed\n");
        abort();
    }
    snprintf(s_dir, sizeof s_dir, "%s/town", s_tmp);
    s_reset();
    atexit(s_cleanup);
    __sanitizer_set_death_callback(s_on_death);
    return 0;
}

//  ---------------------------------------------------------------------------
//  Invariants on the store, inside the input's transaction.

typedef struct {
    gn_txn_t *txn;
    uint64_t cases;
    uint64_t due;               // cases with a deadline running (open ones)
    int rc;
} look_t;

static void
s_need(gn_txn_t *txn, gn_db_t db, const uint8_t *key, size_t klen, const char *what,
       const char *id)
{
    const void *val;
    size_t vlen;
    int rc = gn_txn_get(txn, db, key, klen, &val, &vlen);
    if (rc != 0)
        s_fail("case %s has no %s index entry (%s)", id, what, gn_strerror(rc));
}

static int
s_look_case(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    look_t *l = arg;
    int err;
    gn_case_t *c = gn_codec_unpack_case(val, vlen, &err);
    if (!c)
        s_fail("a stored case (%zu bytes) does not unpack: %s", vlen, gn_strerror(err));
    uint8_t own[16];
    if (klen != 16 || gn_case_key_from_text(own, c->id) != 0 || memcmp(own, key, 16) != 0)
        s_fail("case %s is stored under another key (%zu bytes)", c->id, klen);

    uint8_t k[GN_FIELD_MAX + 1 + 16];
    k[0] = (uint8_t) c->status;
    memcpy(k + 1, key, 16);
    s_need(l->txn, GN_DB_IDX_STATUS, k, 17, "status", c->id);
    gn_put_be64(k, c->owner);
    memcpy(k + 8, key, 16);
    s_need(l->txn, GN_DB_IDX_OWNER, k, 24, "owner", c->id);
    size_t n = c->grid ? strlen(c->grid) : 0;
    memcpy(k, c->grid ? c->grid : "", n);
    k[n] = 0;
    memcpy(k + n + 1, key, 16);
    s_need(l->txn, GN_DB_IDX_GRID, k, n + 17, "grid", c->id);
    int64_t due = gn_case_due(c);
    if (due > 0) {
        gn_put_be64(k, c->owner);
        k[8] = c->overdue ? 1 : 0;
        gn_put_be64(k + 9, (uint64_t) due);
        memcpy(k + 17, key, 16);
        s_need(l->txn, GN_DB_IDX_DUE, k, 33, "due", c->id);
        l->due++;
    }
    l->cases++;
    gn_codec_free_case(&c);
    return 0;
}

static int
s_look_op(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    int err;
    gn_op_t *op = gn_codec_unpack_op(val, vlen, &err);
    if (!op)
        s_fail("a stored op (%zu bytes) does not unpack: %s", vlen, gn_strerror(err));
    uint64_t origin, seq;
    if (klen != 16)
        s_fail("an op key is %zu bytes", klen);
    gn_op_key_split(key, &origin, &seq);
    if (origin != op->origin || seq != op->seq)
        s_fail("op %012llu/%llu is stored under %012llu/%llu",
               (unsigned long long) op->origin, (unsigned long long) op->seq,
               (unsigned long long) origin, (unsigned long long) seq);
    gn_codec_free_op(&op);
    return 0;
}

//  Every op the feed holds past `after` (the ops this input stored) unpacks.
static int
s_look_fed(uint64_t seq, const gn_feed_rec_t *rec, void *arg)
{
    gn_txn_t *txn = arg;
    const void *bytes;
    size_t len;
    uint8_t key[16];
    int rc = gn_ops_raw(txn, rec->origin, rec->seq, &bytes, &len);
    if (rc != 0)
        s_fail("feed record %llu names op %012llu/%llu, which is not stored: %s",
               (unsigned long long) seq, (unsigned long long) rec->origin,
               (unsigned long long) rec->seq, gn_strerror(rc));
    gn_op_key(key, rec->origin, rec->seq);
    return s_look_op(key, sizeof key, bytes, len, NULL);
}

//  The store is readable and consistent. Cases and indexes: all of them,
//  every input (a case is small and they are few). Ops: those fed after
//  feed seq `after`, or all of them when all is set (at each reset).
static void
s_check_store(gn_txn_t *txn, uint64_t after, bool all)
{
    look_t l = { .txn = txn };
    int rc = gn_txn_scan(txn, GN_DB_CASES, NULL, 0, false, 0, s_look_case, &l);
    if (rc != 0)
        s_fail("scanning the cases failed: %s", gn_strerror(rc));
    //  Exactly one entry per case in each index: no stale entries left.
    static const struct { gn_db_t db; const char *name; } idx[] = {
        { GN_DB_IDX_STATUS, "status" }, { GN_DB_IDX_OWNER, "owner" }, { GN_DB_IDX_GRID, "grid" },
        { GN_DB_IDX_DUE, "due" },
    };
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        uint64_t count;
        if ((rc = gn_txn_count(txn, idx[i].db, &count)) != 0)
            s_fail("counting the %s index failed: %s", idx[i].name, gn_strerror(rc));
        uint64_t want = idx[i].db == GN_DB_IDX_DUE ? l.due : l.cases;
        if (count != want)
            s_fail("the %s index has %llu entries for %llu cases (%llu with a deadline)",
                   idx[i].name, (unsigned long long) count, (unsigned long long) l.cases,
                   (unsigned long long) l.due);
    }
    rc = all ? gn_txn_scan(txn, GN_DB_OPS, NULL, 0, false, 0, s_look_op, NULL)
             : gn_feed_scan(txn, after, s_look_fed, txn);
    if (rc != 0)
        s_fail("scanning the ops failed: %s", gn_strerror(rc));
}

static int
s_check_all_txn(gn_txn_t *txn, void *arg)
{
    s_check_store(txn, 0, true);
    return 0;
}

//  ---------------------------------------------------------------------------
//  One input.

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t applied;             // ops gn_apply took (for -print_final_stats curiosity)
} input_t;

static bool
s_store_error(int rc)
{
    return rc == GN_ESTORE || rc == GN_EMAPFULL || rc == GN_EDISKFULL || rc == GN_EIO
        || rc == GN_ENOMEM;
}

static int
s_input_txn(gn_txn_t *txn, void *arg)
{
    input_t *in = arg;
    const uint8_t *p = in->data, *end = in->data + in->size;
    in->applied = 0;
    uint64_t head;
    int hrc = gn_feed_head(txn, &head);
    if (hrc != 0)
        return hrc;
    while (end - p >= RECORD_HDR) {
        uint8_t hdr = p[0];
        size_t len = (size_t) p[1] | (size_t) p[2] << 8;
        p += RECORD_HDR;
        if (len > (size_t) (end - p))
            len = (size_t) (end - p);
        const uint8_t *blob = p;
        p += len;

        int err;
        gn_op_t *op = gn_codec_unpack_op(blob, len, &err);
        if (!op) {
            if (s_verbose)
                fprintf(stderr, "fuzz_apply: record hdr %u, %zu bytes: does not unpack: %s\n",
                        hdr, len, gn_strerror(err));
            continue;           // sync.c: RJ_MALFORMED for that entry, on with the batch
        }
        gn_apply_ctx_t ctx = { .self = FZ_TOWN, .conflict = (hdr & FZ_HDR_CONFLICT) != 0 };
        switch (hdr & 3) {
        case FZ_HDR_SIBLING:
            ctx.peer = FZ_SIBLING;
            ctx.from = GN_FROM_CHILD;
            break;
        case FZ_HDR_PARENT:
            ctx.peer = FZ_DISTRICT;
            ctx.from = GN_FROM_PARENT;
            break;
        default:
            ctx.peer = FZ_VILLAGE;
            ctx.from = GN_FROM_CHILD;
            break;
        }
        gn_apply_result_t result = (gn_apply_result_t) -1;
        int rc = gn_apply(txn, &ctx, op, blob, len, &result);
        if (s_verbose)
            fprintf(stderr, "fuzz_apply: record hdr %u: op %012llu/%llu action %d on '%s' "
                    "from %012llu: %s, %s\n", hdr, (unsigned long long) op->origin,
                    (unsigned long long) op->seq, (int) op->action,
                    op->case_id ? op->case_id : "", (unsigned long long) ctx.peer,
                    gn_strerror(rc), rc ? "-" : result == GN_APPLY_NEW ? "new"
                    : result == GN_APPLY_DUP ? "dup" : result == GN_APPLY_CONFLICT ? "conflict"
                    : "?");
        gn_codec_free_op(&op);
        if (rc == 0) {
            if (result != GN_APPLY_NEW && result != GN_APPLY_DUP && result != GN_APPLY_CONFLICT)
                s_fail("gn_apply returned 0 with result %d", (int) result);
            in->applied++;
        }
        else if (rc == GN_ESCOPE || rc == GN_EINVAL)
            continue;           // refused, nothing stored: sync.c goes on with the batch
        else if (s_store_error(rc))
            return rc;          // sync.c aborts the transaction
        else
            s_fail("gn_apply returned %d (%s)", rc, gn_strerror(rc));
    }
    s_check_store(txn, head, false);
    return s_reset_every == 0 ? ROLLBACK : 0;
}

//  Keep an input's records for the history, each with its length as parsed
//  (the last one of an input may be cut short), so that the inputs'
//  records, concatenated, parse as the same records again.
static void
s_history_add(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    while (end - p >= RECORD_HDR) {
        size_t len = (size_t) p[1] | (size_t) p[2] << 8;
        if (len > (size_t) (end - p - RECORD_HDR))
            len = (size_t) (end - p - RECORD_HDR);
        fz_blob_t op = { (uint8_t *) p + RECORD_HDR, len };
        fz_record(&s_history, p[0], &op);
        p += RECORD_HDR + len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (s_reset_every && s_since_reset >= s_reset_every)
        s_reset();
    if (s_reset_every) {
        s_history_add(data, size);
        s_since_reset++;
    }
    input_t in = { data, size, 0 };
    int rc = gn_store_write(s_store, s_input_txn, &in);
    if (rc != 0 && rc != ROLLBACK && !s_store_error(rc))
        s_fail("the input's transaction failed: %d (%s)", rc, gn_strerror(rc));
    return 0;
}
