/*  mkcorpus.c -- write the fuzz targets' seed corpus from real messages.

        mkcorpus DIR        writes DIR/envelope/ and DIR/apply/

    The ops come from a real workflow run (fuzz_seed.c), the same one the
    apply target seeds its store with, so the apply seeds exercise real
    paths: a village op that follows the town's view, the district's
    dispatch and supervision, reference data, duplicates, a stale op, a
    seal, ops out of scope. The envelope seeds are one file per message kind
    the nodes and clients exchange (selector byte first: see fuzz_envelope.c).
    Output is deterministic: run it again and nothing changes.  */
#include "codec.h"
#include "err.h"
#include "fuzz_seed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEL_ENVELOPE 0
#define SEL_REQUEST  1
#define SEL_REPLY    2
#define SEL_OP       3

static const char *s_out;
static size_t s_files, s_bytes;

static void
s_write(const char *sub, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", s_out, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "mkcorpus: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    s_files++;
    s_bytes += len;
}

//  selector byte + packed msg -> DIR/envelope/name
static void
s_msg(const char *name, uint8_t selector, const ProtobufCMessage *msg)
{
    uint8_t *buf;
    size_t len;
    int rc = gn_codec_pack(msg, GN_REPLY_MAX, &buf, &len);
    if (rc != 0) {
        fprintf(stderr, "mkcorpus: %s: %s\n", name, gn_strerror(rc));
        exit(1);
    }
    uint8_t *out = malloc(len + 1);
    if (!out)
        exit(1);
    out[0] = selector;
    memcpy(out + 1, buf, len);
    s_write("envelope", name, out, len + 1);
    free(out);
    free(buf);
}

static gn_op_t *
s_unpack(const fz_blob_t *b)
{
    int err;
    gn_op_t *op = gn_codec_unpack_op(b->data, b->len, &err);
    if (!op) {
        fprintf(stderr, "mkcorpus: a workflow op does not unpack: %s\n", gn_strerror(err));
        exit(1);
    }
    return op;
}

static fz_blob_t
s_pack(const gn_op_t *op)
{
    fz_blob_t b = { NULL, 0 };
    if (gn_codec_pack(&op->base, GN_ENVELOPE_MAX, &b.data, &b.len) != 0)
        exit(1);
    return b;
}

//  ---------------------------------------------------------------------------
//  Envelope target seeds.

