/*  meeting.h -- joint meetings (联席会议) on hard cases, at the district.

    A meeting is reference data (meeting/<id>, JSON), written by the district
    and replicated down, so every level can see the meetings that concern it:
      {"id": "M1", "title", "date", "chair", "attendees": [..], "cases": [..],
       "resolutions": [{"case", "text", "tasks": [case ids], "time"}], "created"}
    Each resolution creates tasks, and a task is a case of its own (its
    parent_case is the hard case): assigned to a department at the district
    or dispatched down to a town, with a deadline, and worked through the
    same loop. The hard case is handled once all its tasks are verified
    (workflow.c).  */
#ifndef GN_MEETING_H
#define GN_MEETING_H
#include "codec.h"
#include "store.h"

#include <jansson.h>

//  Create a meeting on cases the district owns. *reply gets the meeting
//  record (caller owns).
int gn_meeting_create(gn_txn_t *txn, uint64_t self, const Gridnet__MeetingReq *req,
                      int64_t now, json_t **reply, char *err, size_t errlen);
//  Record a resolution on one of the meeting's cases and create its tasks.
//  *reply gets {"meeting": id, "case": id, "tasks": [ids]}.
int gn_meeting_resolve(gn_txn_t *txn, uint64_t self, const Gridnet__ResolveReq *req,
                       int64_t now, json_t **reply, char *err, size_t errlen);
//  Every meeting with the current state of each task: {"meetings": [...]}.
int gn_meeting_list(gn_txn_t *txn, int64_t now, json_t **reply);

#endif
