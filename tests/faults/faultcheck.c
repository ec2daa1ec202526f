/*  gn-faultcheck -- read every node of a topology and check the replication
    invariants (I5, I7) after a fault scenario (tests/faults/README.md).

        gn-faultcheck [--acked FILE]... [--timeout MS] [--show N] DATADIR...
        gn-faultcheck --synced [--verbose] [--timeout MS] DATADIR...

    DATADIR: a node's data directory (its endpoints file names its API). Give
    every node that runs; the parent/child relations follow from the codes.
    --acked FILE: lines "<case id> TAB <title>" (gn-loadgen --out): cases a
    node acknowledged to a reporter.

    --synced: exit 0 if every link between the given nodes has caught up (both
    ways: the sender's feed head acknowledged, the link connected), 1 if not
    (with --verbose: why), so a test can wait for convergence before checking.

    The check reads, at every node, every case (list, paged) and its view
    (show: state, history, conflicts), and asserts:

    - none lost: every acknowledged case is at its origin and at every given
      ancestor of it, still with the title it was reported with (a case id
      reused for another report would show another title). For every given
      origin O and given ancestor N, the case ops of O (op ids in the cases'
      histories and conflicts) at N are exactly those at O: a report that was
      committed but never acknowledged (its client timed out) counts too.
      Every node's own audit (the AUDIT request, `gridctl audit`) passes: it
      checks that the ops of each origin in the node's subtree form one
      unbroken chain (op.prev), seals included, so no origin's op seqs have a
      gap. Where a node gives no audit, the checker requires instead that each
      origin's case-op seqs run 1..max, which holds only while every op an
      origin writes is a case op (no seals, no reference data) and no node was
      restored from an old copy of its data (I7 lets its counters skip).
    - none doubled: no case listed twice at a node; every case's history has
      versions 1..n; no op id (origin, seq) twice at a node, in one case or
      across cases; no case id acknowledged twice.
    - converged: for every given child and its given parent, the cases whose
      origin is in the child's subtree are the same set at both, and each such
      case's state and history are identical (a digest of their bytes); and
      the child's DIGEST of its subtree (per origin: ops, max seq, hash, the
      DESIGN's I5 check that gridctl verify-tree makes) equals its parent's
      for those origins.

    Prints problems on stderr (at most --show of each kind, default 10) and,
    last on stdout: "gn-faultcheck: nodes N, cases C, ops checked M, acked A,
    lost L, doubled D, diverged X; audits K/N (O ops, S seals); digests equal
    E/P" (child-parent pairs whose subtree digests are equal). "ops
    checked" counts the case op records examined over all nodes; the audits
    add every op (seals too) the nodes checked themselves. Exit 0 if lost,
    doubled and diverged are all 0, 1 if not, 2 usage, 3 a node did not
    answer.  */
#include "client.h"
#include "err.h"
#include "ids.h"

#include <czmq.h>
#include <errno.h>
#include <jansson.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODES_MAX 128
#define LIST_PAGE 2000

typedef struct {
    uint64_t origin;
    uint64_t max;               // highest seq seen
    uint64_t count;             // distinct seqs seen
    uint8_t *bits;              // bitmap of seqs seen (bit s)
    size_t nbytes;
} seqset_t;

typedef struct {
    char *title;                // the case's title here
    char digest[48];            // of its packed state and history
    uint64_t origin;
} case_rec_t;

typedef struct {
    const char *datadir;
    char endpoint[256];
    int timeout_ms;
    //  Results
    int rc;                     // 0, or a GN_* error reading the node
    char error[512];
    uint64_t node, feed_head, op_seq, parent;
    Gridnet__NodeStatus *status;  // owned through status_reply
    gn_api_reply_t *status_reply;
    gn_api_reply_t *digest_reply; // DIGEST of the node's subtree, per origin
    zhashx_t *cases;            // case id -> case_rec_t
    zhashx_t *ops;              // "origin/seq" -> case id (strdup)
    zhashx_t *seqs;             // origin text -> seqset_t
    uint64_t nops;              // op records examined
    bool audited;               // the node's audit answered
    bool audit_ok;              // and found nothing wrong
    uint64_t audit_ops, audit_seals, audit_problems;
    char audit_text[512];       // its first problems
    uint64_t doubled;           // problems found within the node
    char **problems;            // texts, shown later
    size_t nproblems, cap;
} node_t;

