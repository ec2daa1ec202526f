/*  pbjson.c -- protobuf-c message to JSON by walking the descriptor tables.

    Each field descriptor says where its value lives (offset), where its count,
    has_ flag or oneof case lives (quantifier_offset) and what type it is; the
    walk below needs nothing else, so it serves every generated message.  */
#include "pbjson.h"
#include "err.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#define DEPTH_MAX 64    // deepest message nesting we follow

static json_t *s_message(const ProtobufCMessage *msg, int depth);

//  The short part of an enum value name: after the first '_', or all of it.
static const char *
s_short(const char *full)
{
    const char *p = strchr(full, '_');
    return p ? p + 1 : full;
}

const char *
gn_pbjson_enum_name(const ProtobufCEnumDescriptor *d, int value, char *buf, size_t len)
{
    assert(d && d->magic == PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC);
    assert(buf && len > 0);
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (!v) {
        (void) snprintf(buf, len, "%d", value);
        return buf;
    }
    const char *p = s_short(v->name);
    size_t i;
    for (i = 0; p[i] && i + 1 < len; i++)
        buf[i] = (char) tolower((unsigned char) p[i]);
    buf[i] = '\0';
    return buf;
}

int
gn_pbjson_enum_parse(const ProtobufCEnumDescriptor *d, const char *name, int *value)
{
    assert(d && d->magic == PROTOBUF_C__ENUM_DESCRIPTOR_MAGIC);
    assert(value);
    if (!name || !*name)
        return GN_EINVAL;
    for (unsigned i = 0; i < d->n_values; i++) {
        if (strcasecmp(s_short(d->values[i].name), name) == 0) {
            *value = d->values[i].value;
            return GN_OK;
        }
    }
    return GN_EINVAL;
}

//  An enum value: its short lowercase name, or the number if unknown.
static json_t *
s_enum(const ProtobufCEnumDescriptor *d, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(d, value);
    if (!v)
        return json_integer(value);
    const char *p = s_short(v->name);
    size_t n = strlen(p);
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        s[i] = (char) tolower((unsigned char) p[i]);
    json_t *j = json_string(s);
    free(s);
    return j;
}

//  A string. Text that is not valid UTF-8 (the codec never lets such text
//  through) keeps its ASCII and gets '?' for every other byte, so the output
//  is still valid JSON.
static json_t *
s_string(const char *s)
{
    if (!s)
        return json_string("");
    json_t *j = json_string(s);
    if (j)
        return j;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char) *p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

//  A uint64: an integer while jansson's signed 64-bit integer can hold it.
static json_t *
s_uint64(uint64_t v)
{
    if (v <= (uint64_t) INT64_MAX)
        return json_integer((json_int_t) v);
    char text[24];
    (void) snprintf(text, sizeof text, "%llu", (unsigned long long) v);
    return json_string(text);
}

//  A real; JSON has no NaN or infinity, so those become proto3's strings.
static json_t *
s_real(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

//  Bytes as padded standard base64.
static json_t *
s_base64(const ProtobufCBinaryData *b)
{
    if (b->len == 0)
        return json_string("");
    if (b->len > (size_t) INT_MAX / 4 * 3 - 3)
        return NULL;
    size_t outlen = 4 * ((b->len + 2) / 3) + 1;
    unsigned char *out = malloc(outlen);
    if (!out)
        return NULL;
    int n = EVP_EncodeBlock(out, b->data, (int) b->len);
    json_t *j = n >= 0 ? json_stringn((const char *) out, (size_t) n) : NULL;
    free(out);
    return j;
}

//  One value of field f stored at p (a member, or one element of an array).
static json_t *
s_value(const ProtobufCFieldDescriptor *f, const void *p, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *) p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *) p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *) p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return s_uint64(*(const uint64_t *) p);
    case PROTOBUF_C_TYPE_FLOAT:
        return s_real(*(const float *) p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return s_real(*(const double *) p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *) p);
    case PROTOBUF_C_TYPE_ENUM:
        return s_enum(f->descriptor, *(const int *) p);
    case PROTOBUF_C_TYPE_STRING:
        return s_string(*(char *const *) p);
    case PROTOBUF_C_TYPE_BYTES:
        return s_base64(p);
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(ProtobufCMessage *const *) p;
        return m ? s_message(m, depth + 1) : json_object();
    }
    }
    return NULL;
}

//  Bytes one element of a repeated field of this type takes in its array.
static size_t
s_element_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

//  True unless the member holds its type's proto3 default.
static bool
s_nonzero(const ProtobufCFieldDescriptor *f, const void *p)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return *(const uint32_t *) p != 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return *(const uint64_t *) p != 0;
    case PROTOBUF_C_TYPE_FLOAT:
        return *(const float *) p != 0;
    case PROTOBUF_C_TYPE_DOUBLE:
        return *(const double *) p != 0;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *) p != 0;
    case PROTOBUF_C_TYPE_ENUM:
        return *(const int *) p != 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *) p;
        return s && *s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *) p)->len > 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *) p != NULL;
    }
    return false;
}

//  Whether a singular (not repeated) field is to be written.
static bool
s_present(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *) msg;
    const void *member = base + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return *(const uint32_t *) (base + f->quantifier_offset) == f->id;
    if (f->label == PROTOBUF_C_LABEL_NONE)
        return s_nonzero(f, member);
    //  proto2 required/optional, proto3 'optional': presence is explicit
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *s = *(char *const *) member;
        return s && (f->label == PROTOBUF_C_LABEL_REQUIRED || s != f->default_value);
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return *(ProtobufCMessage *const *) member != NULL;
    if (f->label == PROTOBUF_C_LABEL_REQUIRED)
        return true;
    return *(const protobuf_c_boolean *) (base + f->quantifier_offset) != 0;
}

//  A repeated field's n elements as an array.
static json_t *
s_repeated(const ProtobufCFieldDescriptor *f, const void *data, size_t n, int depth)
{
    assert(data);
    size_t size = s_element_size(f->type);
    json_t *array = json_array();
    if (!array)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *v = s_value(f, (const char *) data + i * size, depth);
        if (!v || json_array_append_new(array, v) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

static json_t *
s_message(const ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    assert(d && d->magic == PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
    if (depth > DEPTH_MAX)
        return NULL;
    json_t *obj = json_object();
    if (!obj)
        return NULL;
    const char *base = (const char *) msg;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        json_t *v;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *) (base + f->quantifier_offset);
            if (n == 0)
                continue;
            v = s_repeated(f, *(void *const *) (base + f->offset), n, depth);
        }
        else if (s_present(msg, f))
            v = s_value(f, base + f->offset, depth);
        else
            continue;
        //  json_object_set_new takes v even when it fails
        if (!v || json_object_set_new(obj, f->name, v) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *
gn_pbjson_from_message(const ProtobufCMessage *msg)
{
    assert(msg);
    return s_message(msg, 0);
}
