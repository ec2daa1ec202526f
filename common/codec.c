/*  codec.c -- pack, unpack and check gridnet messages (protobuf-c).

    protobuf-c checks the wire format and nothing else: it keeps any integer
    in a proto3 enum field, copies string bytes without looking at them
    (no UTF-8 check), and bounds neither strings nor repeated fields. So every
    unpack here runs a deep check, one small function per message type, and
    throws the message away if any part of it is out of line. The same
    checks serve messages built in memory (gn_codec_check_op/_case), where
    protobuf-c allows NULL for an empty string; they treat NULL as "".

    Limits: GN_TEXT_MAX for free text (description, note, and the error texts
    Reject.detail, ApiReply.error, LinkStatus.last_error), GN_FIELD_MAX for
    every other string. Repeated fields other than Batch.entries, Case.trail
    and Op.ref_value are bounded by the frame size alone. Batch entries carry
    their ops packed (Entry.op is bytes): those are checked when unpacked
    with gn_codec_unpack_op, not as part of the envelope.  */
#include "codec.h"
#include "err.h"
#include "ids.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_HASH_MAX 64          // bytes of a DigestItem hash (SHA-512 at most)

//  A deep check: true if the message is within every limit.
typedef bool (s_check_fn)(const ProtobufCMessage *msg);

//  --------------------------------------------------------------------------
//  UTF-8: the well-formed sequences of Unicode table 3-7, nothing else.