static void
s_envelope_seeds(const fz_ops_t *ops)
{
    uint8_t chain[32], hash[32], sig[64];
    for (int i = 0; i < 32; i++) {
        chain[i] = (uint8_t) (0xA0 + i);
        hash[i] = (uint8_t) (0x11 * (i % 15));
    }
    memset(sig, 0x5A, sizeof sig);

    //  node <-> node
    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    Gridnet__Hello hello = GRIDNET__HELLO__INIT;
    hello.node = FZ_VILLAGE;
    hello.level = 3;
    hello.incarnation = 1700000000123;
    hello.head = 7;
    hello.down_cursor = 2;
    hello.credit = 4;
    env.body_case = GRIDNET__ENVELOPE__BODY_HELLO;
    env.hello = &hello;
    s_msg("env-hello", SEL_ENVELOPE, &env.base);

    Gridnet__Welcome welcome = GRIDNET__WELCOME__INIT;
    welcome.node = FZ_TOWN;
    welcome.up_cursor = 5;
    welcome.credit = 4;
    welcome.incarnation = 1700000000456;
    welcome.head = 12;
    welcome.op_seq = 5;
    welcome.case_n = 3;
    welcome.chain.data = chain;
    welcome.chain.len = sizeof chain;
    env.body_case = GRIDNET__ENVELOPE__BODY_WELCOME;
    env.welcome = &welcome;
    s_msg("env-welcome", SEL_ENVELOPE, &env.base);

    //  A child's batch: its seed ops, feed seqs 1..n.
    Gridnet__Entry entries[16], *ep[16];
    Gridnet__Batch batch = GRIDNET__BATCH__INIT;
    size_t n = ops->seed.n < 16 ? ops->seed.n : 16;
    for (size_t i = 0; i < n; i++) {
        gridnet__entry__init(&entries[i]);
        entries[i].seq = i + 1;
        entries[i].op.data = ops->seed.v[i].data;
        entries[i].op.len = ops->seed.v[i].len;
        ep[i] = &entries[i];
    }
    batch.from_seq = 0;
    batch.to_seq = n;
    batch.n_entries = n;
    batch.entries = ep;
    env.body_case = GRIDNET__ENVELOPE__BODY_BATCH;
    env.batch = &batch;
    s_msg("env-batch-up", SEL_ENVELOPE, &env.base);

    //  A parent's batch: the district's ops, a gap in the seqs, one conflict.
    n = ops->parent.n < 16 ? ops->parent.n : 16;
    for (size_t i = 0; i < n; i++) {
        gridnet__entry__init(&entries[i]);
        entries[i].seq = 10 + 2 * i;
        entries[i].op.data = ops->parent.v[i].data;
        entries[i].op.len = ops->parent.v[i].len;
        entries[i].conflict = i == 1;
        ep[i] = &entries[i];
    }
    batch.from_seq = 9;
    batch.to_seq = 10 + 2 * n;
    batch.n_entries = n;
    env.batch = &batch;
    s_msg("env-batch-down", SEL_ENVELOPE, &env.base);

    Gridnet__Ack ack = GRIDNET__ACK__INIT;
    ack.cursor = 5;
    ack.credit = 4;
    env.body_case = GRIDNET__ENVELOPE__BODY_ACK;
    env.ack = &ack;
    s_msg("env-ack", SEL_ENVELOPE, &env.base);

    Gridnet__Reject reject = GRIDNET__REJECT__INIT;
    reject.origin = FZ_VILLAGE;
    reject.seq = 6;
    reject.reason = GRIDNET__REJECT_REASON__RJ_STALE;
    reject.detail = (char *) "案件版本落后：本级已有 v3";
    env.body_case = GRIDNET__ENVELOPE__BODY_REJECT;
    env.reject = &reject;
    s_msg("env-reject", SEL_ENVELOPE, &env.base);

    Gridnet__Ping ping = GRIDNET__PING__INIT;
    ping.time = FZ_NOW;
    ping.head = 7;
    env.body_case = GRIDNET__ENVELOPE__BODY_PING;
    env.ping = &ping;
    s_msg("env-ping", SEL_ENVELOPE, &env.base);

    Gridnet__Pong pong = GRIDNET__PONG__INIT;
    pong.time = FZ_NOW + 3;
    pong.head = 12;
    env.body_case = GRIDNET__ENVELOPE__BODY_PONG;
    env.pong = &pong;
    s_msg("env-pong", SEL_ENVELOPE, &env.base);

    Gridnet__SnapshotReq sreq = GRIDNET__SNAPSHOT_REQ__INIT;
    sreq.node = FZ_VILLAGE;
    sreq.got = 1;
    env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_REQ;
    env.snapshot_req = &sreq;
    s_msg("env-snapshot-req", SEL_ENVELOPE, &env.base);

    ProtobufCBinaryData sop[2] = {
        { ops->seed.v[1].len, ops->seed.v[1].data },
        { ops->parent.v[0].len, ops->parent.v[0].data } };
    Gridnet__SnapshotChunk chunk = GRIDNET__SNAPSHOT_CHUNK__INIT;
    chunk.n = 1;
    chunk.cursor = 12;
    chunk.n_ops = 2;
    chunk.ops = sop;
    env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_CHUNK;
    env.snapshot_chunk = &chunk;
    s_msg("env-snapshot-chunk", SEL_ENVELOPE, &env.base);

    Gridnet__SnapshotEnd send = GRIDNET__SNAPSHOT_END__INIT;
    send.cursor = 12;
    send.chunks = 1;
    env.body_case = GRIDNET__ENVELOPE__BODY_SNAPSHOT_END;
    env.snapshot_end = &send;
    s_msg("env-snapshot-end", SEL_ENVELOPE, &env.base);

    Gridnet__DigestItem items[2], *ip[2] = { &items[0], &items[1] };
    gridnet__digest_item__init(&items[0]);
    gridnet__digest_item__init(&items[1]);
    items[0].origin = FZ_VILLAGE;
    items[0].count = 7;
    items[0].max_seq = 7;
    items[0].hash.data = hash;
    items[0].hash.len = sizeof hash;
    items[1].origin = FZ_DISTRICT;
    items[1].count = 4;
    items[1].max_seq = 9;
    items[1].hash.data = chain;
    items[1].hash.len = sizeof chain;
    Gridnet__Digest digest = GRIDNET__DIGEST__INIT;
    digest.n_items = 2;
    digest.items = ip;
    env.body_case = GRIDNET__ENVELOPE__BODY_DIGEST;
    env.digest = &digest;
    s_msg("env-digest", SEL_ENVELOPE, &env.base);

    //  client -> node
    Gridnet__ApiRequest req = GRIDNET__API_REQUEST__INIT;
    Gridnet__ReportReq report = GRIDNET__REPORT_REQ__INIT;
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    reporter.kind = GRIDNET__REPORTER_KIND__RK_CITIZEN;
    reporter.name = (char *) "李秀英";
    reporter.phone = (char *) "13900000000";
    reporter.id_number = (char *) "61040319850505002X";
    report.grid = (char *) "610403001001-002";
    report.category = (char *) "治安隐患";
    report.title = (char *) "路灯不亮";
    report.description = (char *) "村东头路灯连续三晚不亮。";
    report.severity = GRIDNET__SEVERITY__SEV_MAJOR;
    report.channel = GRIDNET__CHANNEL__CH_APP;
    report.reporter = &reporter;
    report.lat = 34.2778;
    report.lon = 108.0712;
    report.address = (char *) "五泉镇王上村";
    report.actor = (char *) "gw-0007";
    req.id = 1;
    req.token = (char *) "3f9a1c0d5e7b2a4c6e8f0a1b2c3d4e5f";
    req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
    req.report = &report;
    s_msg("req-report", SEL_REQUEST, &req.base);

    Gridnet__ActReq act = GRIDNET__ACT_REQ__INIT;
    act.case_id = (char *) "610403001001-2";
    act.action = GRIDNET__ACTION__ACT_DISPATCH;
    act.actor = (char *) "town-op";
    act.note = (char *) "请村委会处理";
    act.to = FZ_VILLAGE;
    act.assignee = (char *) "住建局";
    act.evidence = (char *) "photo/2023/11/14/0001.jpg";
    req.id = 2;
    req.body_case = GRIDNET__API_REQUEST__BODY_ACT;
    req.act = &act;
    s_msg("req-act-dispatch", SEL_REQUEST, &req.base);

    Gridnet__ActReq sup = GRIDNET__ACT_REQ__INIT;
    sup.case_id = (char *) "610403001001-1";
    sup.action = GRIDNET__ACTION__ACT_SUPERVISE;
    sup.note = (char *) "限期清理";
    sup.due = FZ_NOW + 86400000;
    sup.urgency = 2;
    req.id = 3;
    req.act = &sup;
    s_msg("req-act-supervise", SEL_REQUEST, &req.base);

    Gridnet__ActReq eval = GRIDNET__ACT_REQ__INIT;
    eval.case_id = (char *) "610403001001-2";
    eval.action = GRIDNET__ACTION__ACT_EVALUATE;
    eval.rating = 5;
    eval.comment = (char *) "处理及时";
    eval.ok = 1;
    eval.duplicate_of = (char *) "610403001001-1";
    req.id = 4;
    req.act = &eval;
    s_msg("req-act-evaluate", SEL_REQUEST, &req.base);

    Gridnet__ListReq list = GRIDNET__LIST_REQ__INIT;
    list.status = GRIDNET__STATUS__ST_REPORTED;
    list.grid = (char *) "610403001001-001";
    list.owner = FZ_VILLAGE;
    list.limit = 50;
    list.after = (char *) "610403001001-1";
    req.id = 5;
    req.body_case = GRIDNET__API_REQUEST__BODY_LIST;
    req.list = &list;
    s_msg("req-list", SEL_REQUEST, &req.base);

    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) "610403001001-3";
    req.id = 6;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    s_msg("req-show", SEL_REQUEST, &req.base);

    Gridnet__RefSetReq rset = GRIDNET__REF_SET_REQ__INIT;
    rset.key = (char *) "category/环境卫生";
    rset.value = (char *) "{\"department\":\"住建局\",\"accept_hours\":24}";
    rset.actor = (char *) "admin";
    req.id = 7;
    req.body_case = GRIDNET__API_REQUEST__BODY_REF_SET;
    req.ref_set = &rset;
    s_msg("req-ref-set", SEL_REQUEST, &req.base);

    char *attendees[] = { (char *) "住建局", (char *) "610403001000" };
    char *cases[] = { (char *) "610403001001-1", (char *) "610403001001-3" };
    Gridnet__MeetingReq meeting = GRIDNET__MEETING_REQ__INIT;
    meeting.title = (char *) "联席会议";
    meeting.date = (char *) "2023-11-15";
    meeting.chair = (char *) "区长";
    meeting.n_attendees = 2;
    meeting.attendees = attendees;
    meeting.n_cases = 2;
    meeting.cases = cases;
    req.id = 8;
    req.body_case = GRIDNET__API_REQUEST__BODY_MEETING;
    req.meeting = &meeting;
    s_msg("req-meeting", SEL_REQUEST, &req.base);

    Gridnet__TaskSpec tasks[2], *tp[2] = { &tasks[0], &tasks[1] };
    gridnet__task_spec__init(&tasks[0]);
    gridnet__task_spec__init(&tasks[1]);
    tasks[0].title = (char *) "清运垃圾";
    tasks[0].assignee = (char *) "住建局";
    tasks[0].due = FZ_NOW + 3 * 86400000LL;
    tasks[1].title = (char *) "入户走访";
    tasks[1].to = FZ_TOWN;
    Gridnet__ResolveReq resolve = GRIDNET__RESOLVE_REQ__INIT;
    resolve.meeting_id = (char *) "610403000000-m1";
    resolve.case_id = (char *) "610403001001-1";
    resolve.text = (char *) "由住建局牵头清运。";
    resolve.n_tasks = 2;
    resolve.tasks = tp;
    req.id = 9;
    req.body_case = GRIDNET__API_REQUEST__BODY_RESOLVE;
    req.resolve = &resolve;
    s_msg("req-resolve", SEL_REQUEST, &req.base);

    Gridnet__LoginReq login = GRIDNET__LOGIN_REQ__INIT;
    login.user = (char *) "gw-0007";
    login.password = (char *) "correct horse battery staple";
    req.id = 10;
    req.token = (char *) "";
    req.body_case = GRIDNET__API_REQUEST__BODY_LOGIN;
    req.login = &login;
    s_msg("req-login", SEL_REQUEST, &req.base);

    Gridnet__DigestReq dreq = GRIDNET__DIGEST_REQ__INIT;
    dreq.root = FZ_TOWN;
    req.id = 11;
    req.body_case = GRIDNET__API_REQUEST__BODY_DIGEST;
    req.digest = &dreq;
    s_msg("req-digest", SEL_REQUEST, &req.base);

    Gridnet__LedgerReq ledger = GRIDNET__LEDGER_REQ__INIT;
    ledger.worker = (char *) "gw-0007";
    ledger.from = FZ_NOW - 86400000;
    ledger.to = FZ_NOW;
    req.id = 12;
    req.body_case = GRIDNET__API_REQUEST__BODY_LEDGER;
    req.ledger = &ledger;
    s_msg("req-ledger", SEL_REQUEST, &req.base);

    //  node -> client
    Gridnet__ApiReply rep = GRIDNET__API_REPLY__INIT;
    rep.id = 1;
    rep.body_case = GRIDNET__API_REPLY__BODY_CASE_ID;
    rep.case_id = (char *) "610403001001-4";
    s_msg("reply-case-id", SEL_REPLY, &rep.base);

    gn_op_t *hist[3] = { s_unpack(&ops->seed.v[1]), s_unpack(&ops->seed.v[3]),
                         s_unpack(&ops->child.v[1]) };
    gn_op_t *conf[1] = { s_unpack(&ops->child.v[0]) };
    Gridnet__CaseView view = GRIDNET__CASE_VIEW__INIT;
    view.state = hist[2]->state;
    view.n_history = 3;
    view.history = hist;
    view.n_conflicts = 1;
    view.conflicts = conf;
    rep.id = 6;
    rep.body_case = GRIDNET__API_REPLY__BODY_VIEW;
    rep.view = &view;
    s_msg("reply-view", SEL_REPLY, &rep.base);

    Gridnet__Case *lc[3] = { hist[0]->state, hist[1]->state, conf[0]->state };
    Gridnet__CaseList clist = GRIDNET__CASE_LIST__INIT;
    clist.n_cases = 3;
    clist.cases = lc;
    clist.next = (char *) "610403001001-3";
    rep.id = 5;
    rep.body_case = GRIDNET__API_REPLY__BODY_LIST;
    rep.list = &clist;
    s_msg("reply-list", SEL_REPLY, &rep.base);

    rep.id = 2;
    rep.body_case = GRIDNET__API_REPLY__BODY_STATE;
    rep.state = hist[2]->state;
    s_msg("reply-state", SEL_REPLY, &rep.base);

    Gridnet__LinkStatus links[2], *lp[2] = { &links[0], &links[1] };
    gridnet__link_status__init(&links[0]);
    gridnet__link_status__init(&links[1]);
    links[0].peer = FZ_DISTRICT;
    links[0].role = (char *) "parent";
    links[0].connected = 1;
    links[0].sent = 12;
    links[0].acked = 10;
    links[0].applied = 9;
    links[0].peer_head = 40;
    links[0].last_seen = FZ_NOW;
    links[0].lag_ops = 2;
    links[0].lag_ms = 150;
    links[1].peer = FZ_VILLAGE;
    links[1].role = (char *) "child";
    links[1].last_error = (char *) "batch refused: gap";
    Gridnet__NodeStatus status = GRIDNET__NODE_STATUS__INIT;
    status.node = FZ_TOWN;
    status.level = 2;
    status.parent = FZ_DISTRICT;
    status.incarnation = 1700000000456;
    status.feed_head = 12;
    status.op_seq = 3;
    status.cases = 4;
    status.conflicts = 1;
    status.n_links = 2;
    status.links = lp;
    rep.id = 7;
    rep.body_case = GRIDNET__API_REPLY__BODY_STATUS;
    rep.status = &status;
    s_msg("reply-status", SEL_REPLY, &rep.base);

    rep.id = 8;
    rep.body_case = GRIDNET__API_REPLY__BODY_JSON;
    rep.json = (char *) "{\"category/环境卫生\":{\"department\":\"住建局\",\"accept_hours\":24}}";
    s_msg("reply-json", SEL_REPLY, &rep.base);

    rep.id = 9;
    rep.body_case = GRIDNET__API_REPLY__BODY_DIGEST;
    rep.digest = &digest;
    s_msg("reply-digest", SEL_REPLY, &rep.base);

    Gridnet__ApiReply err = GRIDNET__API_REPLY__INIT;
    err.id = 10;
    err.code = GN_ENOTOWNER;
    err.error = (char *) "case 610403001001-3 is owned by 610403000000 (level 1), not this node";
    s_msg("reply-error", SEL_REPLY, &err.base);

    //  Ops alone: one of each kind.
    s_msg("op-report", SEL_OP, &hist[0]->base);
    s_msg("op-escalate", SEL_OP, &hist[1]->base);
    s_msg("op-handle", SEL_OP, &hist[2]->base);
    gn_op_t *pop[3] = { s_unpack(&ops->parent.v[1]), s_unpack(&ops->parent.v[2]),
                        s_unpack(&ops->parent.v[ops->parent.n - 1]) };
    s_msg("op-dispatch", SEL_OP, &pop[0]->base);
    s_msg("op-supervise", SEL_OP, &pop[1]->base);
    s_msg("op-refdata", SEL_OP, &pop[2]->base);
    gn_op_t seal = GRIDNET__OP__INIT;
    seal.origin = FZ_VILLAGE;
    seal.seq = 8;
    seal.action = GRIDNET__ACTION__ACT_SEAL;
    seal.time = FZ_NOW;
    seal.prev.data = chain;
    seal.prev.len = sizeof chain;
    seal.sig.data = sig;
    seal.sig.len = sizeof sig;
    s_msg("op-seal", SEL_OP, &seal.base);

    for (int i = 0; i < 3; i++) {
        gn_codec_free_op(&hist[i]);
        gn_codec_free_op(&pop[i]);
    }
    gn_codec_free_op(&conf[0]);
}

