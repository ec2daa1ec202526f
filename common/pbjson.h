/*  pbjson.h -- any protobuf-c message as a jansson JSON value, driven by the
    generated descriptor tables, so one function serves every message of
    gridnet.proto (nested, repeated and oneof fields included).

    Mapping (the one docs/interfaces.md promises to gridctl --json users):
      - keys are the proto field names (snake_case);
      - enums are their value name lowercased, without the prefix up to and
        including the first '_' (ST_REPORTED -> "reported", RK_GRID_WORKER ->
        "grid_worker"); a number the descriptor does not know stays a number;
      - 32- and 64-bit integers are JSON integers (a uint64 above INT64_MAX,
        which jansson cannot hold, is written as a decimal string);
      - doubles and floats are reals (NaN and infinities as the strings "NaN",
        "Infinity", "-Infinity", as in proto3's JSON mapping);
      - bytes are standard base64 with padding;
      - fields at their proto3 default (0, false, "", empty repeated, unset
        message) are omitted; a set oneof member and a set message are always
        written, even when empty.  */
#ifndef GN_PBJSON_H
#define GN_PBJSON_H
#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

//  The message as a JSON object. Caller owns the result (json_decref).
//  NULL if memory ran out or messages nest deeper than 64 levels.
json_t *gn_pbjson_from_message(const ProtobufCMessage *msg);

//  Short lowercase name of an enum value ("reported" for ST_REPORTED) written
//  into buf; the decimal number if d does not know the value. Returns buf,
//  never NULL; the text is truncated to len - 1 bytes if buf is too small
//  (32 bytes hold every name in gridnet.proto).
const char *gn_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf,
                                size_t len);

//  Parse a short name as gn_pbjson_enum_name writes it, case-insensitively
//  ("major", "MAJOR"). 0 with *value set, or GN_EINVAL for NULL or an unknown
//  name (the full name "SEV_MAJOR" is not accepted). "unspecified" parses to
//  0; callers that need a real value reject 0 themselves.
int gn_pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value);

#endif
