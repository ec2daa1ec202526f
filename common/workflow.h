/*  workflow.h -- the six-step closed loop's rules (DESIGN sections 3-4).

      report → REPORTED →accept→ ACCEPTED →dispatch→ DISPATCHED →handle→ HANDLED
      →verify ok→ VERIFIED →archive→ ARCHIVED →evaluate→ EVALUATED
      verify fail → DISPATCHED again (rework, counted); reject → REJECTED.

    Ownership (I1-I2): only the owner changes a case. Transfers are one op
    written by the owner with the epoch it held; the case's epoch goes up by
    one and the receiver owns it once it applies the op:
      escalate   to the parent (status REPORTED there: it must accept)
      dispatch   --to a child: it works the case; this node is pushed on the
                 case's dispatcher stack and verifies the handling
      handle     at a node that was dispatched to: goes back to the
                 dispatcher for verification
      verify ok  with dispatchers left: up to the next one, still HANDLED
      verify fail  back to the node that handled it, as rework
      return     back down to the child it came from, with a reason
    Supervise (督办) needs no ownership: any higher level adds one.
    Emergencies go straight to the district.

    Each function checks everything first and writes only if the action is
    allowed, so a refused action changes nothing. err receives a one-line
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

//  The periodic duties of node self at time now: flag overdue cases it owns,
//  escalate the ones the policy says, and mark a case handled once all its
//  joint-meeting tasks are verified. *changed counts the ops written.
int gn_workflow_tick(gn_txn_t *txn, uint64_t self, int64_t now, int *changed);

//  Check that actor may perform action at self (roles from staff/<actor>).
//  0, or GN_EPERM with the reason in err.
int gn_workflow_may(gn_txn_t *txn, uint64_t self, const char *actor, int action,
                    const gn_case_t *c, char *err, size_t errlen);

#endif
