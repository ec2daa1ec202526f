/*  report.h -- analysis for decisions (issue 7): the monthly report and the
    evaluation (考核), computed from the case summaries (summary.h) alone: a
    report range-scans the months it covers and never unpacks a Case.

    A case counts where it is located: its grid's village (the origin for a
    case without a grid). Months are calendar months of China Standard Time
    (UTC+8). Documents are JSON (jansson), described in docs/interfaces.md.

    Definitions (also in docs/interfaces.md):
      reported       cases reported in the period (by the time of the report);
                     joint-meeting tasks are not grid events and are left out
      closed         of those, verified by now (verified, archived, evaluated)
      closure rate   closed / (reported - rejected)                    结案率
      due            cases whose deadline falls in the period: the handling
                     deadline (due_handle), or the accepting one (due_accept)
                     for a case never accepted; rejected cases are not due
      on time        of the due, closed and never flagged overdue (no overdue
                     op in their history: no deadline of any step, supervision
                     included, was missed)
      on-time rate   on time / due                                  按期结案率
      rework rate    reported cases sent back at least once by a failed
                     verification / (reported - rejected)             返工率
      step times     report → first accept; first accept → first dispatch;
                     (first dispatch, else first accept, else report) → last
                     handling; last handling → closed; closed → archived;
                     archived → evaluated; report → closed (total). Average
                     and 90th percentile (nearest rank), in ms.
      satisfaction   ratings 4 or 5 / rated cases                     满意率  */
#ifndef GN_REPORT_H
#define GN_REPORT_H
#include "codec.h"
#include "store.h"
#include "summary.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

//  ---- reports ----

//  The monthly report at node self (see MonthlyReq in gridnet.proto and
//  docs/interfaces.md for the document). *doc is the caller's. A request
//  that cannot be answered gets GN_EINVAL / GN_ESCOPE with the reason in err.
int gn_report_monthly(gn_txn_t *txn, uint64_t self, const Gridnet__MonthlyReq *req,
                      int64_t now, json_t **doc, char *err, size_t errlen);
//  The same document without the index: every case of GN_DB_CASES unpacked,
//  and the history of each that counts. For the benchmark and the tests,
//  which compare the two.
int gn_report_monthly_scan(gn_txn_t *txn, uint64_t self, const Gridnet__MonthlyReq *req,
                           int64_t now, json_t **doc, char *err, size_t errlen);
//  The evaluation (考核) for one month, per unit or grid worker. Cases come
//  from the index; quality reports and rewards from the reward ledger, which
//  has no index by time: it is read whole (one entry per verified grid-worker
//  report, about 5,500 a year for Yangling).
int gn_report_eval(gn_txn_t *txn, uint64_t self, const Gridnet__EvalReq *req, int64_t now,
                   json_t **doc, char *err, size_t errlen);

//  The allowance model (seed: 500 yuan a month, 40 % base, 60 % by evaluation).
#define GN_ALLOWANCE_FEN       50000
#define GN_ALLOWANCE_BASE_FEN  20000
#define GN_ALLOWANCE_SCORE_FEN 30000

#endif
