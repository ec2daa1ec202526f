/*  audit.h -- tamper evidence: check a node's replica against its chains.

    Three checks, in a read transaction:
      1. the feed: every record's chain value is SHA-256 of the previous
         record's chain, the record and its op's bytes, so an edited op or
         feed record breaks the chain from that record on;
      2. every origin in this node's subtree: its ops follow one another
         (op.prev), and every seal verifies against the registry's key;
      3. every case: its stored state is the state its latest op carries
         (supervisions aside, which are merged from every level).
    The report names the first bad record of each kind.  */
#ifndef GN_AUDIT_H
#define GN_AUDIT_H
#include "codec.h"
#include "keys.h"
#include "store.h"

#include <jansson.h>

//  Audit the replica of node self. registry NULL: seals are not checked.
//  *report gets {"ok": bool, "feed_records", "ops_checked", "seals_verified",
//  "cases_checked", "problems": [{"what", "where", "why"}]} (caller owns).
int gn_audit(gn_txn_t *txn, uint64_t self, gn_registry_t *registry, json_t **report);

//  Per origin below root: how many ops this node holds, the highest seq and
//  SHA-256 over their bytes in seq order. After the links heal, a child's
//  digest of its own subtree equals its parent's digest of that subtree
//  (I5). Fills d (release with gn_digest_free).
int gn_digest(gn_txn_t *txn, uint64_t root, Gridnet__Digest *d);
void gn_digest_free(Gridnet__Digest *d);

#endif
