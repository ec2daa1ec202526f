/*  fuzz_envelope.c -- libFuzzer target for the codec's decoders.

    Input: one selector byte, then the bytes of one message. selector & 3:
        0  Envelope    (gn_codec_unpack_envelope; a Batch's entries are
                        unpacked as ops too, as sync.c does)
        1  ApiRequest  (gn_codec_unpack_request)
        2  ApiReply    (gn_codec_unpack_reply)
        3  Op          (gn_codec_unpack_op)
    Invariants (abort() when one breaks, so libFuzzer keeps the input):
      - whatever unpacks passes the codec's own in-memory checks where there
        are some (gn_codec_check_op / _case);
      - round trip: it packs again (gn_codec_pack within the same limit),
        gn_codec_size / gn_codec_pack_to agree with gn_codec_pack, the
        packed bytes unpack, and packing those gives the same bytes again;
      - ASan/UBSan: no memory error, no undefined behaviour, no leak.  */
#include "codec.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef ProtobufCMessage *(unpack_fn)(const uint8_t *buf, size_t len, int *err);
typedef void (free_fn)(ProtobufCMessage *msg);

static void
s_fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_envelope: invariant broken: %s%s%s\n", what,
            detail ? ": " : "", detail ? detail : "");
    abort();
}

static ProtobufCMessage *
s_unpack_envelope(const uint8_t *buf, size_t len, int *err)
{
    return (ProtobufCMessage *) gn_codec_unpack_envelope(buf, len, err);
}

static ProtobufCMessage *
s_unpack_request(const uint8_t *buf, size_t len, int *err)
{
    return (ProtobufCMessage *) gn_codec_unpack_request(buf, len, err);
}

static ProtobufCMessage *
s_unpack_reply(const uint8_t *buf, size_t len, int *err)
{
    return (ProtobufCMessage *) gn_codec_unpack_reply(buf, len, err);
}

static ProtobufCMessage *
s_unpack_op(const uint8_t *buf, size_t len, int *err)
{
    return (ProtobufCMessage *) gn_codec_unpack_op(buf, len, err);
}

static void
s_free_envelope(ProtobufCMessage *msg)
{
    gn_envelope_t *m = (gn_envelope_t *) msg;
    gn_codec_free_envelope(&m);
}

static void
s_free_request(ProtobufCMessage *msg)
{
    gn_api_request_t *m = (gn_api_request_t *) msg;
    gn_codec_free_request(&m);
}

static void
s_free_reply(ProtobufCMessage *msg)
{
    gn_api_reply_t *m = (gn_api_reply_t *) msg;
    gn_codec_free_reply(&m);
}

static void
s_free_op(ProtobufCMessage *msg)
{
    gn_op_t *m = (gn_op_t *) msg;
    gn_codec_free_op(&m);
}

typedef struct {
    const char *name;
    size_t max;                 // the unpack limit, used to pack again
    unpack_fn *unpack;
    free_fn *free;
} kind_t;

static const kind_t s_kinds[4] = {
    { "Envelope",   GN_ENVELOPE_MAX, s_unpack_envelope, s_free_envelope },
    { "ApiRequest", GN_API_MAX,      s_unpack_request,  s_free_request },
    { "ApiReply",   GN_REPLY_MAX,    s_unpack_reply,    s_free_reply },
    { "Op",         GN_ENVELOPE_MAX, s_unpack_op,       s_free_op },
};

//  msg unpacked as kind k: pack it, unpack that, pack again: same bytes.
static void
s_roundtrip(const kind_t *k, const ProtobufCMessage *msg)
{
    uint8_t *one = NULL, *two = NULL;
    size_t one_len = 0, two_len = 0;
    int rc = gn_codec_pack(msg, k->max, &one, &one_len);
    if (rc != 0)
        s_fail(k->name, gn_strerror(rc));

    size_t size = gn_codec_size(msg);
    if (size != one_len)
        s_fail(k->name, "gn_codec_size differs from gn_codec_pack");
    uint8_t *to = malloc(size ? size : 1);
    if (!to)
        abort();
    gn_codec_pack_to(msg, size, to);
    if (memcmp(to, one, size) != 0)
        s_fail(k->name, "gn_codec_pack_to differs from gn_codec_pack");
    free(to);

    int err = 0;
    ProtobufCMessage *again = k->unpack(one, one_len, &err);
    if (!again) {
        fprintf(stderr, "fuzz_envelope: %s packed again (%zu bytes) does not unpack: %s\n",
                k->name, one_len, gn_strerror(err));
        s_fail(k->name, "round trip");
    }
    if ((rc = gn_codec_pack(again, k->max, &two, &two_len)) != 0)
        s_fail(k->name, "second pack failed");
    if (two_len != one_len || memcmp(one, two, one_len) != 0)
        s_fail(k->name, "pack(unpack(pack(m))) differs from pack(m)");
    k->free(again);
    free(one);
    free(two);
}

//  An op that unpacked: the codec's in-memory checks agree with its unpack.
static void
s_op_checks(const gn_op_t *op)
{
    if (gn_codec_check_op(op) != 0)
        s_fail("Op", "unpacked but gn_codec_check_op refuses it");
    if (op->state && gn_codec_check_case(op->state) != 0)
        s_fail("Op", "unpacked but gn_codec_check_case refuses its state");
}

//  What a receiver does next with an envelope: a Batch's entries are packed
//  ops, unpacked one by one (sync.c); so are a snapshot chunk's.
static void
s_envelope_inner(const gn_envelope_t *env)
{
    if (env->body_case == GRIDNET__ENVELOPE__BODY_BATCH) {
        for (size_t i = 0; i < env->batch->n_entries; i++) {
            const Gridnet__Entry *e = env->batch->entries[i];
            int err;
            gn_op_t *op = gn_codec_unpack_op(e->op.data, e->op.len, &err);
            if (op) {
                s_op_checks(op);
                s_roundtrip(&s_kinds[3], &op->base);
                gn_codec_free_op(&op);
            }
        }
    }
    else if (env->body_case == GRIDNET__ENVELOPE__BODY_SNAPSHOT_CHUNK) {
        for (size_t i = 0; i < env->snapshot_chunk->n_ops; i++) {
            const ProtobufCBinaryData *b = &env->snapshot_chunk->ops[i];
            int err;
            gn_op_t *op = gn_codec_unpack_op(b->data, b->len, &err);
            if (op) {
                s_op_checks(op);
                s_roundtrip(&s_kinds[3], &op->base);
                gn_codec_free_op(&op);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const kind_t *k = &s_kinds[data[0] & 3];
    int err = 0;
    ProtobufCMessage *msg = k->unpack(data + 1, size - 1, &err);
    if (!msg) {
        if (err != GN_EMALFORMED && err != GN_ETOOBIG)
            s_fail(k->name, "unpack failed with an unexpected code");
        return 0;
    }
    if (err != GN_OK)
        s_fail(k->name, "unpack returned a message and an error");
    if (k->unpack == s_unpack_envelope)
        s_envelope_inner((const gn_envelope_t *) msg);
    if (k->unpack == s_unpack_op)
        s_op_checks((const gn_op_t *) msg);
    s_roundtrip(k, msg);
    k->free(msg);
    return 0;
}