bool
gn_utf8_valid(const char *s, size_t len)
{
    if (!s)
        return len == 0;
    const uint8_t *p = (const uint8_t *) s;
    size_t i = 0;
    while (i < len) {
        uint8_t lead = p[i];
        if (lead < 0x80) {
            i++;
            continue;
        }
        size_t more;                //  continuation bytes after the lead
        uint8_t lo = 0x80;          //  range of the first continuation byte
        uint8_t hi = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF)
            more = 1;
        else
        if (lead == 0xE0) {         //  U+0800.. : no overlong forms
            more = 2;
            lo = 0xA0;
        }
        else
        if (lead == 0xED) {         //  ..U+D7FF : no surrogates
            more = 2;
            hi = 0x9F;
        }
        else
        if (lead >= 0xE1 && lead <= 0xEF)
            more = 2;
        else
        if (lead == 0xF0) {         //  U+10000.. : no overlong forms
            more = 3;
            lo = 0x90;
        }
        else
        if (lead == 0xF4) {         //  ..U+10FFFF
            more = 3;
            hi = 0x8F;
        }
        else
        if (lead >= 0xF1 && lead <= 0xF3)
            more = 3;
        else
            return false;           //  80..C1 (stray or overlong), F5..FF
        if (len - i - 1 < more)
            return false;           //  truncated sequence
        if (p [i + 1] < lo || p [i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if ((p [i + k] & 0xC0) != 0x80)
                return false;
        i += more + 1;
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Field checks

//  A string of at most max bytes of valid UTF-8. NULL counts as "".
static bool
s_text_ok(const char *s, size_t max)
{
    if (!s)
        return true;
    size_t len = strnlen(s, max + 1);
    return len <= max && gn_utf8_valid(s, len);
}

//  Any string field that is not free text.
static bool
s_field_ok(const char *s)
{
    return s_text_ok(s, GN_FIELD_MAX);
}

//  Free text: descriptions, notes, error texts.
static bool
s_long_ok(const char *s)
{
    return s_text_ok(s, GN_TEXT_MAX);
}

static bool
s_empty(const char *s)
{
    return !s || *s == '\0';
}

//  protobuf-c stores unknown proto3 enum values as they came; the descriptor
//  knows which ones are defined.
static bool
s_enum_ok(const ProtobufCEnumDescriptor *desc, int value)
{
    return protobuf_c_enum_descriptor_get_value(desc, value) != NULL;
}

static bool
s_node_ok(uint64_t node)
{
    return gn_node_level(node) != 0;
}

//  A node code that may be 0 (none).
static bool
s_node_opt_ok(uint64_t node)
{
    return node == 0 || s_node_ok(node);
}

//  A case id, or "".
static bool
s_case_id_ok(const char *s)
{
    uint64_t origin, n;
    return s_empty(s) || (s_field_ok(s) && gn_case_id_parse(s, &origin, &n) == 0);
}

//  A grid code, or "".
static bool
s_grid_ok(const char *s)
{
    uint64_t village;
    unsigned serial;
    return s_empty(s) || (s_field_ok(s) && gn_grid_parse(s, &village, &serial) == 0);
}

//  Degrees; NaN and infinities fail the comparisons.
static bool
s_place_ok(double lat, double lon)
{
    return lat >= -90.0 && lat <= 90.0 && lon >= -180.0 && lon <= 180.0;
}

static bool
s_bytes_ok(const ProtobufCBinaryData *b, size_t max)
{
    return b->len <= max && (b->len == 0 || b->data != NULL);
}

//  --------------------------------------------------------------------------
//  Message checks, leaves first

static bool
s_reporter_ok(const Gridnet__Reporter *r)
{
    return r
        && s_enum_ok(&gridnet__reporter_kind__descriptor, (int) r->kind)
        && s_field_ok(r->id)
        && s_field_ok(r->name)
        && s_field_ok(r->phone)
        && s_field_ok(r->id_number)
        && s_bytes_ok(&r->sealed, 1024);
}

static bool
s_case_ok(const gn_case_t *c)
{
    if (!c)
        return false;
    if (!s_case_id_ok(c->id)
    ||  !s_node_ok(c->origin)
    ||  !s_grid_ok(c->grid)
    ||  !s_field_ok(c->category)
    ||  !s_field_ok(c->title)
    ||  !s_long_ok(c->description)
    ||  !s_place_ok(c->lat, c->lon)
    ||  !s_field_ok(c->address)
    ||  (c->reporter && !s_reporter_ok(c->reporter))
    ||  !s_enum_ok(&gridnet__channel__descriptor, (int) c->channel)
    ||  !s_enum_ok(&gridnet__severity__descriptor, (int) c->severity)
    ||  !s_enum_ok(&gridnet__status__descriptor, (int) c->status)
    ||  !s_node_opt_ok(c->owner)
    ||  !s_field_ok(c->assignee)
    ||  !s_field_ok(c->meeting_id)
    ||  c->rating > 5
    ||  c->level > 3)
        return false;

    if (c->n_trail > GN_TRAIL_MAX || (c->n_trail > 0 && !c->trail))
        return false;
    for (size_t i = 0; i < c->n_trail; i++)
        if (!s_node_ok(c->trail [i]))
            return false;
    if (c->n_dispatchers > GN_TRAIL_MAX || (c->n_dispatchers > 0 && !c->dispatchers))
        return false;
    for (size_t i = 0; i < c->n_dispatchers; i++)
        if (!s_node_ok(c->dispatchers [i]))
            return false;
    if (!s_node_opt_ok(c->handler)
    ||  !s_long_ok(c->feedback)
    ||  !s_case_id_ok(c->duplicate_of)
    ||  !s_long_ok(c->reason)
    ||  !s_case_id_ok(c->parent_case)
    ||  !s_long_ok(c->comment)
    ||  !s_field_ok(c->evidence)
    ||  c->urgency > 2)
        return false;
    if (c->n_tasks > GN_TASKS_MAX || (c->n_tasks > 0 && !c->tasks))
        return false;
    for (size_t i = 0; i < c->n_tasks; i++)
        if (s_empty(c->tasks [i]) || !s_case_id_ok(c->tasks [i]))
            return false;
    if (c->n_supervision > GN_SUPERVISION_MAX || (c->n_supervision > 0 && !c->supervision))
        return false;
    for (size_t i = 0; i < c->n_supervision; i++) {
        const Gridnet__Supervision *sv = c->supervision [i];
        if (!sv || !s_node_ok(sv->origin) || sv->seq == 0 || !s_field_ok(sv->actor)
        ||  !s_long_ok(sv->note) || sv->urgency > 2)
            return false;
    }
    return true;
}

static bool
s_op_ok(const gn_op_t *op)
{
    return op
        && s_node_ok(op->origin)
        && op->seq >= 1
        && s_case_id_ok(op->case_id)
        && s_enum_ok(&gridnet__action__descriptor, (int) op->action)
        && s_field_ok(op->actor)
        && s_long_ok(op->note)
        && (!op->state || s_case_ok(op->state))
        && s_node_opt_ok(op->to)
        && s_field_ok(op->ref_key)
        && s_bytes_ok(&op->ref_value, GN_REF_VALUE_MAX)
        && s_field_ok(op->evidence)
        && (op->prev.len == 0 || op->prev.len == 32)
        && (op->sig.len == 0 || op->sig.len == 64);
}

//  Every op of a list (no bound of its own: the frame size bounds it).
static bool
s_ops_ok(Gridnet__Op *const *ops, size_t n)
{
    if (n > 0 && !ops)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_op_ok(ops [i]))
            return false;
    return true;
}

//  ---- node <-> node ----

//  The level a node claims must be the level its code says.
static bool
s_hello_ok(const Gridnet__Hello *h)
{
    return s_node_ok(h->node) && (int) h->level == gn_node_level(h->node)
        && h->head < GN_SEQ_MAX && h->down_cursor < GN_SEQ_MAX;
}

static bool
s_welcome_ok(const Gridnet__Welcome *w)
{
    return s_node_ok(w->node) && (w->chain.len == 0 || w->chain.len == 32)
        && w->up_cursor < GN_SEQ_MAX && w->head < GN_SEQ_MAX && w->op_seq < GN_SEQ_MAX
        && w->case_n < GN_SEQ_MAX;
}

//  Entries: a subset of (from_seq, to_seq], strictly ascending, each with an
//  op. The op is carried packed, exactly as its origin stored and signed it,
//  so it is checked when the receiver unpacks it (gn_codec_unpack_op): one
//  bad op costs its entry, not the whole batch.
static bool
s_batch_ok(const Gridnet__Batch *b)
{
    if (b->from_seq > b->to_seq || b->to_seq >= GN_SEQ_MAX || b->n_entries > GN_BATCH_ENTRIES)
        return false;
    if (b->n_entries > 0 && !b->entries)
        return false;
    uint64_t last = b->from_seq;
    for (size_t i = 0; i < b->n_entries; i++) {
        const Gridnet__Entry *e = b->entries [i];
        if (!e || e->seq <= last || e->seq > b->to_seq)
            return false;
        if (e->op.len == 0 || !e->op.data)
            return false;           //  no op
        last = e->seq;
    }
    return true;
}

//  A snapshot chunk: numbered from 1, at most a batch's worth of ops, each
//  present (and checked when unpacked, like a batch's).
static bool
s_chunk_ok(const Gridnet__SnapshotChunk *c)
{
    if (c->n == 0 || c->n >= GN_SEQ_MAX || c->cursor >= GN_SEQ_MAX
        || c->n_ops == 0 || c->n_ops > GN_BATCH_ENTRIES || !c->ops)
        return false;
    for (size_t i = 0; i < c->n_ops; i++)
        if (c->ops [i].len == 0 || !c->ops [i].data)
            return false;
    return true;
}

//  origin 0: a reject that is not about one op (RJ_NEED_HELLO, RJ_GAP).
static bool
s_reject_ok(const Gridnet__Reject *r)
{
    return s_node_opt_ok(r->origin)
        && s_enum_ok(&gridnet__reject_reason__descriptor, (int) r->reason)
        && s_long_ok(r->detail);
}

static bool
s_digest_ok(const Gridnet__Digest *d)
{
    if (d->n_items > 0 && !d->items)
        return false;
    for (size_t i = 0; i < d->n_items; i++) {
        const Gridnet__DigestItem *item = d->items [i];
        if (!item || !s_node_ok(item->origin) || !s_bytes_ok(&item->hash, DIGEST_HASH_MAX))
            return false;
    }
    return true;
}

//  Exactly one body, and that body well formed.
static bool
s_envelope_ok(const gn_envelope_t *env)
{
    switch (env->body_case) {
    case GRIDNET__ENVELOPE__BODY_HELLO:
        return env->hello && s_hello_ok(env->hello);
    case GRIDNET__ENVELOPE__BODY_WELCOME:
        return env->welcome && s_welcome_ok(env->welcome);
    case GRIDNET__ENVELOPE__BODY_BATCH:
        return env->batch && s_batch_ok(env->batch);
    case GRIDNET__ENVELOPE__BODY_ACK:
        return env->ack != NULL && env->ack->cursor < GN_SEQ_MAX;
    case GRIDNET__ENVELOPE__BODY_REJECT:
        return env->reject && s_reject_ok(env->reject);
    case GRIDNET__ENVELOPE__BODY_PING:
        return env->ping != NULL && env->ping->head < GN_SEQ_MAX;
    case GRIDNET__ENVELOPE__BODY_PONG:
        return env->pong != NULL && env->pong->head < GN_SEQ_MAX;
    case GRIDNET__ENVELOPE__BODY_SNAPSHOT_REQ:
        return env->snapshot_req && s_node_ok(env->snapshot_req->node)
            && env->snapshot_req->got < GN_SEQ_MAX;
    case GRIDNET__ENVELOPE__BODY_SNAPSHOT_CHUNK:
        return env->snapshot_chunk && s_chunk_ok(env->snapshot_chunk);
    case GRIDNET__ENVELOPE__BODY_SNAPSHOT_END:
        return env->snapshot_end != NULL && env->snapshot_end->cursor < GN_SEQ_MAX
            && env->snapshot_end->chunks < GN_SEQ_MAX;
    case GRIDNET__ENVELOPE__BODY_DIGEST:
        return env->digest && s_digest_ok(env->digest);
    default:
        return false;               //  no body
    }
}

//  ---- client -> node ----

static bool s_strings_ok(char **v, size_t n, size_t max);

static bool
s_report_req_ok(const Gridnet__ReportReq *r)
{
    return s_grid_ok(r->grid)
        && s_field_ok(r->category)
        && s_field_ok(r->title)
        && s_long_ok(r->description)
        && s_enum_ok(&gridnet__severity__descriptor, (int) r->severity)
        && s_enum_ok(&gridnet__channel__descriptor, (int) r->channel)
        && (!r->reporter || s_reporter_ok(r->reporter))
        && s_place_ok(r->lat, r->lon)
        && s_field_ok(r->address)
        && s_field_ok(r->actor)
        && s_field_ok(r->evidence);
}

//  Every id a case id, every category a field, every status a known one.
static bool
s_case_query_ok(const Gridnet__CaseQueryReq *q)
{
    if (q->n_ids > GN_QUERY_MAX || (q->n_ids > 0 && !q->ids)
    ||  !s_strings_ok(q->categories, q->n_categories, GN_QUERY_MAX)
    ||  q->n_statuses > 16 || (q->n_statuses > 0 && !q->statuses)
    ||  q->limit > GN_QUERY_MAX || !s_field_ok(q->reporter))
        return false;
    for (size_t i = 0; i < q->n_ids; i++)
        if (s_empty(q->ids [i]) || !s_case_id_ok(q->ids [i]))
            return false;
    for (size_t i = 0; i < q->n_statuses; i++)
        if (!s_enum_ok(&gridnet__status__descriptor, (int) q->statuses [i]))
            return false;
    return true;
}

static bool
s_list_req_ok(const Gridnet__ListReq *l)
{
    return s_enum_ok(&gridnet__status__descriptor, (int) l->status)
        && s_grid_ok(l->grid)
        && s_node_opt_ok(l->owner)
        && s_case_id_ok(l->after);
}

//  rating is left to the API, which answers with a readable error.
static bool
s_act_req_ok(const Gridnet__ActReq *a)
{
    return s_case_id_ok(a->case_id)
        && s_enum_ok(&gridnet__action__descriptor, (int) a->action)
        && s_field_ok(a->actor)
        && s_long_ok(a->note)
        && s_node_opt_ok(a->to)
        && s_field_ok(a->assignee)
        && a->rating <= 5
        && s_field_ok(a->evidence)
        && s_case_id_ok(a->duplicate_of)
        && a->urgency <= 2
        && s_long_ok(a->comment);
}

static bool
s_strings_ok(char **v, size_t n, size_t max)
{
    if (n > max || (n > 0 && !v))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!s_field_ok(v [i]))
            return false;
    return true;
}

static bool
s_meeting_req_ok(const Gridnet__MeetingReq *m)
{
    if (!s_field_ok(m->title) || !s_field_ok(m->date) || !s_field_ok(m->chair)
    ||  !s_field_ok(m->actor) || !s_strings_ok(m->attendees, m->n_attendees, GN_TASKS_MAX)
    ||  !s_strings_ok(m->cases, m->n_cases, GN_TASKS_MAX))
        return false;
    for (size_t i = 0; i < m->n_cases; i++)
        if (!s_case_id_ok(m->cases [i]))
            return false;
    return true;
}

static bool
s_resolve_req_ok(const Gridnet__ResolveReq *r)
{
    if (!s_field_ok(r->meeting_id) || !s_case_id_ok(r->case_id) || !s_long_ok(r->text)
    ||  !s_field_ok(r->actor) || r->n_tasks > GN_TASKS_MAX || (r->n_tasks > 0 && !r->tasks))
        return false;
    for (size_t i = 0; i < r->n_tasks; i++) {
        const Gridnet__TaskSpec *t = r->tasks [i];
        if (!t || !s_field_ok(t->title) || !s_field_ok(t->assignee) || !s_node_opt_ok(t->to))
            return false;
    }
    return true;
}

static bool
s_request_ok(const gn_api_request_t *req)
{
    if (!s_field_ok(req->token))
        return false;
    switch (req->body_case) {
    case GRIDNET__API_REQUEST__BODY_REPORT:
        return req->report && s_report_req_ok(req->report);
    case GRIDNET__API_REQUEST__BODY_SHOW:
        return req->show && s_case_id_ok(req->show->case_id);
    case GRIDNET__API_REQUEST__BODY_LIST:
        return req->list && s_list_req_ok(req->list);
    case GRIDNET__API_REQUEST__BODY_ACT:
        return req->act && s_act_req_ok(req->act);
    case GRIDNET__API_REQUEST__BODY_STATUS:
        return req->status != NULL;
    case GRIDNET__API_REQUEST__BODY_REF_SET:
        return req->ref_set && s_field_ok(req->ref_set->key) && s_field_ok(req->ref_set->actor)
            && s_text_ok(req->ref_set->value, GN_REF_VALUE_MAX);
    case GRIDNET__API_REQUEST__BODY_REF_GET:
        return req->ref_get && s_field_ok(req->ref_get->prefix);
    case GRIDNET__API_REQUEST__BODY_MEETING:
        return req->meeting && s_meeting_req_ok(req->meeting);
    case GRIDNET__API_REQUEST__BODY_RESOLVE:
        return req->resolve && s_resolve_req_ok(req->resolve);
    case GRIDNET__API_REQUEST__BODY_LEDGER:
        return req->ledger && s_field_ok(req->ledger->worker);
    case GRIDNET__API_REQUEST__BODY_MEETINGS:
        return req->meetings != NULL;
    case GRIDNET__API_REQUEST__BODY_AUDIT:
        return req->audit != NULL;
    case GRIDNET__API_REQUEST__BODY_DIGEST:
        return req->digest && (req->digest->root == 0 || gn_node_level(req->digest->root) != 0);
    case GRIDNET__API_REQUEST__BODY_LOGIN:
        return req->login && s_field_ok(req->login->user) && s_field_ok(req->login->password);
    case GRIDNET__API_REQUEST__BODY_LOGOUT:
        return req->logout != NULL;
    case GRIDNET__API_REQUEST__BODY_MONTHLY:   //  months and names: the API answers in words
        return req->monthly && s_field_ok(req->monthly->by) && s_node_opt_ok(req->monthly->area);
    case GRIDNET__API_REQUEST__BODY_EVAL:
        return req->eval && s_field_ok(req->eval->unit) && s_node_opt_ok(req->eval->area);
    case GRIDNET__API_REQUEST__BODY_METRICS:
        return req->metrics != NULL;
    case GRIDNET__API_REQUEST__BODY_CASE_QUERY:
        return req->case_query && s_case_query_ok(req->case_query);
    case GRIDNET__API_REQUEST__BODY_SUMMARY:
        return req->summary != NULL && req->summary->limit <= 500;
    default:
        return false;               //  no body
    }
}

//  ---- node -> client ----

static bool
s_case_view_ok(const Gridnet__CaseView *v)
{
    return (!v->state || s_case_ok(v->state))
        && s_ops_ok(v->history, v->n_history)
        && s_ops_ok(v->conflicts, v->n_conflicts);
}

static bool
s_case_list_ok(const Gridnet__CaseList *l)
{
    if (!s_case_id_ok(l->next) || (l->n_cases > 0 && !l->cases))
        return false;
    for (size_t i = 0; i < l->n_cases; i++)
        if (!s_case_ok(l->cases [i]))
            return false;
    return true;
}

static bool
s_link_status_ok(const Gridnet__LinkStatus *l)
{
    return l
        && s_node_opt_ok(l->peer)
        && s_field_ok(l->role)
        && s_long_ok(l->last_error);
}

static bool
s_node_status_ok(const Gridnet__NodeStatus *s)
{
    if (!s_node_ok(s->node)
    ||  (int) s->level != gn_node_level(s->node)
    ||  !s_node_opt_ok(s->parent)
    ||  (s->n_links > 0 && !s->links))
        return false;
    for (size_t i = 0; i < s->n_links; i++)
        if (!s_link_status_ok(s->links [i]))
            return false;
    return true;
}

//  An error reply has no body; any body present must be well formed.
static bool
s_reply_ok(const gn_api_reply_t *rep)
{
    if (!s_long_ok(rep->error))
        return false;
    switch (rep->body_case) {
    case GRIDNET__API_REPLY__BODY__NOT_SET:
        return true;
    case GRIDNET__API_REPLY__BODY_CASE_ID:
        return s_case_id_ok(rep->case_id);
    case GRIDNET__API_REPLY__BODY_VIEW:
        return rep->view && s_case_view_ok(rep->view);
    case GRIDNET__API_REPLY__BODY_LIST:
        return rep->list && s_case_list_ok(rep->list);
    case GRIDNET__API_REPLY__BODY_STATE:
        return s_case_ok(rep->state);
    case GRIDNET__API_REPLY__BODY_STATUS:
        return rep->status && s_node_status_ok(rep->status);
    case GRIDNET__API_REPLY__BODY_JSON:
        return s_text_ok(rep->json, GN_REPLY_MAX);
    case GRIDNET__API_REPLY__BODY_DIGEST:
        return rep->digest && s_digest_ok(rep->digest);
    case GRIDNET__API_REPLY__BODY_METRICS:
        return s_text_ok(rep->metrics, GN_REPLY_MAX);
    default:
        return false;
    }
}

//  --------------------------------------------------------------------------
//  NUL bytes in strings
//
//  protobuf-c copies a string's bytes and adds a NUL, so a string that holds
//  a NUL byte reads in C as its prefix: "ab\0cd" would pass every check as
//  "ab". The deep checks cannot see this, so the wire is walked once more,
//  following the descriptors, for NUL bytes inside string fields. It runs
//  after protobuf-c accepted the bytes but still trusts none of them.

static bool
s_varint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return true;
        }
    }
    return false;
}

