/*  workflow.h -- the six-step closed loop's rules (DESIGN section 3).

    Each function checks everything first and writes only if the action is
    allowed, so a refused action changes nothing. Writes are ops through
    gn_apply_local, in the caller's transaction. err receives a one-line
    reason for a refusal.  */
#ifndef GN_WORKFLOW_H
#define GN_WORKFLOW_H
#include "codec.h"
#include "ids.h"
#include "store.h"

//  Take a report at node self: a new case owned by self. case_id receives
//  its id.
int gn_workflow_report(gn_txn_t *txn, uint64_t self, const Gridnet__ReportReq *req,
                       int64_t now, char case_id[GN_CASE_ID_MAX], char *err, size_t errlen);

//  Perform a workflow action on a case at node self. *state receives the
//  case's new state (caller frees with gn_codec_free_case).
int gn_workflow_act(gn_txn_t *txn, uint64_t self, const Gridnet__ActReq *req, int64_t now,
                    gn_case_t **state, char *err, size_t errlen);

#endif
