/*  codec.h -- the only place protobuf-c messages are packed and unpacked.

    Every unpack enforces limits and checks, so code above the codec can
    trust what it gets: size within GN_*_MAX, strings valid UTF-8 and within
    their field limits, enum values known, node codes valid, repeated fields
    within bounds. Bad bytes give NULL and an error code, never a crash.

    Ownership: an unpacked message belongs to the caller, who frees it with the
    matching gn_codec_free_*(&msg) (NULLs the pointer). Packed buffers are
    malloc'd and belong to the caller.  */
#ifndef GN_CODEC_H
#define GN_CODEC_H
#include "gridnet.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN_ENVELOPE_MAX   (4u << 20)   // bytes of one node<->node frame
#define GN_API_MAX        (256u << 10) // bytes of one client request
#define GN_REPLY_MAX      (16u << 20)  // bytes of one reply to a client
#define GN_BATCH_ENTRIES  1024         // entries in one Batch
#define GN_TEXT_MAX       4000         // bytes of a description or note
#define GN_FIELD_MAX      256          // bytes of any other string field
#define GN_TRAIL_MAX      64           // nodes in a case's trail
#define GN_REF_VALUE_MAX  (64u << 10)  // bytes of one reference data value
#define GN_TASKS_MAX      64           // meeting tasks per case, attendees, cases per meeting
#define GN_SUPERVISION_MAX 256         // supervisions kept with a case
#define GN_QUERY_MAX      1000         // ids, categories and cases of one CaseQueryReq
#define GN_SEQ_MAX        ((uint64_t) 1 << 48)  // feed seqs and cursors stay below this:
                                       // no node writes 2.8e14 records, and a peer cannot
                                       // push a cursor to where it wraps

typedef Gridnet__Envelope gn_envelope_t;
typedef Gridnet__ApiRequest gn_api_request_t;
typedef Gridnet__ApiReply gn_api_reply_t;
typedef Gridnet__Op gn_op_t;
typedef Gridnet__Case gn_case_t;

//  Unpack and check. On failure NULL, *err set (GN_EMALFORMED, GN_ETOOBIG).
gn_envelope_t *gn_codec_unpack_envelope(const uint8_t *buf, size_t len, int *err);
gn_api_request_t *gn_codec_unpack_request(const uint8_t *buf, size_t len, int *err);
gn_api_reply_t *gn_codec_unpack_reply(const uint8_t *buf, size_t len, int *err);
gn_op_t *gn_codec_unpack_op(const uint8_t *buf, size_t len, int *err);
gn_case_t *gn_codec_unpack_case(const uint8_t *buf, size_t len, int *err);

void gn_codec_free_envelope(gn_envelope_t **self_p);
void gn_codec_free_request(gn_api_request_t **self_p);
void gn_codec_free_reply(gn_api_reply_t **self_p);
void gn_codec_free_op(gn_op_t **self_p);
void gn_codec_free_case(gn_case_t **self_p);

//  Check a message built in memory (before packing it or after unpacking).
//  0 if it is within limits, GN_EMALFORMED otherwise.
int gn_codec_check_op(const gn_op_t *op);
int gn_codec_check_case(const gn_case_t *c);

//  Pack any message into a new malloc'd buffer. 0 or GN_ENOMEM/GN_ETOOBIG.
int gn_codec_pack(const ProtobufCMessage *msg, size_t max, uint8_t **buf, size_t *len);

//  Pack straight into caller memory (e.g. an LMDB reservation): size from
//  gn_codec_size, then gn_codec_pack_to with exactly that many bytes.
size_t gn_codec_size(const ProtobufCMessage *msg);
void gn_codec_pack_to(const ProtobufCMessage *msg, size_t size, uint8_t *dst);

//  True if the bytes are valid UTF-8 (no overlongs, no surrogates).
bool gn_utf8_valid(const char *s, size_t len);

#endif