//  True if no string field of this desc message, at any depth, holds a NUL.
//  The schema has no cycles, so the recursion ends.
static bool
s_no_nul_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    while (p < end) {
        uint64_t key, size;
        if (!s_varint(&p, end, &key))
            return false;
        //  Field 0 does not exist. protobuf-c refuses it only in a one-byte
        //  key and keeps a longer one as an unknown field, which it would
        //  pack back as a key it then refuses (found by fuzz_envelope).
        if ((key >> 3) == 0)
            return false;
        switch (key & 7) {
        case 0:                     //  varint
            if (!s_varint(&p, end, &size))
                return false;
            break;
        case 1:                     //  64-bit
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 5:                     //  32-bit
            if (end - p < 4)
                return false;
            p += 4;
            break;
        case 2: {                   //  length-delimited
            if (!s_varint(&p, end, &size) || size > (uint64_t) (end - p))
                return false;
            const ProtobufCFieldDescriptor *field = NULL;
            if ((key >> 3) <= 0x1FFFFFFF)
                field = protobuf_c_message_descriptor_get_field(desc, (unsigned) (key >> 3));
            if (field && field->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, size))
                return false;
            if (field && field->type == PROTOBUF_C_TYPE_MESSAGE
            &&  !s_no_nul_strings(field->descriptor, p, size))
                return false;
            p += size;
            break;
        }
        default:                    //  groups: not proto3
            return false;
        }
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Unpack

