/*  fuzz_seed.h -- real ops for the fuzz targets and their seed corpus.

    Shared by fuzz_apply.c (which seeds its store with them) and mkcorpus.c
    (which writes the committed seed corpus), so the seeds always follow the
    state the apply target starts from. Everything is deterministic: a fixed
    clock, no keys (insecure mode), so the same bytes come out every time.

    The cast, one branch of the hierarchy:
        FZ_DISTRICT 610403000000   parent of the node under test
        FZ_TOWN     610403001000   the node under test (fuzz_apply's store)
        FZ_VILLAGE  610403001001   its child, where cases are reported
        FZ_SIBLING  610403001002   another child of the town
        FZ_OTHER    610403002001   a village under another town

    The apply target's input is a sequence of records, Batch-like:
        [hdr u8][len u16 little-endian][len bytes: a packed Op] ...
    hdr & 3 picks who sent it: 0 child FZ_VILLAGE, 1 child FZ_SIBLING,
    2 parent FZ_DISTRICT, 3 child FZ_VILLAGE again; hdr & 4 is the entry's
    conflict flag. A record whose length passes the end takes what is left.  */
#ifndef GN_FUZZ_SEED_H
#define GN_FUZZ_SEED_H
#include "codec.h"

#include <stddef.h>
#include <stdint.h>

#define FZ_DISTRICT 610403000000ULL
#define FZ_TOWN     610403001000ULL
#define FZ_VILLAGE  610403001001ULL
#define FZ_SIBLING  610403001002ULL
#define FZ_OTHER    610403002001ULL
#define FZ_NOW      1700000000000LL     // 2023-11-14T22:13:20Z

#define FZ_HDR_VILLAGE  0
#define FZ_HDR_SIBLING  1
#define FZ_HDR_PARENT   2
#define FZ_HDR_CONFLICT 4

typedef struct {
    uint8_t *data;
    size_t len;
} fz_blob_t;

typedef struct {
    fz_blob_t *v;
    size_t n;
    size_t cap;
} fz_blobs_t;

void fz_blobs_add(fz_blobs_t *b, const void *data, size_t len);
void fz_blobs_free(fz_blobs_t *b);

typedef struct {
    fz_blobs_t seed;        // village ops the apply target's store starts with (feed order)
    fz_blobs_t child;       // later village ops: new to the town, they follow its view
    fz_blobs_t parent;      // district ops concerning the town: accept, dispatch, 3 supervise, refdata
} fz_ops_t;

//  Run the workflow for real in scratch stores under tmpdir (removed again)
//  and collect the packed ops. 0 or a GN_E* code (with a line on stderr).
int fz_make_ops(const char *tmpdir, fz_ops_t *ops);
void fz_ops_free(fz_ops_t *ops);

//  A private scratch directory under $TMPDIR (else /dev/shm, else /tmp):
//  writes the path into dir. 0 or -1.
int fz_mkdtemp(char *dir, size_t size, const char *tag);
//  rm -rf dir (only a directory fz_mkdtemp made: flat, files only).
void fz_rmdir(const char *dir);

//  Append one apply-target record (hdr, length, op bytes) to buf.
void fz_record(fz_blob_t *buf, uint8_t hdr, const fz_blob_t *op);

#endif