static int s_show = 10;
static uint64_t s_shown[3];     // lost, doubled, diverged shown so far
enum { P_LOST, P_DOUBLED, P_DIVERGED };
static const char *s_kind[] = { "LOST", "DOUBLED", "DIVERGED" };

static void
s_problem(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_problem(int kind, const char *fmt, ...)
{
    if (s_shown[kind]++ >= (uint64_t) s_show)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", s_kind[kind]);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

//  Within a node's thread: problems are kept and printed by the main thread.
static void
s_node_problem(node_t *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_node_problem(node_t *n, const char *fmt, ...)
{
    n->doubled++;
    if (n->nproblems >= (size_t) s_show)
        return;
    if (n->nproblems == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        char **grown = realloc(n->problems, cap * sizeof *grown);
        if (!grown)
            return;
        n->problems = grown;
        n->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = zsys_vprintf(fmt, ap);
    va_end(ap);
    if (text)
        n->problems[n->nproblems++] = text;
}

static void
s_case_rec_free(void **item)
{
    case_rec_t *r = *item;
    if (r) {
        free(r->title);
        free(r);
    }
    *item = NULL;
}

static void
s_seqset_free(void **item)
{
    seqset_t *s = *item;
    if (s) {
        free(s->bits);
        free(s);
    }
    *item = NULL;
}

static void
s_str_free(void **item)
{
    free(*item);
    *item = NULL;
}

static int
s_seq_add(node_t *n, uint64_t origin, uint64_t seq)
{
    char key[32];
    snprintf(key, sizeof key, "%012llu", (unsigned long long) origin);
    seqset_t *s = zhashx_lookup(n->seqs, key);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return GN_ENOMEM;
        s->origin = origin;
        if (zhashx_insert(n->seqs, key, s) != 0) {
            free(s);
            return GN_ENOMEM;
        }
    }
    if (seq / 8 >= s->nbytes) {
        size_t want = s->nbytes ? s->nbytes : 1024;
        while (seq / 8 >= want)
            want *= 2;
        uint8_t *grown = realloc(s->bits, want);
        if (!grown)
            return GN_ENOMEM;
        memset(grown + s->nbytes, 0, want - s->nbytes);
        s->bits = grown;
        s->nbytes = want;
    }
    if (!(s->bits[seq / 8] & (1u << (seq % 8)))) {
        s->bits[seq / 8] |= (uint8_t) (1u << (seq % 8));
        s->count++;
    }
    if (seq > s->max)
        s->max = seq;
    return GN_OK;
}

static int
s_call(gn_client_t *client, gn_api_request_t *req, int want, gn_api_reply_t **reply)
{
    int rc = gn_client_call(client, req, reply);
    if (rc != 0)
        return rc;
    if ((*reply)->code != 0 || (int) (*reply)->body_case != want) {
        rc = (*reply)->code ? (*reply)->code : GN_EMALFORMED;
        gn_codec_free_reply(reply);
    }
    return rc;
}

static int
s_status(gn_client_t *client, node_t *n)
{
    Gridnet__StatusReq st = GRIDNET__STATUS_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_STATUS;
    req.status = &st;
    int rc = s_call(client, &req, GRIDNET__API_REPLY__BODY_STATUS, &n->status_reply);
    if (rc != 0)
        return rc;
    n->status = n->status_reply->status;
    n->node = n->status->node;
    n->feed_head = n->status->feed_head;
    n->op_seq = n->status->op_seq;
    n->parent = n->status->parent;
    return GN_OK;
}

//  The node's DIGEST of its own subtree (count, max seq, hash per origin).
static int
s_subtree_digest(gn_client_t *client, node_t *n)
{
    Gridnet__DigestReq dr = GRIDNET__DIGEST_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_DIGEST;
    req.digest = &dr;
    return s_call(client, &req, GRIDNET__API_REPLY__BODY_DIGEST, &n->digest_reply);
}

//  Digest of the packed state and history ops of a view.
static int
s_digest(const Gridnet__CaseView *v, char out[48])
{
    zdigest_t *d = zdigest_new();
    if (!d)
        return GN_ENOMEM;
    int rc = GN_OK;
    for (size_t i = 0; i <= v->n_history && rc == 0; i++) {
        const ProtobufCMessage *m = i == 0 ? &v->state->base : &v->history[i - 1]->base;
        uint8_t *buf;
        size_t len;
        rc = gn_codec_pack(m, GN_REPLY_MAX, &buf, &len);
        if (rc == 0) {
            zdigest_update(d, buf, len);
            free(buf);
        }
    }
    if (rc == 0)
        snprintf(out, 48, "%s", zdigest_string(d));
    zdigest_destroy(&d);
    return rc;
}

//  Check one case's view; record it.
static int
s_case(node_t *n, const char *id, const Gridnet__CaseView *v)
{
    if (!v->state || !v->state->id || strcmp(v->state->id, id) != 0) {
        s_node_problem(n, "%012llu: show %s returned another case", (unsigned long long) n->node,
                       id);
        return GN_OK;
    }
    case_rec_t *rec = calloc(1, sizeof *rec);
    if (!rec)
        return GN_ENOMEM;
    rec->title = strdup(v->state->title ? v->state->title : "");
    rec->origin = v->state->origin;
    int rc = rec->title ? s_digest(v, rec->digest) : GN_ENOMEM;
    if (rc != 0) {
        void *p = rec;
        s_case_rec_free(&p);
        return rc;
    }
    if (zhashx_insert(n->cases, id, rec) != 0) {
        void *p = rec;
        s_case_rec_free(&p);
        return GN_ENOMEM;   // not a duplicate: the caller looked it up first
    }
    //  History: versions 1..n, each op id once (here and across cases).
    bool versions_ok = v->n_history >= 1;
    for (size_t i = 0; i < v->n_history + v->n_conflicts; i++) {
        bool conflict = i >= v->n_history;
        const Gridnet__Op *op = conflict ? v->conflicts[i - v->n_history] : v->history[i];
        n->nops++;
        if (!conflict && op->version != i + 1)
            versions_ok = false;
        if (!op->case_id || strcmp(op->case_id, id) != 0)
            s_node_problem(n, "%012llu: case %s holds op %012llu/%llu of case %s",
                           (unsigned long long) n->node, id, (unsigned long long) op->origin,
                           (unsigned long long) op->seq, op->case_id ? op->case_id : "?");
        char key[48];
        snprintf(key, sizeof key, "%012llu/%llu", (unsigned long long) op->origin,
                 (unsigned long long) op->seq);
        const char *other = zhashx_lookup(n->ops, key);
        if (other)
            s_node_problem(n, "%012llu: op %s twice: in %s and in %s",
                           (unsigned long long) n->node, key, other, id);
        else {
            char *copy = strdup(id);
            if (!copy)
                return GN_ENOMEM;
            if (zhashx_insert(n->ops, key, copy) != 0) {
                free(copy);
                return GN_ENOMEM;
            }
            if ((rc = s_seq_add(n, op->origin, op->seq)) != 0)
                return rc;
        }
    }
    if (!versions_ok) {
        char text[200] = "";
        size_t used = 0;
        for (size_t i = 0; i < v->n_history && used + 12 < sizeof text; i++)
            used += (size_t) snprintf(text + used, sizeof text - used, " v%u",
                                      v->history[i]->version);
        s_node_problem(n, "%012llu: case %s: history versions are not 1..n:%s",
                       (unsigned long long) n->node, id, text);
    }
    return GN_OK;
}

static int
s_show_case(gn_client_t *client, node_t *n, const char *id)
{
    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    gn_api_reply_t *reply = NULL;
    int rc = s_call(client, &req, GRIDNET__API_REPLY__BODY_VIEW, &reply);
    if (rc != 0) {
        snprintf(n->error, sizeof n->error, "show %s: %s", id, gn_strerror(rc));
        return rc;
    }
    rc = s_case(n, id, reply->view);
    gn_codec_free_reply(&reply);
    return rc;
}

//  The node's own audit (gridctl audit): its chains, per origin in its
//  subtree and of its feed. It may take a while on a big replica (minutes for
//  some 10^5 ops, signatures verified): its own client, 30 times the timeout. A node that does not know the request
//  (GN_EINVAL) is left unaudited (the gap check then runs instead); any other
//  failure is the node's not answering.
static int
s_audit(node_t *n)
{
    gn_client_t *client = gn_client_new(n->endpoint, n->timeout_ms > INT_MAX / 30 ? INT_MAX
                                                                            : n->timeout_ms * 30);
    if (!client)
        return GN_EINVAL;
    Gridnet__AuditReq audit = GRIDNET__AUDIT_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_AUDIT;
    req.audit = &audit;
    gn_api_reply_t *reply = NULL;
    int rc = s_call(client, &req, GRIDNET__API_REPLY__BODY_JSON, &reply);
    gn_client_destroy(&client);
    if (rc == GN_EINVAL) {
        fprintf(stderr, "gn-faultcheck: note: %012llu has no audit: checking op seqs for gaps\n",
                (unsigned long long) n->node);
        return GN_OK;
    }
    if (rc != 0) {
        snprintf(n->error, sizeof n->error, "audit: %s", gn_strerror(rc));
        return rc;
    }
    json_error_t jerr;
    json_t *doc = json_loads(reply->json ? reply->json : "", 0, &jerr);
    gn_codec_free_reply(&reply);
    if (!json_is_object(doc)) {
        json_decref(doc);
        snprintf(n->error, sizeof n->error, "audit: the reply is not a JSON object");
        return GN_EMALFORMED;
    }
    n->audited = true;
    n->audit_ok = json_is_true(json_object_get(doc, "ok"));
    n->audit_ops = (uint64_t) json_integer_value(json_object_get(doc, "ops_checked"));
    n->audit_seals = (uint64_t) json_integer_value(json_object_get(doc, "seals_verified"));
    json_t *problems = json_object_get(doc, "problems");
    n->audit_problems = json_array_size(problems);
    size_t used = 0, i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        if (i == 3 || used + 1 >= sizeof n->audit_text)
            break;
        const char *where = json_string_value(json_object_get(p, "where"));
        const char *why = json_string_value(json_object_get(p, "why"));
        int k = snprintf(n->audit_text + used, sizeof n->audit_text - used, "%s%s: %s",
                         i ? "; " : "", where ? where : "?", why ? why : "?");
        if (k < 0)
            break;
        used += (size_t) k < sizeof n->audit_text - used ? (size_t) k
                                                          : sizeof n->audit_text - used - 1;
    }
    json_decref(doc);
    return GN_OK;
}

//  Read the whole node: status, every case and its view.
static void *
s_read_node(void *arg)
{
    node_t *n = arg;
    gn_client_t *client = gn_client_new(n->endpoint, n->timeout_ms);
    if (!client) {
        n->rc = GN_EINVAL;
        snprintf(n->error, sizeof n->error, "bad endpoint %s", n->endpoint);
        return NULL;
    }
    int rc = s_status(client, n);
    if (rc != 0)
        snprintf(n->error, sizeof n->error, "status: %s", gn_strerror(rc));
    if (rc == 0 && n->cases && (rc = s_subtree_digest(client, n)) != 0)
        snprintf(n->error, sizeof n->error, "digest: %s", gn_strerror(rc));
    if (rc == 0 && n->cases)
        rc = s_audit(n);
    char after[GN_CASE_ID_MAX] = "";
    while (rc == 0 && n->cases) {
        Gridnet__ListReq list = GRIDNET__LIST_REQ__INIT;
        list.limit = LIST_PAGE;
        list.after = after;
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_LIST;
        req.list = &list;
        gn_api_reply_t *reply = NULL;
        rc = s_call(client, &req, GRIDNET__API_REPLY__BODY_LIST, &reply);
        if (rc != 0) {
            snprintf(n->error, sizeof n->error, "list after '%s': %s", after, gn_strerror(rc));
            break;
        }
        const Gridnet__CaseList *cl = reply->list;
        for (size_t i = 0; i < cl->n_cases && rc == 0; i++) {
            const char *id = cl->cases[i]->id;
            if (zhashx_lookup(n->cases, id))
                s_node_problem(n, "%012llu: case %s listed twice", (unsigned long long) n->node,
                               id);
            else
                rc = s_show_case(client, n, id);
        }
        //  A full page may have more behind it even without a `next` (the
        //  daemons of the first commit never set it: README.md, known bugs)
        bool more = cl->n_cases > 0 && ((cl->next && *cl->next) || cl->n_cases == LIST_PAGE);
        if (more)
            snprintf(after, sizeof after, "%s", cl->next && *cl->next ? cl->next
                                                : cl->cases[cl->n_cases - 1]->id);
        gn_codec_free_reply(&reply);
        if (!more)
            break;
    }
    n->rc = rc;
    gn_client_destroy(&client);
    return NULL;
}

static node_t *
s_find(node_t *nodes, int nnodes, uint64_t id)
{
    for (int i = 0; i < nnodes; i++)
        if (nodes[i].node == id)
            return &nodes[i];
    return NULL;
}

static const Gridnet__LinkStatus *
s_link(const node_t *n, uint64_t peer)
{
    for (size_t i = 0; i < n->status->n_links; i++)
        if (n->status->links[i]->peer == peer)
            return n->status->links[i];
    return NULL;
}

//  --synced: every link between given nodes caught up both ways.
static int
s_synced(node_t *nodes, int nnodes, bool verbose)
{
    for (int i = 0; i < nnodes; i++) {
        node_t *c = &nodes[i];
        node_t *p = c->parent ? s_find(nodes, nnodes, c->parent) : NULL;
        if (!p)
            continue;
        const Gridnet__LinkStatus *up = s_link(c, p->node), *down = s_link(p, c->node);
        const char *why = NULL;
        if (!up || !up->connected)
            why = "the child's link up is not connected";
        else if (!down || !down->connected)
            why = "the parent's link down is not connected";
        else if (up->acked != c->feed_head)
            why = "the parent has not acknowledged the child's feed head";
        else if (down->applied != c->feed_head)
            why = "the parent has not applied the child's feed head";
        else if (down->acked != p->feed_head)
            why = "the child has not acknowledged the parent's feed head";
        else if (up->applied != p->feed_head)
            why = "the child has not applied the parent's feed head";
        if (why) {
            if (verbose)
                printf("not synced: %012llu -> %012llu: %s (child head %llu, acked %llu, "
                       "parent applied %llu; parent head %llu, acked %llu, child applied "
                       "%llu)\n",
                       (unsigned long long) c->node, (unsigned long long) p->node, why,
                       (unsigned long long) c->feed_head,
                       (unsigned long long) (up ? up->acked : 0),
                       (unsigned long long) (down ? down->applied : 0),
                       (unsigned long long) p->feed_head,
                       (unsigned long long) (down ? down->acked : 0),
                       (unsigned long long) (up ? up->applied : 0));
            return 1;
        }
    }
    if (verbose)
        printf("synced\n");
    return 0;
}

//  Acknowledged cases: each must be at its origin and every given ancestor,
//  with its title; no id twice.
static int
s_check_acked(node_t *nodes, int nnodes, const char *path, zhashx_t *seen, uint64_t *nacked,
              uint64_t *lost, uint64_t *doubled)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "gn-faultcheck: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[1024];
    unsigned long lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) {
            fprintf(stderr, "gn-faultcheck: %s:%lu: expected <id> TAB <title>\n", path, lineno);
            fclose(f);
            return -1;
        }
        *tab = 0;
        const char *id = line, *title = tab + 1;
        uint64_t origin, num;
        if (gn_case_id_parse(id, &origin, &num) != 0) {
            fprintf(stderr, "gn-faultcheck: %s:%lu: '%s' is not a case id\n", path, lineno, id);
            fclose(f);
            return -1;
        }
        (*nacked)++;
        const char *before = zhashx_lookup(seen, id);
        if (before) {
            s_problem(P_DOUBLED, "case id %s acknowledged twice: for '%s' and for '%s'", id,
                      before, title);
            (*doubled)++;
            continue;
        }
        char *copy = strdup(title);
        if (!copy) {
            fclose(f);
            return -1;
        }
        if (zhashx_insert(seen, id, copy) != 0) {
            free(copy);
            fclose(f);
            return -1;
        }
        for (int i = 0; i < nnodes; i++) {
            node_t *n = &nodes[i];
            if (!gn_node_in_subtree(origin, n->node))
                continue;
            const case_rec_t *rec = zhashx_lookup(n->cases, id);
            if (!rec) {
                s_problem(P_LOST, "%012llu lacks acknowledged case %s ('%s')",
                          (unsigned long long) n->node, id, title);
                (*lost)++;
            }
            else if (strcmp(rec->title, title) != 0) {
                s_problem(P_DOUBLED, "%012llu: case %s was acknowledged for '%s' but holds "
                          "'%s': the id was used twice", (unsigned long long) n->node, id, title,
                          rec->title);
                (*doubled)++;
            }
        }
    }
    bool bad = ferror(f);
    fclose(f);
    return bad ? -1 : 0;
}