//  ---------------------------------------------------------------------------
//  Apply target seeds: records of [hdr][len][op] (fuzz_seed.h).

static void
s_apply_file(const char *name, fz_blob_t *buf)
{
    s_write("apply", name, buf->data, buf->len);
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
}

static void
s_apply_seeds(const fz_ops_t *ops)
{
    fz_blob_t buf = { NULL, 0 };

    //  The village's next ops: they follow the town's view (NEW).
    for (size_t i = 0; i < ops->child.n; i++)
        fz_record(&buf, FZ_HDR_VILLAGE, &ops->child.v[i]);
    s_apply_file("child-follows", &buf);

    //  The district's ops coming down: accept, dispatch to the town,
    //  supervise, reference data (authoritative).
    for (size_t i = 0; i < ops->parent.n; i++)
        fz_record(&buf, FZ_HDR_PARENT, &ops->parent.v[i]);
    s_apply_file("parent-down", &buf);

    //  Both streams interleaved, then the seed ops again (duplicates).
    for (size_t i = 0; i < ops->parent.n || i < ops->child.n; i++) {
        if (i < ops->parent.n)
            fz_record(&buf, FZ_HDR_PARENT, &ops->parent.v[i]);
        if (i < ops->child.n)
            fz_record(&buf, FZ_HDR_VILLAGE, &ops->child.v[i]);
    }
    for (size_t i = 0; i < ops->seed.n; i++)
        fz_record(&buf, FZ_HDR_VILLAGE, &ops->seed.v[i]);
    s_apply_file("mixed-and-dups", &buf);

    //  Marked as a conflict by the sender: kept visible, not applied.
    fz_record(&buf, FZ_HDR_VILLAGE | FZ_HDR_CONFLICT, &ops->child.v[0]);
    fz_record(&buf, FZ_HDR_PARENT | FZ_HDR_CONFLICT, &ops->parent.v[ops->parent.n - 1]);
    s_apply_file("conflict-flag", &buf);

    //  Stale: the village writes on case 1 with a version that skips ahead,
    //  then with the epoch it no longer holds.
    gn_op_t *op = s_unpack(&ops->child.v[0]);
    op->seq += 40;
    op->version += 3;
    op->state->version = op->version;
    fz_blob_t b = s_pack(op);
    fz_record(&buf, FZ_HDR_VILLAGE, &b);
    free(b.data);
    op->seq += 1;
    op->version -= 3;
    op->state->version = op->version;
    op->epoch += 1;
    op->state->epoch += 1;
    b = s_pack(op);
    fz_record(&buf, FZ_HDR_VILLAGE, &b);
    free(b.data);
    s_apply_file("child-stale", &buf);

    //  Out of scope (I8): the sibling speaks for the village; the village
    //  sends the district's reference data; a case op with a mismatched id.
    fz_record(&buf, FZ_HDR_SIBLING, &ops->child.v[0]);
    fz_record(&buf, FZ_HDR_VILLAGE, &ops->parent.v[ops->parent.n - 1]);
    op->seq += 1;
    op->epoch -= 1;
    op->state->epoch -= 1;
    char *id = op->state->id;
    op->state->id = (char *) "610403001001-2";
    b = s_pack(op);
    fz_record(&buf, FZ_HDR_VILLAGE, &b);
    free(b.data);
    op->state->id = id;
    gn_codec_free_op(&op);
    s_apply_file("scope-and-invalid", &buf);

    //  A village seal (insecure: not verified here) and a bare report of a
    //  new case straight from the parent.
    uint8_t prev[32], sig[64];
    memset(prev, 0x3C, sizeof prev);
    memset(sig, 0xC3, sizeof sig);
    gn_op_t seal = GRIDNET__OP__INIT;
    seal.origin = FZ_VILLAGE;
    seal.seq = 60;
    seal.action = GRIDNET__ACTION__ACT_SEAL;
    seal.time = FZ_NOW;
    seal.prev.data = prev;
    seal.prev.len = sizeof prev;
    seal.sig.data = sig;
    seal.sig.len = sizeof sig;
    b = s_pack(&seal);
    fz_record(&buf, FZ_HDR_VILLAGE, &b);
    free(b.data);
    op = s_unpack(&ops->child.v[ops->child.n - 1]);   // village report of case 4
    op->origin = FZ_DISTRICT;
    op->seq = 70;
    b = s_pack(op);
    fz_record(&buf, FZ_HDR_PARENT, &b);
    free(b.data);
    gn_codec_free_op(&op);
    s_apply_file("seal-and-parent-report", &buf);
}

static void
s_mkdir(const char *sub)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s%s", s_out, sub ? "/" : "", sub ? sub : "");
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "mkcorpus: cannot make %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkcorpus DIR   (writes DIR/envelope/ and DIR/apply/)\n");
        return 2;
    }
    s_out = argv[1];
    s_mkdir(NULL);
    s_mkdir("envelope");
    s_mkdir("apply");

    char tmp[512];
    if (fz_mkdtemp(tmp, sizeof tmp, "mkcorpus") != 0) {
        perror("mkcorpus: mkdtemp");
        return 1;
    }
    fz_ops_t ops;
    int rc = fz_make_ops(tmp, &ops);
    fz_rmdir(tmp);
    if (rc != 0)
        return 1;
    if (ops.seed.n < 4 || ops.child.n < 2 || ops.parent.n < 3) {
        fprintf(stderr, "mkcorpus: the workflow wrote fewer ops than expected (%zu/%zu/%zu)\n",
                ops.seed.n, ops.child.n, ops.parent.n);
        return 1;
    }
    s_envelope_seeds(&ops);
    s_apply_seeds(&ops);
    fz_ops_free(&ops);
    printf("mkcorpus: %zu files, %zu bytes in %s\n", s_files, s_bytes, s_out);
    return 0;
}