static bool
s_check_envelope(const ProtobufCMessage *msg)
{
    return s_envelope_ok((const gn_envelope_t *) msg);
}

static bool
s_check_request(const ProtobufCMessage *msg)
{
    return s_request_ok((const gn_api_request_t *) msg);
}

static bool
s_check_reply(const ProtobufCMessage *msg)
{
    return s_reply_ok((const gn_api_reply_t *) msg);
}

static bool
s_check_op(const ProtobufCMessage *msg)
{
    return s_op_ok((const gn_op_t *) msg);
}

static bool
s_check_case(const ProtobufCMessage *msg)
{
    return s_case_ok((const gn_case_t *) msg);
}

//  Unpack len bytes as a desc message of at most limit bytes, and check it.
static ProtobufCMessage *
s_unpack(const ProtobufCMessageDescriptor *desc, size_t limit, s_check_fn *check,
         const uint8_t *buf, size_t len, int *err)
{
    static const uint8_t nothing [1];
    ProtobufCMessage *msg = NULL;
    int rc = GN_OK;

    if (len > limit) {
        rc = GN_ETOOBIG;
        goto done;
    }
    if (!buf) {
        if (len > 0) {
            rc = GN_EMALFORMED;
            goto done;
        }
        buf = nothing;
    }
    msg = protobuf_c_message_unpack(desc, NULL, len, buf);
    if (!msg) {
        rc = GN_EMALFORMED;
        goto done;
    }
    if (!s_no_nul_strings(desc, buf, len) || !check(msg)) {
        protobuf_c_message_free_unpacked(msg, NULL);
        msg = NULL;
        rc = GN_EMALFORMED;
    }
done:
    if (err)
        *err = rc;
    return msg;
}

