/*  refdata.c -- typed lookups over the `ref` database.
    A stored value is: origin u64 | seq u64 | JSON text (see apply.c).  */
#include "refdata.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define HOUR_MS  3600000LL
#define DAY_MS   (24 * HOUR_MS)
#define CST_MS   (8 * HOUR_MS)     // China Standard Time, UTC+8, no DST

static json_t *
s_parse(const void *val, size_t vlen)
{
    if (vlen < 16)
        return NULL;
    json_error_t jerr;
    return json_loadb((const char *) val + 16, vlen - 16, JSON_DECODE_ANY, &jerr);
}

int
gn_ref_get(gn_txn_t *txn, const char *key, json_t **value)
{
    const void *val;
    size_t vlen;
    *value = NULL;
    int rc = gn_txn_get(txn, GN_DB_REF, key, strlen(key), &val, &vlen);
    if (rc != 0)
        return rc;
    *value = s_parse(val, vlen);
    return *value ? GN_OK : GN_ESTORE;
}

static int
s_any_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    *(bool *) arg = true;
    return 1;
}

bool
gn_ref_any(gn_txn_t *txn, const char *prefix)
{
    bool any = false;
    size_t n = strlen(prefix);
    (void) gn_txn_scan(txn, GN_DB_REF, prefix, n, false, n, s_any_visit, &any);
    return any;
}

static int
s_collect_visit(const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    char k[512];
    if (klen >= sizeof k)
        return 0;
    memcpy(k, key, klen);
    k[klen] = 0;
    json_t *v = s_parse(val, vlen);
    if (!v)
        return GN_ESTORE;
    return json_object_set_new(arg, k, v) == 0 ? 0 : GN_ENOMEM;
}

int
gn_ref_collect(gn_txn_t *txn, const char *prefix, json_t **object)
{
    *object = json_object();
    if (!*object)
        return GN_ENOMEM;
    size_t n = strlen(prefix);
    int rc = gn_txn_scan(txn, GN_DB_REF, prefix, n, false, n, s_collect_visit, *object);
    if (rc != 0)
        json_decref(*object), *object = NULL;
    return rc;
}

const char *
gn_ref_severity_name(int severity)
{
    switch (severity) {
    case 2: return "major";
    case 3: return "emergency";
    default: return "general";
    }
}

static bool
s_holiday(json_t *holidays, int64_t t)
{
    time_t secs = (time_t) ((t + CST_MS) / 1000);
    struct tm tm;
    char day[16];
    gmtime_r(&secs, &tm);
    if (tm.tm_wday == 0 || tm.tm_wday == 6)
        return true;
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    size_t i;
    json_t *h;
    json_array_foreach(holidays, i, h)
        if (json_is_string(h) && strcmp(json_string_value(h), day) == 0)
            return true;
    return false;
}

int64_t
gn_ref_add_working_days(gn_txn_t *txn, int64_t from, unsigned n)
{
    json_t *holidays = NULL;
    if (gn_ref_get(txn, "calendar/holidays", &holidays) != 0 || !json_is_array(holidays)) {
        json_decref(holidays);
        holidays = json_array();
    }
    int64_t t = from;
    for (unsigned counted = 0; counted < n;) {
        t += DAY_MS;
        if (!s_holiday(holidays, t))
            counted++;
    }
    json_decref(holidays);
    return t;
}

int
gn_ref_deadline(gn_txn_t *txn, const char *category, int severity, bool accept,
                int64_t from, int64_t *due)
{
    char key[400];
    json_t *rule = NULL;
    *due = 0;
    snprintf(key, sizeof key, "deadline/%s/%s", category, gn_ref_severity_name(severity));
    int rc = gn_ref_get(txn, key, &rule);
    if (rc == GN_ENOTFOUND) {
        snprintf(key, sizeof key, "deadline/*/%s", gn_ref_severity_name(severity));
        rc = gn_ref_get(txn, key, &rule);
    }
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    if (accept) {
        json_t *h = json_object_get(rule, "accept_h");
        if (json_is_number(h))
            *due = from + (int64_t) (json_number_value(h) * HOUR_MS);
    }
    else {
        json_t *days = json_object_get(rule, "handle_days");
        json_t *h = json_object_get(rule, "handle_h");
        if (json_is_integer(days) && json_integer_value(days) > 0
            && json_is_true(json_object_get(rule, "working_days")))
            *due = gn_ref_add_working_days(txn, from, (unsigned) json_integer_value(days));
        else if (json_is_integer(days) && json_integer_value(days) > 0)
            *due = from + json_integer_value(days) * DAY_MS;
        else if (json_is_number(h))
            *due = from + (int64_t) (json_number_value(h) * HOUR_MS);
    }
    json_decref(rule);
    return GN_OK;
}

int
gn_ref_escalate_after(gn_txn_t *txn, int64_t *ms)
{
    json_t *rule = NULL;
    *ms = 0;
    int rc = gn_ref_get(txn, "policy/escalate", &rule);
    if (rc == GN_ENOTFOUND)
        return GN_OK;
    if (rc != 0)
        return rc;
    json_t *h = json_object_get(rule, "after_h");
    if (json_is_number(h) && json_number_value(h) > 0)
        *ms = (int64_t) (json_number_value(h) * HOUR_MS);
    json_decref(rule);
    return GN_OK;
}

int64_t
gn_ref_reward(gn_txn_t *txn, const char *rule)
{
    char key[64];
    json_t *v = NULL;
    snprintf(key, sizeof key, "reward/%s", rule);
    if (gn_ref_get(txn, key, &v) != 0)
        return 0;
    json_t *fen = json_object_get(v, "fen");
    int64_t amount = json_is_integer(fen) ? json_integer_value(fen) : 0;
    json_decref(v);
    return amount;
}