//  Per-origin op seqs at each node (see the top of the file): the case ops of
//  a given origin are the same set at the origin and at each given ancestor,
//  none past the origin's counter; where the node's audit could not be had,
//  each origin's seqs must also run 1..max without a gap.
static void
s_check_seqs(node_t *nodes, int nnodes, uint64_t *lost, uint64_t *doubled, uint64_t *diverged)
{
    for (int i = 0; i < nnodes; i++) {
        node_t *n = &nodes[i];
        for (int j = 0; j < nnodes; j++) {
            node_t *o = &nodes[j];
            if (!gn_node_in_subtree(o->node, n->node))
                continue;
            char key[32];
            snprintf(key, sizeof key, "%012llu", (unsigned long long) o->node);
            const seqset_t *at = zhashx_lookup(n->seqs, key);
            const seqset_t *ref = zhashx_lookup(o->seqs, key);
            if (at && at->max > o->op_seq) {
                ++*doubled;
                s_problem(P_DOUBLED, "%012llu holds op %012llu/%llu, past the origin's counter "
                          "%llu (a seq reused after a restart?)", (unsigned long long) n->node,
                          (unsigned long long) o->node, (unsigned long long) at->max,
                          (unsigned long long) o->op_seq);
            }
            if (n == o)
                continue;
            uint64_t top = (at ? at->max : 0) > (ref ? ref->max : 0) ? at->max : ref ? ref->max : 0;
            uint64_t missing = 0, extra = 0, first_missing = 0, first_extra = 0;
            for (uint64_t q = 1; q <= top; q++) {
                bool in_at = at && q <= at->max && (at->bits[q / 8] & (1u << (q % 8)));
                bool in_ref = ref && q <= ref->max && (ref->bits[q / 8] & (1u << (q % 8)));
                if (in_ref && !in_at && !missing++)
                    first_missing = q;
                if (in_at && !in_ref && !extra++)
                    first_extra = q;
            }
            if (missing) {
                s_problem(P_LOST, "%012llu lacks %llu case op(s) that its origin %012llu holds "
                          "(first: seq %llu)", (unsigned long long) n->node,
                          (unsigned long long) missing, (unsigned long long) o->node,
                          (unsigned long long) first_missing);
                *lost += missing;
            }
            if (extra) {
                s_problem(P_DIVERGED, "%012llu holds %llu case op(s) of %012llu that the origin "
                          "does not (first: seq %llu)", (unsigned long long) n->node,
                          (unsigned long long) extra, (unsigned long long) o->node,
                          (unsigned long long) first_extra);
                *diverged += extra;
            }
        }
        if (n->audited)
            continue;
        for (seqset_t *q = zhashx_first(n->seqs); q; q = zhashx_next(n->seqs)) {
            if (!gn_node_in_subtree(q->origin, n->node) || q->count == q->max)
                continue;
            uint64_t first = 0;
            for (uint64_t k = 1; k <= q->max; k++)
                if (!(q->bits[k / 8] & (1u << (k % 8)))) {
                    first = k;
                    break;
                }
            s_problem(P_LOST, "%012llu: ops of origin %012llu have %llu gap(s) in 1..%llu "
                      "(first missing seq %llu)", (unsigned long long) n->node,
                      (unsigned long long) q->origin, (unsigned long long) (q->max - q->count),
                      (unsigned long long) q->max, (unsigned long long) first);
            *lost += q->max - q->count;
        }
    }
}