gn_envelope_t *
gn_codec_unpack_envelope(const uint8_t *buf, size_t len, int *err)
{
    return (gn_envelope_t *) s_unpack(&gridnet__envelope__descriptor, GN_ENVELOPE_MAX,
                                      s_check_envelope, buf, len, err);
}

gn_api_request_t *
gn_codec_unpack_request(const uint8_t *buf, size_t len, int *err)
{
    return (gn_api_request_t *) s_unpack(&gridnet__api_request__descriptor, GN_API_MAX,
                                         s_check_request, buf, len, err);
}

gn_api_reply_t *
gn_codec_unpack_reply(const uint8_t *buf, size_t len, int *err)
{
    return (gn_api_reply_t *) s_unpack(&gridnet__api_reply__descriptor, GN_REPLY_MAX,
                                       s_check_reply, buf, len, err);
}

//  An op or a case is stored alone, and must fit in a frame.
gn_op_t *
gn_codec_unpack_op(const uint8_t *buf, size_t len, int *err)
{
    return (gn_op_t *) s_unpack(&gridnet__op__descriptor, GN_ENVELOPE_MAX,
                                s_check_op, buf, len, err);
}

gn_case_t *
gn_codec_unpack_case(const uint8_t *buf, size_t len, int *err)
{
    return (gn_case_t *) s_unpack(&gridnet__case__descriptor, GN_ENVELOPE_MAX,
                                  s_check_case, buf, len, err);
}

