/*  refdata.h -- reference data: JSON values by key, defined at the district
    and replicated down as ops (I8: never from below).

    Keys and their values (deploy/data/refdata.json has Yangling's):
      department/<code>              {"name": "区公安分局", "name_en": "public security"}
      category/<name>                {"department": "<code>"}
      deadline/<category|*>/<sev>    {"accept_h": 4, "handle_h": 72} or
                                     {"accept_h": 4, "handle_days": 5, "working_days": true}
      policy/escalate                {"after_h": 24}   overdue this long → escalated
      reward/<quality|major|emergency>  {"fen": 500}
      staff/<id>                     {"name": "…", "role": "grid_worker", "node": 610403001001,
                                      "department": "<code>"}
      calendar/holidays              ["2026-10-01", …]   days off besides weekends
      meeting/<id>                   a joint meeting (see meeting.h)  */
#ifndef GN_REFDATA_H
#define GN_REFDATA_H
#include "store.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

//  The value of key, parsed. Caller owns it (json_decref). GN_ENOTFOUND if absent.
int gn_ref_get(gn_txn_t *txn, const char *key, json_t **value);
//  True if any key starts with prefix.
bool gn_ref_any(gn_txn_t *txn, const char *prefix);
//  Every key with prefix into an object key → value (caller owns).
int gn_ref_collect(gn_txn_t *txn, const char *prefix, json_t **object);

//  Deadline for accepting (accept) or handling a case of this category and
//  severity (Gridnet__Severity), counted from `from` (ms). *due = 0 if no
//  rule applies.
int gn_ref_deadline(gn_txn_t *txn, const char *category, int severity, bool accept,
                    int64_t from, int64_t *due);
//  How long an overdue case waits before the policy escalates it (ms; 0 =
//  never).
int gn_ref_escalate_after(gn_txn_t *txn, int64_t *ms);
//  A reward rule's amount in fen (0 if none).
int64_t gn_ref_reward(gn_txn_t *txn, const char *rule);

//  `from` plus n working days (Mon-Fri, China Standard Time, minus the
//  holidays in calendar/holidays).
int64_t gn_ref_add_working_days(gn_txn_t *txn, int64_t from, unsigned n);

//  Severity name ("general", "major", "emergency") of a Gridnet__Severity.
const char *gn_ref_severity_name(int severity);

#endif