//  The nodes' own audits: every chain unbroken.
static void
s_check_audits(node_t *nodes, int nnodes, uint64_t *lost)
{
    for (int i = 0; i < nnodes; i++) {
        node_t *n = &nodes[i];
        if (!n->audited || n->audit_ok)
            continue;
        *lost += n->audit_problems ? n->audit_problems : 1;
        s_problem(P_LOST, "%012llu: its audit failed: %s", (unsigned long long) n->node,
                  n->audit_text);
    }
}

//  Each given child against its given parent: same cases of the child's
//  subtree, identical.
static void
s_check_pairs(node_t *nodes, int nnodes, uint64_t *lost, uint64_t *diverged)
{
    for (int i = 0; i < nnodes; i++) {
        node_t *c = &nodes[i];
        node_t *p = c->parent ? s_find(nodes, nnodes, c->parent) : NULL;
        if (!p)
            continue;
        for (case_rec_t *rec = zhashx_first(c->cases); rec; rec = zhashx_next(c->cases)) {
            if (!gn_node_in_subtree(rec->origin, c->node))
                continue;
            const char *id = zhashx_cursor(c->cases);
            const case_rec_t *at = zhashx_lookup(p->cases, id);
            if (!at) {
                s_problem(P_LOST, "case %s is at %012llu but not at its parent %012llu", id,
                          (unsigned long long) c->node, (unsigned long long) p->node);
                (*lost)++;
            }
            else if (strcmp(at->digest, rec->digest) != 0) {
                s_problem(P_DIVERGED, "case %s differs between %012llu and %012llu", id,
                          (unsigned long long) c->node, (unsigned long long) p->node);
                (*diverged)++;
            }
        }
        for (case_rec_t *rec = zhashx_first(p->cases); rec; rec = zhashx_next(p->cases)) {
            const char *id = zhashx_cursor(p->cases);
            if (gn_node_in_subtree(rec->origin, c->node) && !zhashx_lookup(c->cases, id)) {
                s_problem(P_DIVERGED, "case %s of %012llu's subtree is at %012llu but not at "
                          "%012llu", id, (unsigned long long) c->node,
                          (unsigned long long) p->node, (unsigned long long) c->node);
                (*diverged)++;
            }
        }
    }
}

