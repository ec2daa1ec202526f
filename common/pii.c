/*  pii.c -- seal and show reporters' personal data.  */
#include "pii.h"
#include "crypto.h"
#include "err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PII_AAD "gridnet-pii-v1"

static bool
s_blank(const char *s)
{
    return !s || !*s;
}

//  Replace a string field of an unpacked message with a copy of text.
static int
s_set(char **field, const char *text)
{
    char *copy = strdup(text);
    if (!copy)
        return GN_ENOMEM;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return GN_OK;
}

int
gn_pii_seal(const uint8_t key[32], Gridnet__Reporter *r)
{
    if (!r || (s_blank(r->phone) && s_blank(r->id_number)))
        return GN_OK;
    json_t *doc = json_pack("{s:s, s:s}", "phone", r->phone ? r->phone : "",
                            "id_number", r->id_number ? r->id_number : "");
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text)
        return GN_ENOMEM;
    uint8_t *sealed = NULL;
    size_t len = 0;
    int rc = gn_seal(key, text, strlen(text), PII_AAD, strlen(PII_AAD), &sealed, &len);
    gn_cleanse(text, strlen(text));
    free(text);
    if (rc != 0)
        return rc;
    if (r->sealed.data)
        free(r->sealed.data);
    r->sealed.data = sealed;
    r->sealed.len = len;
    if ((rc = s_set(&r->phone, "")) == 0)
        rc = s_set(&r->id_number, "");
    return rc;
}

int
gn_pii_show(const uint8_t key[32], Gridnet__Reporter *r, bool may_see)
{
    if (!r || r->sealed.len == 0)
        return GN_OK;
    if (!may_see || !key)
        return s_set(&r->phone, "***") == 0 ? s_set(&r->id_number, "***") : GN_ENOMEM;
    uint8_t *plain = NULL;
    size_t len = 0;
    int rc = gn_open(key, r->sealed.data, r->sealed.len, PII_AAD, strlen(PII_AAD), &plain, &len);
    if (rc != 0)   // not our district's key, or altered: show nothing
        return s_set(&r->phone, "(sealed)") == 0 ? s_set(&r->id_number, "(sealed)") : GN_ENOMEM;
    json_error_t jerr;
    json_t *doc = json_loadb((const char *) plain, len, 0, &jerr);
    gn_cleanse(plain, len);
    free(plain);
    const char *phone = json_string_value(json_object_get(doc, "phone"));
    const char *idn = json_string_value(json_object_get(doc, "id_number"));
    rc = s_set(&r->phone, phone ? phone : "");
    if (rc == 0)
        rc = s_set(&r->id_number, idn ? idn : "");
    json_decref(doc);
    return rc;
}