//  --------------------------------------------------------------------------
//  Free (unpacked messages only)

void
gn_codec_free_envelope(gn_envelope_t **self_p)
{
    if (self_p && *self_p) {
        gridnet__envelope__free_unpacked(*self_p, NULL);
        *self_p = NULL;
    }
}

void
gn_codec_free_request(gn_api_request_t **self_p)
{
    if (self_p && *self_p) {
        gridnet__api_request__free_unpacked(*self_p, NULL);
        *self_p = NULL;
    }
}

void
gn_codec_free_reply(gn_api_reply_t **self_p)
{
    if (self_p && *self_p) {
        gridnet__api_reply__free_unpacked(*self_p, NULL);
        *self_p = NULL;
    }
}

void
gn_codec_free_op(gn_op_t **self_p)
{
    if (self_p && *self_p) {
        gridnet__op__free_unpacked(*self_p, NULL);
        *self_p = NULL;
    }
}

void
gn_codec_free_case(gn_case_t **self_p)
{
    if (self_p && *self_p) {
        gridnet__case__free_unpacked(*self_p, NULL);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Check in memory, pack

int
gn_codec_check_op(const gn_op_t *op)
{
    return s_op_ok(op) ? GN_OK : GN_EMALFORMED;
}

int
gn_codec_check_case(const gn_case_t *c)
{
    return s_case_ok(c) ? GN_OK : GN_EMALFORMED;
}

int
gn_codec_pack(const ProtobufCMessage *msg, size_t max, uint8_t **buf, size_t *len)
{
    uint8_t *out = NULL;
    int rc = GN_OK;

    if (!msg || !buf || !len)
        return GN_EINVAL;
    *buf = NULL;
    *len = 0;
    size_t size = protobuf_c_message_get_packed_size(msg);
    if (size > max) {
        rc = GN_ETOOBIG;
        goto done;
    }
    out = malloc(size > 0 ? size : 1);
    if (!out) {
        rc = GN_ENOMEM;
        goto done;
    }
    if (protobuf_c_message_pack(msg, out) != size) {
        free(out);
        out = NULL;
        rc = GN_EINVAL;             //  the message changed under us: a bug
        goto done;
    }
    *buf = out;
    *len = size;
done:
    return rc;
}

size_t
gn_codec_size(const ProtobufCMessage *msg)
{
    return protobuf_c_message_get_packed_size(msg);
}

void
gn_codec_pack_to(const ProtobufCMessage *msg, size_t size, uint8_t *dst)
{
    size_t n = protobuf_c_message_pack(msg, dst);
    assert(n == size);   // the caller sized dst with gn_codec_size just before
    (void) n;
}