static const Gridnet__DigestItem *
s_digest_item(const Gridnet__Digest *d, uint64_t origin)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (d->items[i]->origin == origin)
            return d->items[i];
    return NULL;
}

//  Each given child's DIGEST of its subtree against its parent's for the
//  same origins (what gridctl verify-tree compares): equal, origin by
//  origin, count, max seq and hash. Counts the pairs compared and equal.
static void
s_check_digests(node_t *nodes, int nnodes, uint64_t *diverged, int *pairs, int *equal)
{
    for (int i = 0; i < nnodes; i++) {
        node_t *c = &nodes[i];
        node_t *p = c->parent ? s_find(nodes, nnodes, c->parent) : NULL;
        if (!p)
            continue;
        const Gridnet__Digest *cd = c->digest_reply->digest, *pd = p->digest_reply->digest;
        uint64_t before = *diverged;
        for (size_t k = 0; k < pd->n_items; k++) {
            const Gridnet__DigestItem *a = pd->items[k];
            if (gn_node_in_subtree(a->origin, c->node) && !s_digest_item(cd, a->origin)) {
                s_problem(P_DIVERGED, "digest: origin %012llu is at %012llu (%llu ops) but not "
                          "at %012llu", (unsigned long long) a->origin,
                          (unsigned long long) p->node, (unsigned long long) a->count,
                          (unsigned long long) c->node);
                (*diverged)++;
            }
        }
        for (size_t k = 0; k < cd->n_items; k++) {
            const Gridnet__DigestItem *a = cd->items[k], *b = s_digest_item(pd, a->origin);
            if (!b || a->count != b->count || a->max_seq != b->max_seq
                || a->hash.len != b->hash.len || memcmp(a->hash.data, b->hash.data, a->hash.len)) {
                s_problem(P_DIVERGED, "digest: origin %012llu: %llu ops to seq %llu at %012llu, "
                          "%llu to seq %llu at %012llu%s", (unsigned long long) a->origin,
                          (unsigned long long) a->count, (unsigned long long) a->max_seq,
                          (unsigned long long) c->node, (unsigned long long) (b ? b->count : 0),
                          (unsigned long long) (b ? b->max_seq : 0),
                          (unsigned long long) p->node, b ? " (or another hash)" : "");
                (*diverged)++;
            }
        }
        (*pairs)++;
        *equal += *diverged == before;
    }
}

