/*  query.h -- cases by a set of filters, newest first, and the case counts
    by status: the reads behind the HTTP front's Open311 GET requests and
    the node's metrics. Read-only: they run in any read transaction.  */
#ifndef GN_QUERY_H
#define GN_QUERY_H
#include "codec.h"
#include "store.h"

#include <jansson.h>

//  The cases q asks for, into out->cases / out->n_cases (out is initialised
//  by the caller; the array and each case are malloc'd: free the cases with
//  gn_codec_free_case and the array with free, also after a failure). With
//  q->ids, the cases of those ids that exist, in the order given, each once;
//  otherwise every case matching all the other filters, newest (created)
//  first, at most q->limit (0: GN_QUERY_MAX).
int gn_query_cases(gn_txn_t *txn, const Gridnet__CaseQueryReq *q, Gridnet__CaseList *out);

//  counts[s] = number of cases in status s (Gridnet__Status, 0..ST_COUNT-1),
//  from the status index: no case is unpacked.
#define GN_QUERY_STATUSES 9
int gn_query_count_status(gn_txn_t *txn, uint64_t counts[GN_QUERY_STATUSES]);

//  The pages' summary at node self (SummaryReq; the document is described
//  there, in gridnet.proto): counts by status from the status index, then
//  the open cases (reported, accepted, dispatched, handled) through the
//  status index: the overdue and the supervised ones, earliest deadline
//  first, at most limit each (0: 50; at most 500), and the open and overdue
//  counts by the village of their grid. *doc is the caller's.
int gn_query_summary(gn_txn_t *txn, uint64_t self, int64_t now, uint32_t limit, json_t **doc);

//  A case in short, as the summary's lists and the pages show it: {id,
//  title, category, status, severity, owner, level, grid, created, updated,
//  due (gn_case_due), overdue, supervisions, urgency, supervised_due,
//  meeting_id}. Caller owns; NULL if memory ran out.
json_t *gn_query_brief(const gn_case_t *c);

#endif
