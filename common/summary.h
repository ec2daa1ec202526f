/*  summary.h -- a summary of every case, kept beside it for the reports
    (report.h): the index behind "analysis for decisions" (issue 7).

    The index (GN_DB_IDX_TIME, see store.h) is written by cases.c in the same
    transaction as the case: gn_summary_index_case when a state is stored,
    gn_summary_index_op when an op joins a case's history. A summary is a
    fixed-layout record of what the reports need (category, department,
    location, status, deadline, closing time, step times, counters, rating,
    reward). Keyed by the time the case was reported, it lets a report
    range-scan the months it covers, and the 'C' (closed at), 'D' (due at) and
    'O' (overdue now) entries give the cases closed, due or overdue in a period
    without unpacking a single Case.

    Every replica computes the same summary for the same case: the state
    fields come from the case state (which converges), the step times from
    the ops of its history folded with min/max (order does not matter), so a
    town and the district report the same figures for the town's area.

    Months are calendar months of China Standard Time (UTC+8, Asia/Shanghai,
    which has no daylight saving time), written YYYYMM as unsigned numbers.  */
#ifndef GN_SUMMARY_H
#define GN_SUMMARY_H
#include "codec.h"
#include "store.h"

#include <stdbool.h>
#include <stdint.h>

#define GN_SUMMARY_VERSION 1    // layout of the summary record; another one rebuilds the index

//  Milestones folded from a case's ops.
typedef enum {
    GN_MS_ACCEPT,               // first accept
    GN_MS_DISPATCH,             // first dispatch
    GN_MS_HANDLE,               // last handling
    GN_MS_ARCHIVE,              // archived
    GN_MS_EVALUATE,             // evaluated
    GN_MS_COUNT
} gn_milestone_t;

#define GN_SUM_OVERDUE      0x01    // open and overdue now
#define GN_SUM_WAS_OVERDUE  0x02    // an overdue op is in its history
#define GN_SUM_TASK         0x04    // a joint-meeting task (parent_case set)
#define GN_SUM_WORKER       0x08    // reported by a grid worker (worker holds the id)

//  A case's summary, decoded.
typedef struct {
    int64_t created;            // reported at, ms (part of the key)
    uint8_t key[16];            // case key (origin, n)
    uint8_t status;             // Gridnet__Status
    uint8_t severity;           // Gridnet__Severity
    uint8_t flags;              // GN_SUM_*
    uint8_t rating;             // 1..5, 0 = not rated
    uint16_t reworks;           // failed verifications (saturates at 65535)
    uint16_t supervisions;      // 督办 on the case
    uint16_t escalations;       // times it went up a level
    uint64_t village;           // where it is: the grid's village (the origin without a grid)
    uint16_t grid_serial;       // the grid's serial in its village, 0 = no grid
    int64_t due;                // due_handle, else due_accept (never accepted), ms; 0 = none
    int64_t closed;             // final verification, ms; 0 = not closed
    int64_t ms[GN_MS_COUNT];    // milestones, ms; 0 = not reached
    int64_t reward;             // fen earned by the reporter
    char category[256];         // category name
    char department[256];       // assignee (department) when it was worked, "" = none
    char worker[256];           // reporter's staff id when GN_SUM_WORKER
} gn_summary_t;

#define GN_SUMMARY_KEY_LEN  25  // 'R', 'C' or 'D' | ms (be64) | case key
#define GN_SUMMARY_OKEY_LEN 17  // 'O' | case key

//  ---- the index, kept by cases.c in the case's write transaction ----

//  c (whose key is key) was stored as the case's state: write its summary,
//  keeping the milestones already folded, and move its C/D/O entries.
int gn_summary_index_case(gn_txn_t *txn, const gn_case_t *c, const uint8_t key[16]);
//  op (a case op, with its state) joined the history of the case key: fold
//  its action and time into the summary. Nothing to do if the case has none.
int gn_summary_index_op(gn_txn_t *txn, const gn_op_t *op, const uint8_t key[16]);
//  At open: if the store's summaries are missing or of another layout
//  (meta report_index != GN_SUMMARY_VERSION), rebuild them from the cases and
//  their histories, in write transactions of a few thousand cases.
//  *cases gets how many were summarised (0: nothing to do). 0 or a GN_E* code.
int gn_summary_index_open(gn_store_t *store, uint64_t *cases);

//  ---- summaries ----

//  The stored summary of a case. GN_ENOTFOUND if it has none.
int gn_summary_get(gn_txn_t *txn, int64_t created, const uint8_t key[16], gn_summary_t *s);
//  An R record's value decoded into s (created and key are the caller's to
//  fill from the record's key). 0 or GN_ESTORE.
int gn_summary_decode(const void *val, size_t len, gn_summary_t *s);
//  A summary from a case state alone (milestones zero, WAS_OVERDUE clear).
void gn_summary_of_case(const gn_case_t *c, const uint8_t key[16], gn_summary_t *s);
//  Fold one op (action, time) into s.
void gn_summary_fold(gn_summary_t *s, int action, int64_t time);
//  Fold every op of the history of the case key into s (unpacks the ops:
//  for rebuilding, and for reports made without the index).
int gn_summary_fold_history(gn_txn_t *txn, const uint8_t key[16], gn_summary_t *s);
//  A status that counts as closed (verified, archived, evaluated); as open
//  (reported, accepted, dispatched).
bool gn_summary_closed(int status);
bool gn_summary_open(int status);

//  ---- months (China Standard Time) ----

//  True for YYYYMM with 1970 <= YYYY <= 9999 and 1 <= MM <= 12.
bool gn_month_valid(unsigned yyyymm);
//  Unix ms of 00:00 UTC+8 on day 1 of the month.
int64_t gn_month_start(unsigned yyyymm);
//  The month (YYYYMM) that holds unix ms t in UTC+8.
unsigned gn_month_of(int64_t t);
//  The month n months after (n < 0: before) yyyymm.
unsigned gn_month_add(unsigned yyyymm, int n);
//  Months from a to b (b - a; 0 for the same month).
int gn_month_diff(unsigned a, unsigned b);

//  ---- months (China Standard Time) ----

//  True for YYYYMM with 1970 <= YYYY <= 9999 and 1 <= MM <= 12.
bool gn_month_valid(unsigned yyyymm);
//  Unix ms of 00:00 UTC+8 on day 1 of the month.
int64_t gn_month_start(unsigned yyyymm);
//  The month (YYYYMM) that holds unix ms t in UTC+8.
unsigned gn_month_of(int64_t t);
//  The month n months after (n < 0: before) yyyymm.
unsigned gn_month_add(unsigned yyyymm, int n);
//  Months from a to b (b - a; 0 for the same month).
int gn_month_diff(unsigned a, unsigned b);

#endif