static int
s_usage(FILE *out)
{
    fprintf(out, "usage: gn-faultcheck [--acked FILE]... [--timeout MS] [--show N] DATADIR...\n"
                 "       gn-faultcheck --synced [--verbose] [--timeout MS] DATADIR...\n");
    return out == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "acked", required_argument, NULL, 'a' },
        { "synced", no_argument, NULL, 's' },
        { "verbose", no_argument, NULL, 'v' },
        { "timeout", required_argument, NULL, 't' },
        { "show", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *acked[64];
    int nacked_files = 0, timeout = 10000;
    bool synced = false, verbose = false;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a':
            if (nacked_files == 64)
                return s_usage(stderr);
            acked[nacked_files++] = optarg;
            break;
        case 's': synced = true; break;
        case 'v': verbose = true; break;
        case 't': timeout = atoi(optarg); break;
        case 'S': s_show = atoi(optarg); break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    int nnodes = argc - optind;
    if (nnodes < 1 || nnodes > NODES_MAX || timeout <= 0 || s_show < 0)
        return s_usage(stderr);
    zsys_init();
    zsys_set_logstream(NULL);
    node_t *nodes = calloc((size_t) nnodes, sizeof *nodes);
    if (!nodes)
        return 1;
    int rc = 0;
    for (int i = 0; i < nnodes; i++) {
        node_t *n = &nodes[i];
        n->datadir = argv[optind + i];
        n->timeout_ms = timeout;
        int err = gn_endpoints_read(n->datadir, "api", n->endpoint, sizeof n->endpoint);
        if (err != 0) {
            fprintf(stderr, "gn-faultcheck: %s/endpoints: %s\n", n->datadir, gn_strerror(err));
            rc = 3;
        }
        if (!synced) {
            n->cases = zhashx_new();
            n->ops = zhashx_new();
            n->seqs = zhashx_new();
            if (!n->cases || !n->ops || !n->seqs) {
                rc = 1;
                continue;
            }
            zhashx_set_destructor(n->cases, s_case_rec_free);
            zhashx_set_destructor(n->ops, s_str_free);
            zhashx_set_destructor(n->seqs, s_seqset_free);
        }
    }
    if (rc != 0)
        goto done;
    pthread_t tids[NODES_MAX];
    int started = 0;
    for (; started < nnodes; started++)
        if (pthread_create(&tids[started], NULL, s_read_node, &nodes[started]) != 0) {
            fprintf(stderr, "gn-faultcheck: cannot start a thread\n");
            rc = 1;
            break;
        }
    for (int i = 0; i < started; i++)
        if (pthread_join(tids[i], NULL) != 0)
            rc = 1;
    for (int i = 0; i < nnodes; i++)
        if (nodes[i].rc != 0) {
            fprintf(stderr, "gn-faultcheck: %s: %s\n", nodes[i].datadir, nodes[i].error);
            rc = 3;
        }
    if (rc != 0)
        goto done;
    if (synced) {
        rc = s_synced(nodes, nnodes, verbose);
        goto done;
    }

    uint64_t ncases = 0, nops = 0, nacked = 0, lost = 0, doubled = 0, diverged = 0;
    for (int i = 0; i < nnodes; i++) {
        node_t *n = &nodes[i];
        ncases += zhashx_size(n->cases);
        nops += n->nops;
        doubled += n->doubled;
        for (size_t k = 0; k < n->nproblems; k++)
            s_problem(P_DOUBLED, "%s", n->problems[k]);
    }
    zhashx_t *seen = zhashx_new();
    if (!seen) {
        rc = 1;
        goto done;
    }
    zhashx_set_destructor(seen, s_str_free);
    for (int i = 0; i < nacked_files && rc == 0; i++)
        if (s_check_acked(nodes, nnodes, acked[i], seen, &nacked, &lost, &doubled) != 0)
            rc = 2;
    zhashx_destroy(&seen);
    if (rc != 0)
        goto done;
    s_check_seqs(nodes, nnodes, &lost, &doubled, &diverged);
    s_check_audits(nodes, nnodes, &lost);
    s_check_pairs(nodes, nnodes, &lost, &diverged);
    int pairs = 0, equal = 0;
    s_check_digests(nodes, nnodes, &diverged, &pairs, &equal);
    uint64_t audited = 0, audit_ops = 0, seals = 0;
    for (int i = 0; i < nnodes; i++) {
        audited += nodes[i].audited;
        audit_ops += nodes[i].audit_ops;
        seals += nodes[i].audit_seals;
    }
    printf("gn-faultcheck: nodes %d, cases %llu, ops checked %llu, acked %llu, lost %llu, "
           "doubled %llu, diverged %llu; audits %llu/%d (%llu ops, %llu seals); "
           "digests equal %d/%d\n", nnodes,
           (unsigned long long) ncases, (unsigned long long) nops, (unsigned long long) nacked,
           (unsigned long long) lost, (unsigned long long) doubled, (unsigned long long) diverged,
           (unsigned long long) audited, nnodes, (unsigned long long) audit_ops,
           (unsigned long long) seals, equal, pairs);
    rc = lost || doubled || diverged ? 1 : 0;
done:
    for (int i = 0; i < nnodes; i++) {
        node_t *n = &nodes[i];
        gn_codec_free_reply(&n->status_reply);
        gn_codec_free_reply(&n->digest_reply);
        zhashx_destroy(&n->cases);
        zhashx_destroy(&n->ops);
        zhashx_destroy(&n->seqs);
        for (size_t k = 0; k < n->nproblems; k++)
            free(n->problems[k]);
        free(n->problems);
    }
    free(nodes);
    return rc;
}
