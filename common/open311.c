/*  open311.c -- Open311 GeoReport v2: parameters, mapping, JSON and XML.

    Every check here answers with the HTTP status the spec names (400 for a
    bad or missing parameter, 404 for an unknown service or jurisdiction)
    and a one-line reason, which the front puts in the spec's error body.
    XML is written with libxml2's xmlTextWriter, which escapes text; text
    that XML 1.0 cannot carry at all (C0 controls other than tab, LF, CR)
    is replaced by U+FFFD first, in one place (s_xml_text).  */
#include "open311.h"
#include "cases.h"
#include "err.h"
#include "ids.h"
#include "pbjson.h"

#include <libxml/xmlwriter.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CST_OFFSET_S (8 * 3600)     // China Standard Time, no daylight saving
#define WINDOW_MS (90 * GN_OPEN311_DAY_MS)  // the spec's default and largest span
#define TITLE_CHARS 40              // characters of a title made from a description
#define DESCRIPTION_MAX GN_TEXT_MAX // bytes of a description (the spec: 4000 characters)

#define ST(x) GRIDNET__STATUS__ST_##x

static int
s_bad(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
s_bad(char *err, size_t errlen, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return status;
}

//  ---- parameters -----------------------------------------------------------

int
gn_params_add(gn_params_t *p, const char *key, const char *value, size_t vlen)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        gn_param_t *grown = realloc(p->items, cap * sizeof *grown);
        if (!grown)
            return GN_ENOMEM;
        p->items = grown;
        p->cap = cap;
    }
    gn_param_t *it = &p->items[p->n];
    it->key = strdup(key ? key : "");
    it->value = malloc(vlen + 1);
    if (!it->key || !it->value) {
        free(it->key);
        free(it->value);
        return GN_ENOMEM;
    }
    if (vlen)
        memcpy(it->value, value, vlen);
    it->value[vlen] = 0;
    it->vlen = vlen;
    p->n++;
    return GN_OK;
}

int
gn_params_append(gn_params_t *p, const char *more, size_t len)
{
    if (p->n == 0)
        return GN_EINVAL;
    gn_param_t *it = &p->items[p->n - 1];
    char *grown = realloc(it->value, it->vlen + len + 1);
    if (!grown)
        return GN_ENOMEM;
    memcpy(grown + it->vlen, more, len);
    it->vlen += len;
    grown[it->vlen] = 0;
    it->value = grown;
    return GN_OK;
}

const char *
gn_params_get(const gn_params_t *p, const char *key, size_t *count)
{
    const char *value = NULL;
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->items[i].key, key) == 0) {
            n++;
            if (!value && p->items[i].vlen > 0)
                value = p->items[i].value;
        }
    if (count)
        *count = n;
    return value;
}

void
gn_params_free(gn_params_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    p->items = NULL;
    p->n = p->cap = 0;
}

//  Valid UTF-8, no NUL, no C0 control or DEL (but tab, CR, LF when multiline).
static bool
s_text_ok(const char *s, size_t len, bool multiline)
{
    if (!gn_utf8_valid(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c == 0x7F || (c < 0x20 && !(multiline && (c == '\t' || c == '\r' || c == '\n'))))
            return false;
    }
    return true;
}

//  A key printable in an error message: its first 40 bytes, non-ASCII as '?'.
static const char *
s_printable(const char *key, char buf[48])
{
    size_t i = 0;
    for (; key[i] && i < 40; i++)
        buf[i] = key[i] >= 0x20 && key[i] < 0x7F ? key[i] : '?';
    buf[i] = 0;
    return buf;
}

int
gn_params_check(const gn_params_t *p, char *err, size_t errlen)
{
    char shown[48];
    for (size_t i = 0; i < p->n; i++) {
        const gn_param_t *it = &p->items[i];
        if (!s_text_ok(it->key, strlen(it->key), false))
            return s_bad(err, errlen, 400, "a parameter name is not valid UTF-8 text");
        if (!s_text_ok(it->value, it->vlen, true))
            return s_bad(err, errlen, 400,
                         "parameter %s is not valid UTF-8 text (or holds control characters)",
                         s_printable(it->key, shown));
    }
    return GN_OK;
}

//  ---- requests ---------------------------------------------------------------

int
gn_open311_jurisdiction(const gn_params_t *p, uint64_t node, char *err, size_t errlen)
{
    const char *j = gn_params_get(p, "jurisdiction_id", NULL);
    char mine[24];
    snprintf(mine, sizeof mine, "%012llu", (unsigned long long) node);
    if (j && strcmp(j, mine) != 0)
        return s_bad(err, errlen, 404, "jurisdiction_id not found: this endpoint serves %s",
                     mine);
    return GN_OK;
}

//  A single-valued parameter: at most once. 0 or 400.
static int
s_once(const gn_params_t *p, const char *key, const char **value, char *err, size_t errlen)
{
    size_t n;
    *value = gn_params_get(p, key, &n);
    if (n > 1)
        return s_bad(err, errlen, 400, "%s is given %zu times; give it once", key, n);
    return GN_OK;
}

//  A decimal number in [lo, hi], the whole text: 0, or 400.
static int
s_degrees(const char *text, const char *what, double lo, double hi, double *out, char *err,
          size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    bool plain = true;   // digits, sign, point, exponent: no hex, inf or nan spelled out
    for (const char *c = text; *c; c++)
        if (!isdigit((unsigned char) *c) && !strchr("+-.eE", *c))
            plain = false;
    if (!plain || end == text || *end || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return s_bad(err, errlen, 400, "%s must be a decimal number from %g to %g", what, lo, hi);
    *out = v;
    return GN_OK;
}

//  At most max bytes: 0, or 400.
static int
s_fits(const char *value, const char *what, size_t max, char *err, size_t errlen)
{
    if (value && strlen(value) > max)
        return s_bad(err, errlen, 400, "%s is longer than %zu bytes", what, max);
    return GN_OK;
}

static bool
s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s >= 0x80)
            return false;
    return true;
}

//  The first line of text, at most TITLE_CHARS characters, into out.
static void
s_title_from(const char *text, char *out, size_t outlen)
{
    size_t i = 0, chars = 0;
    while (text[i] && text[i] != '\n' && text[i] != '\r' && chars < TITLE_CHARS) {
        size_t step = 1;
        unsigned char c = (unsigned char) text[i];
        if (c >= 0xF0)
            step = 4;
        else if (c >= 0xE0)
            step = 3;
        else if (c >= 0xC0)
            step = 2;
        if (i + step >= outlen)
            break;
        i += step;
        chars++;
    }
    memcpy(out, text, i);
    out[i] = 0;
}

//  attribute[code] or attribute[code][]: the code, else NULL.
static const char *
s_attribute_code(const char *key, char *code, size_t codelen)
{
    if (strncmp(key, "attribute[", 10) != 0)
        return NULL;
    const char *start = key + 10, *close = strchr(start, ']');
    if (!close || (close[1] && strcmp(close + 1, "[]") != 0) || close == start
        || (size_t) (close - start) >= codelen)
        return "";
    memcpy(code, start, (size_t) (close - start));
    code[close - start] = 0;
    return code;
}

int
gn_open311_report(const gn_params_t *p, const json_t *categories, uint64_t node, int channel,
                  gn_open311_report_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    Gridnet__ReportReq *req = &out->req;
    gridnet__report_req__init(req);
    gridnet__reporter__init(&out->reporter);
    int rc;
    const char *code, *lat, *lon, *address, *address_id, *description, *media, *first, *last,
               *email, *account, *phone;
    if ((rc = s_once(p, "service_code", &code, err, errlen)) != 0
        || (rc = s_once(p, "lat", &lat, err, errlen)) != 0
        || (rc = s_once(p, "long", &lon, err, errlen)) != 0
        || (rc = s_once(p, "address_string", &address, err, errlen)) != 0
        || (rc = s_once(p, "address_id", &address_id, err, errlen)) != 0
        || (rc = s_once(p, "description", &description, err, errlen)) != 0
        || (rc = s_once(p, "media_url", &media, err, errlen)) != 0
        || (rc = s_once(p, "first_name", &first, err, errlen)) != 0
        || (rc = s_once(p, "last_name", &last, err, errlen)) != 0
        || (rc = s_once(p, "email", &email, err, errlen)) != 0
        || (rc = s_once(p, "account_id", &account, err, errlen)) != 0
        || (rc = s_once(p, "phone", &phone, err, errlen)) != 0)
        return rc;
    if (!code)
        return s_bad(err, errlen, 400, "service_code was not provided");
    char key[GN_FIELD_MAX + 16];
    snprintf(key, sizeof key, "category/%s", code);
    if (strlen(code) > GN_FIELD_MAX || !json_object_get(categories, key))
        return s_bad(err, errlen, 404, "service_code not found (see services.json)");
    req->category = (char *) code;

    //  Location: lat and long together, or address_string, or address_id.
    if ((lat == NULL) != (lon == NULL))
        return s_bad(err, errlen, 400, "lat and long go together: give both or neither");
    if (!lat && !address && !address_id)
        return s_bad(err, errlen, 400,
                     "a location is required: lat and long, or address_string, or address_id");
    if (lat && ((rc = s_degrees(lat, "lat", -90, 90, &req->lat, err, errlen)) != 0
                || (rc = s_degrees(lon, "long", -180, 180, &req->lon, err, errlen)) != 0))
        return rc;
    if ((rc = s_fits(address, "address_string", GN_FIELD_MAX, err, errlen)) != 0)
        return rc;
    req->address = (char *) address;
    if (address_id) {
        uint64_t village;
        unsigned serial;
        if (strlen(address_id) > GN_FIELD_MAX || gn_grid_parse(address_id, &village, &serial) != 0)
            return s_bad(err, errlen, 400,
                         "address_id must be a grid code: <village code>-NNN, e.g. %012llu-001",
                         (unsigned long long) (gn_node_level(node) == 3 ? node : 610403001001ULL));
        if (!gn_node_in_subtree(village, node))
            return s_bad(err, errlen, 400, "address_id %s is not a grid of %012llu's area",
                         address_id, (unsigned long long) node);
        req->grid = (char *) address_id;
    }
    else if (gn_node_level(node) == 3) {
        snprintf(out->grid, sizeof out->grid, "%012llu-001", (unsigned long long) node);
        req->grid = out->grid;   // the village files it; its operator knows the grids
    }
    else
        return s_bad(err, errlen, 400, "address_id (the grid code, <village code>-NNN) is "
                     "required at a town or district endpoint");

    //  Text.
    if ((rc = s_fits(description, "description", DESCRIPTION_MAX, err, errlen)) != 0
        || (rc = s_fits(media, "media_url", GN_FIELD_MAX, err, errlen)) != 0
        || (rc = s_fits(email, "email", GN_FIELD_MAX, err, errlen)) != 0
        || (rc = s_fits(account, "account_id", GN_FIELD_MAX, err, errlen)) != 0
        || (rc = s_fits(phone, "phone", GN_FIELD_MAX, err, errlen)) != 0)
        return rc;
    req->description = (char *) description;
    if (media && strncmp(media, "http://", 7) != 0 && strncmp(media, "https://", 8) != 0)
        return s_bad(err, errlen, 400, "media_url must be an http:// or https:// URL");
    if (media && strpbrk(media, " \t\r\n"))
        return s_bad(err, errlen, 400, "media_url must not hold white space");
    req->evidence = (char *) media;

    //  Attributes of the service definition.
    req->severity = GRIDNET__SEVERITY__SEV_GENERAL;
    const char *title = NULL;
    for (size_t i = 0; i < p->n; i++) {
        char attr[64];
        const char *a = s_attribute_code(p->items[i].key, attr, sizeof attr);
        if (!a)
            continue;
        const char *value = p->items[i].value;
        if (strcmp(a, "severity") == 0) {
            int sev;
            if (gn_pbjson_enum_parse(&gridnet__severity__descriptor, value, &sev) != 0 || sev == 0)
                return s_bad(err, errlen, 400,
                             "attribute[severity] must be general, major or emergency");
            req->severity = sev;
        }
        else if (strcmp(a, "title") == 0) {
            if (strchr(value, '\n') || strchr(value, '\r'))
                return s_bad(err, errlen, 400, "attribute[title] is one line");
            if ((rc = s_fits(value, "attribute[title]", GN_FIELD_MAX, err, errlen)) != 0)
                return rc;
            title = *value ? value : NULL;
        }
        else {
            char shown[48];
            return s_bad(err, errlen, 400, "%s is not an attribute of this service",
                         s_printable(p->items[i].key, shown));
        }
    }
    if (title)
        snprintf(out->title, sizeof out->title, "%s", title);
    else if (description)
        s_title_from(description, out->title, sizeof out->title);
    if (!out->title[0])
        snprintf(out->title, sizeof out->title, "%s", code);
    req->title = out->title;

    //  The reporter: a citizen, known by account_id (or email).
    out->reporter.kind = GRIDNET__REPORTER_KIND__RK_CITIZEN;
    out->reporter.id = (char *) (account ? account : email);
    out->reporter.phone = (char *) phone;
    int n = 0;
    if (first && last)   //  家 + 名 when either is Chinese, "First Last" otherwise
        n = s_ascii(first) && s_ascii(last)
          ? snprintf(out->name, sizeof out->name, "%s %s", first, last)
          : snprintf(out->name, sizeof out->name, "%s%s", last, first);
    else if (first || last)
        n = snprintf(out->name, sizeof out->name, "%s", first ? first : last);
    if (n < 0 || (size_t) n >= sizeof out->name)
        return s_bad(err, errlen, 400, "first_name and last_name are longer than %d bytes",
                     GN_FIELD_MAX);
    out->reporter.name = out->name;
    req->reporter = &out->reporter;
    req->channel = channel;
    return GN_OK;
}

//  Split every value of key at commas into a malloc'd array of malloc'd
//  strings (blank pieces skipped). 0, GN_ENOMEM, or GN_ETOOBIG past max.
static int
s_split(const gn_params_t *p, const char *key, size_t max, char ***out, size_t *n)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].key, key) != 0)
            continue;
        const char *s = p->items[i].value;
        while (*s) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t) (comma - s) : strlen(s);
            const char *a = s, *b = s + len;
            while (a < b && isspace((unsigned char) *a))
                a++;
            while (b > a && isspace((unsigned char) b[-1]))
                b--;
            if (b > a) {
                if (*n == max)
                    return GN_ETOOBIG;
                char **grown = realloc(*out, (*n + 1) * sizeof *grown);
                if (!grown)
                    return GN_ENOMEM;
                *out = grown;
                if (!(grown[*n] = strndup(a, (size_t) (b - a))))
                    return GN_ENOMEM;
                (*n)++;
            }
            s += len + (comma ? 1 : 0);
        }
    }
    return GN_OK;
}

static void
s_strings_free(char ***v, size_t *n)
{
    for (size_t i = 0; *v && i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

void
gn_open311_query_free(Gridnet__CaseQueryReq *q)
{
    s_strings_free(&q->ids, &q->n_ids);
    s_strings_free(&q->categories, &q->n_categories);
    free(q->statuses);
    q->statuses = NULL;
    q->n_statuses = 0;
}

static int
s_query_ids(const gn_params_t *p, Gridnet__CaseQueryReq *q, bool *none, char *err,
            size_t errlen)
{
    char **ids = NULL;
    size_t n = 0;
    int rc = s_split(p, "service_request_id", GN_QUERY_MAX, &ids, &n);
    if (rc == GN_ETOOBIG)
        rc = s_bad(err, errlen, 400, "service_request_id: at most %d ids", GN_QUERY_MAX);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        uint64_t origin, seq;
        if (strlen(ids[i]) <= GN_FIELD_MAX && gn_case_id_parse(ids[i], &origin, &seq) == 0) {
            q->ids = ids;
            ids[q->n_ids++] = ids[i];   // keep the ones that can exist, in order
        }
        else
            free(ids[i]);
    }
    if (rc != 0) {
        s_strings_free(&ids, &n);
        return rc;
    }
    if (q->n_ids == 0) {
        free(ids);
        *none = true;
    }
    return GN_OK;
}

int
gn_open311_query(const gn_params_t *p, int64_t now, Gridnet__CaseQueryReq *q, bool *none,
                 char *err, size_t errlen)
{
    gridnet__case_query_req__init(q);
    *none = false;
    int rc;
    q->limit = GN_QUERY_MAX;   // the spec: the first 1000 requests at most
    if (gn_params_get(p, "service_request_id", NULL))
        return s_query_ids(p, q, none, err, errlen);   // overrides all other arguments

    rc = s_split(p, "service_code", GN_QUERY_MAX, &q->categories, &q->n_categories);
    if (rc == GN_ETOOBIG)
        return s_bad(err, errlen, 400, "service_code: at most %d codes", GN_QUERY_MAX);
    for (size_t i = 0; rc == 0 && i < q->n_categories; i++)
        if (strlen(q->categories[i]) > GN_FIELD_MAX)
            return s_bad(err, errlen, 400, "service_code is longer than %d bytes", GN_FIELD_MAX);
    char **statuses = NULL;
    size_t nstatuses = 0;
    if (rc == 0)
        rc = s_split(p, "status", 8, &statuses, &nstatuses);
    bool open = false, closed = false;
    for (size_t i = 0; rc == 0 && i < nstatuses; i++) {
        if (strcmp(statuses[i], "open") == 0)
            open = true;
        else if (strcmp(statuses[i], "closed") == 0)
            closed = true;
        else
            rc = s_bad(err, errlen, 400, "status must be open or closed (comma-separated)");
    }
    if (rc == GN_ETOOBIG)
        rc = s_bad(err, errlen, 400, "status must be open or closed (comma-separated)");
    s_strings_free(&statuses, &nstatuses);
    if (rc == GN_ENOMEM)
        return rc;
    if (rc != 0)
        return rc;
    if (open != closed) {
        static const int opened[] = { ST(REPORTED), ST(ACCEPTED), ST(DISPATCHED), ST(HANDLED) };
        static const int done[] = { ST(VERIFIED), ST(ARCHIVED), ST(EVALUATED), ST(REJECTED) };
        q->statuses = malloc(4 * sizeof *q->statuses);
        if (!q->statuses)
            return GN_ENOMEM;
        for (int i = 0; i < 4; i++)
            q->statuses[i] = (Gridnet__Status) (open ? opened[i] : done[i]);
        q->n_statuses = 4;
    }

    //  Dates: at most 90 days; the most recent 90 days by default.
    const char *start, *end;
    if ((rc = s_once(p, "start_date", &start, err, errlen)) != 0
        || (rc = s_once(p, "end_date", &end, err, errlen)) != 0)
        return rc;
    int64_t from = 0, to = 0;
    if (start && gn_open311_time_parse(start, &from) != 0)
        return s_bad(err, errlen, 400, "start_date must be a w3c datetime with a zone, "
                     "e.g. 2026-05-01T00:00:00+08:00");
    if (end && gn_open311_time_parse(end, &to) != 0)
        return s_bad(err, errlen, 400, "end_date must be a w3c datetime with a zone, "
                     "e.g. 2026-05-31T23:59:59+08:00");
    if (!end)
        to = start ? from + WINDOW_MS : now;
    if (!start)
        from = to - WINDOW_MS;
    if (to < from)
        return s_bad(err, errlen, 400, "end_date is before start_date");
    if (to - from > WINDOW_MS)
        return s_bad(err, errlen, 400, "start_date to end_date may not span more than 90 days");
    q->created_from = from > 0 ? from : 1;
    q->created_to = to > 0 ? to : 1;
    return GN_OK;
}

bool
gn_open311_extensions(const gn_params_t *p)
{
    const char *e = gn_params_get(p, "extensions", NULL);
    return e && strcmp(e, "true") == 0;
}

//  ---- documents --------------------------------------------------------------

//  jansson's json_string refuses invalid UTF-8; everything here comes from
//  the codec, which let only valid UTF-8 through. "" and NULL become null.
static json_t *
s_str(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

//  obj[key] = value; false if either is missing. Takes value in any case
//  (json_object_set_new releases it when it fails), and so does
//  json_array_append_new: a value built in the call's arguments never leaks.
static bool
s_set(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0;
}

//  The text of ref[kind/name].field, or NULL.
static const char *
s_ref_text(const json_t *ref, const char *kind, const char *name, const char *field)
{
    if (!name || !*name)
        return NULL;
    char key[GN_FIELD_MAX + 32];
    snprintf(key, sizeof key, "%s/%s", kind, name);
    return json_string_value(json_object_get(json_object_get(ref, key), field));
}

//  The department (code) that handles a category.
static const char *
s_category_department(const json_t *ref, const char *category)
{
    return s_ref_text(ref, "category", category, "department");
}

static json_t *
s_service(const json_t *ref, const char *name, const json_t *value)
{
    json_t *svc = json_object();
    const char *dept = json_string_value(json_object_get(value, "department"));
    const char *dept_name = s_ref_text(ref, "department", dept, "name");
    const char *dept_en = s_ref_text(ref, "department", dept, "name_en");
    const char *name_en = json_string_value(json_object_get(value, "name_en"));
    char keywords[2 * GN_FIELD_MAX + 8] = "";
    if (name_en && dept_en && strcmp(name_en, dept_en) == 0)
        dept_en = NULL;   // said once is enough
    snprintf(keywords, sizeof keywords, "%s%s%s", name_en ? name_en : "",
             name_en && dept_en ? ", " : "", dept_en ? dept_en : "");
    bool ok = s_set(svc, "service_code", json_string(name))
           && s_set(svc, "service_name", json_string(name))
           && s_set(svc, "description", s_str(name_en ? name_en : name))
           && s_set(svc, "metadata", json_true())
           && s_set(svc, "type", json_string("realtime"))
           && s_set(svc, "keywords", s_str(keywords))
           && s_set(svc, "group", s_str(dept_name ? dept_name : dept));
    if (!ok)
        json_decref(svc);
    return ok ? svc : NULL;
}

json_t *
gn_open311_services(const json_t *ref)
{
    json_t *list = json_array();
    const char *key;
    json_t *value;
    json_object_foreach((json_t *) ref, key, value) {
        if (!list || strncmp(key, "category/", 9) != 0 || !key[9])
            continue;
        json_t *svc = s_service(ref, key + 9, value);
        if (!svc || json_array_append_new(list, svc) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *
s_value(const char *key, const char *name)
{
    json_t *v = json_object();
    if (s_set(v, "key", json_string(key)) && s_set(v, "name", json_string(name)))
        return v;
    json_decref(v);
    return NULL;
}

static json_t *
s_attribute(const char *code, const char *datatype, int order, const char *description,
            const char *datatype_description, json_t *values)
{
    json_t *a = json_object();
    bool ok = s_set(a, "variable", json_true())
           && s_set(a, "code", json_string(code))
           && s_set(a, "datatype", json_string(datatype))
           && s_set(a, "required", json_false())
           && s_set(a, "datatype_description", s_str(datatype_description))
           && s_set(a, "order", json_integer(order))
           && s_set(a, "description", json_string(description));
    if (values) {
        if (ok)
            ok = s_set(a, "values", values);
        else
            json_decref(values);
    }
    if (!ok) {
        json_decref(a);
        return NULL;
    }
    return a;
}

json_t *
gn_open311_definition(const json_t *ref, const char *code, bool *found)
{
    char key[GN_FIELD_MAX + 16];
    snprintf(key, sizeof key, "category/%s", code);
    *found = strlen(code) <= GN_FIELD_MAX && json_object_get(ref, key) != NULL;
    if (!*found)
        return NULL;
    json_t *values = json_array();
    bool ok = json_array_append_new(values, s_value("general", "一般 general")) == 0
           && json_array_append_new(values, s_value("major", "重大 major")) == 0
           && json_array_append_new(values,
                  s_value("emergency", "紧急 emergency: goes straight to the district")) == 0;
    if (!ok) {
        json_decref(values);
        values = NULL;
    }
    json_t *severity = ok ? s_attribute("severity", "singlevaluelist", 1,
                                        "事件等级 How serious is it? (general if not given)",
                                        NULL, values) : NULL;
    json_t *title = s_attribute("title", "string", 2,
                                "标题 A short title (the start of the description if not given)",
                                "one line, at most 256 bytes", NULL);
    json_t *attributes = json_array();
    ok = json_array_append_new(attributes, severity) == 0;
    ok = json_array_append_new(attributes, title) == 0 && ok;
    json_t *def = json_object();
    ok = ok && s_set(def, "service_code", json_string(code));
    if (ok)
        ok = s_set(def, "attributes", attributes);
    else
        json_decref(attributes);
    if (!ok) {
        json_decref(def);
        return NULL;
    }
    return def;
}

const char *
gn_open311_status(int status)
{
    switch (status) {
    case ST(VERIFIED):
    case ST(ARCHIVED):
    case ST(EVALUATED):
    case ST(REJECTED):
        return "closed";
    default:
        return "open";
    }
}

static json_t *
s_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char text[32];
    gn_open311_time_format(ms, text);
    return json_string(text);
}

static json_t *
s_enum(const ProtobufCEnumDescriptor *d, int value)
{
    char name[32];
    return json_string(gn_pbjson_enum_name(d, value, name, sizeof name));
}

static json_t *
s_node(uint64_t node)
{
    if (!node)
        return json_null();
    char text[24];
    snprintf(text, sizeof text, "%012llu", (unsigned long long) node);
    return json_string(text);
}

static json_t *
s_extended(const gn_case_t *c)
{
    json_t *x = json_object();
    bool ok = s_set(x, "status", s_enum(&gridnet__status__descriptor, c->status))
           && s_set(x, "severity", s_enum(&gridnet__severity__descriptor, c->severity))
           && s_set(x, "channel", s_enum(&gridnet__channel__descriptor, c->channel))
           && s_set(x, "title", s_str(c->title))
           && s_set(x, "grid", s_str(c->grid))
           && s_set(x, "origin", s_node(c->origin))
           && s_set(x, "owner", s_node(c->owner))
           && s_set(x, "level", json_integer(c->level))
           && s_set(x, "overdue", json_boolean(c->overdue))
           && s_set(x, "assignee", s_str(c->assignee))
           && s_set(x, "escalations", json_integer(c->escalations))
           && s_set(x, "reworks", json_integer(c->reworks))
           && s_set(x, "supervisions", json_integer(c->n_supervision))
           && s_set(x, "rating", c->rating ? json_integer(c->rating) : json_null())
           && s_set(x, "closed_datetime", s_time(c->closed));
    if (!ok)
        json_decref(x);
    return ok ? x : NULL;
}

//  The history as notes: one per op, oldest first.
static json_t *
s_notes(const Gridnet__CaseView *view)
{
    json_t *notes = json_array();
    for (size_t i = 0; notes && view && i < view->n_history; i++) {
        const Gridnet__Op *op = view->history[i];
        char type[32], text[GN_TEXT_MAX + 64];
        gn_pbjson_enum_name(&gridnet__action__descriptor, op->action, type, sizeof type);
        if (op->note && *op->note)
            snprintf(text, sizeof text, "%s", op->note);
        else
            snprintf(text, sizeof text, "%s at %012llu", type, (unsigned long long) op->origin);
        json_t *note = json_object();
        bool ok = s_set(note, "datetime", s_time(op->time))
               && s_set(note, "description", json_string(text))
               && s_set(note, "type", json_string(type))
               && s_set(note, "node", s_node(op->origin));
        if (!ok)
            json_decref(note);
        if (!ok || json_array_append_new(notes, note) != 0) {
            json_decref(notes);
            return NULL;
        }
    }
    return notes;
}

json_t *
gn_open311_request(const gn_case_t *c, const json_t *ref, const Gridnet__CaseView *view,
                   bool extensions)
{
    const char *agency = NULL;
    const char *dept = s_category_department(ref, c->category);
    if (s_ref_text(ref, "department", c->assignee, "name"))
        agency = s_ref_text(ref, "department", c->assignee, "name");
    else if (dept)
        agency = s_ref_text(ref, "department", dept, "name");
    const char *notes = c->status == ST(REJECTED) ? c->reason
                      : c->status == ST(HANDLED) || c->status == ST(VERIFIED)
                        || c->status == ST(ARCHIVED) || c->status == ST(EVALUATED) ? c->feedback
                      : c->reason;
    int64_t updated = c->closed && strcmp(gn_open311_status(c->status), "closed") == 0
                    ? c->closed : c->updated;
    bool place = c->lat != 0 || c->lon != 0;
    json_t *r = json_object();
    bool ok = s_set(r, "service_request_id", json_string(c->id))
           && s_set(r, "status", json_string(gn_open311_status(c->status)))
           && s_set(r, "status_notes", s_str(notes))
           && s_set(r, "service_name", s_str(c->category))
           && s_set(r, "service_code", s_str(c->category))
           && s_set(r, "description", s_str(c->description && *c->description
                                             ? c->description : c->title))
           && s_set(r, "agency_responsible", s_str(agency))
           && s_set(r, "service_notice", json_null())
           && s_set(r, "requested_datetime", s_time(c->created))
           && s_set(r, "updated_datetime", s_time(updated))
           && s_set(r, "expected_datetime", s_time(gn_case_due(c)))
           && s_set(r, "address", s_str(c->address))
           && s_set(r, "address_id", s_str(c->grid))
           && s_set(r, "zipcode", json_null())
           && s_set(r, "lat", place ? json_real(c->lat) : json_null())
           && s_set(r, "long", place ? json_real(c->lon) : json_null())
           && s_set(r, "media_url", s_str(c->evidence))
           && (!extensions || (s_set(r, "extended_attributes", s_extended(c))
                               && s_set(r, "notes", s_notes(view))));
    if (!ok)
        json_decref(r);
    return ok ? r : NULL;
}

json_t *
gn_open311_created(const char *case_id, const gn_case_t *c, const char *account_id)
{
    char notice[512];
    if (c && c->owner != c->origin && c->owner)
        snprintf(notice, sizeof notice, "已登记，编号 %s；紧急事件已直报区级平台 %012llu。"
                 " Registered as %s; as an emergency it went straight to the district.",
                 case_id, (unsigned long long) c->owner, case_id);
    else if (c && c->due_accept > 0) {
        char due[32];
        gn_open311_time_format(c->due_accept, due);
        snprintf(notice, sizeof notice, "已登记，编号 %s，将于 %s 前受理。"
                 " Registered as %s; it will be taken up by %s.", case_id, due, case_id, due);
    }
    else
        snprintf(notice, sizeof notice, "已登记，编号 %s。 Registered as %s.", case_id, case_id);
    json_t *r = json_object();
    bool ok = s_set(r, "service_request_id", json_string(case_id))
           && s_set(r, "service_notice", json_string(notice))
           && s_set(r, "account_id", s_str(account_id));
    if (!ok) {
        json_decref(r);
        return NULL;
    }
    json_t *list = json_array();
    if (json_array_append_new(list, r) != 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *
gn_open311_error(int code, const char *description)
{
    json_t *e = json_object();
    if (!s_set(e, "code", json_integer(code))
        || !s_set(e, "description", json_string(description ? description : ""))) {
        json_decref(e);
        return NULL;
    }
    json_t *list = json_array();
    if (json_array_append_new(list, e) != 0) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *
gn_open311_discovery(const char *url, const char *changeset, const char *contact)
{
    json_t *formats = json_array();
    bool ok = json_array_append_new(formats, json_string("text/xml")) == 0
           && json_array_append_new(formats, json_string("application/json")) == 0;
    json_t *endpoint = json_object();
    ok = ok && s_set(endpoint, "specification", json_string(GN_OPEN311_SPEC))
       && s_set(endpoint, "url", json_string(url))
       && s_set(endpoint, "changeset", json_string(changeset))
       && s_set(endpoint, "type", json_string("production"));
    if (ok)
        ok = s_set(endpoint, "formats", formats);
    else
        json_decref(formats);
    json_t *endpoints = json_array();
    if (ok)
        ok = json_array_append_new(endpoints, endpoint) == 0;
    else
        json_decref(endpoint);
    json_t *doc = json_object();
    ok = ok && s_set(doc, "changeset", json_string(changeset))
       && s_set(doc, "contact", json_string(contact))
       && s_set(doc, "key_service", json_string("POST requests need an api_key: ask the "
                                                "operators of this node for one (it names your "
                                                "channel)"));
    if (ok)
        ok = s_set(doc, "endpoints", endpoints);
    else
        json_decref(endpoints);
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

//  ---- rendering --------------------------------------------------------------

static const struct {
    const char *array;
    const char *item;
} s_items[] = {
    { "services", "service" }, { "service_requests", "request" }, { "errors", "error" },
    { "attributes", "attribute" }, { "values", "value" }, { "notes", "note" },
    { "endpoints", "endpoint" }, { "formats", "format" },
};

static const char *
s_item_name(const char *array)
{
    for (size_t i = 0; i < sizeof s_items / sizeof s_items[0]; i++)
        if (strcmp(s_items[i].array, array) == 0)
            return s_items[i].item;
    return "item";
}

//  Text as XML 1.0 may carry it: C0 controls but tab, LF and CR become
//  U+FFFD (the input is valid UTF-8: the codec and jansson checked it).
static int
s_xml_text(xmlTextWriterPtr w, const char *text)
{
    size_t len = strlen(text), extra = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            extra += 2;
    }
    if (extra == 0)
        return xmlTextWriterWriteString(w, (const xmlChar *) text);
    char *clean = malloc(len + extra + 1), *o = clean;
    if (!clean)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) text[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
        }
        else
            *o++ = (char) c;
    }
    *o = 0;
    int rc = xmlTextWriterWriteString(w, (const xmlChar *) clean);
    free(clean);
    return rc;
}

static int
s_xml_value(xmlTextWriterPtr w, const char *name, const json_t *v, int depth)
{
    if (depth > 16 || xmlTextWriterStartElement(w, (const xmlChar *) name) < 0)
        return -1;
    int rc = 0;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        json_object_foreach((json_t *) v, key, item)
            if (rc >= 0)
                rc = s_xml_value(w, key, item, depth + 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
            if (rc >= 0)
                rc = s_xml_value(w, s_item_name(name), item, depth + 1);
        break;
    }
    case JSON_STRING:
        rc = s_xml_text(w, json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        rc = xmlTextWriterWriteString(w, (const xmlChar *) num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.12g", json_real_value(v));
        rc = xmlTextWriterWriteString(w, (const xmlChar *) num);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        rc = xmlTextWriterWriteString(w, (const xmlChar *) (json_is_true(v) ? "true" : "false"));
        break;
    case JSON_NULL:
        break;   // an empty element, as the spec's <account_id/>
    }
    if (rc >= 0)
        rc = xmlTextWriterEndElement(w);
    return rc < 0 ? -1 : 0;
}

static int
s_render_xml(const json_t *doc, const char *root, char **body, size_t *len)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    int rc = w && xmlTextWriterSetIndent(w, 1) == 0
          && xmlTextWriterSetIndentString(w, (const xmlChar *) "  ") == 0
          && xmlTextWriterStartDocument(w, NULL, "utf-8", NULL) >= 0
          && s_xml_value(w, root, doc, 0) == 0
          && xmlTextWriterEndDocument(w) >= 0 ? GN_OK : GN_ENOMEM;
    if (w)
        xmlFreeTextWriter(w);   // flushes into buf
    if (rc == 0) {
        size_t n = (size_t) xmlBufferLength(buf);
        *body = malloc(n + 1);
        if (*body) {
            memcpy(*body, xmlBufferContent(buf), n);
            (*body)[n] = 0;
            *len = n;
        }
        else
            rc = GN_ENOMEM;
    }
    if (buf)
        xmlBufferFree(buf);
    return rc;
}

int
gn_open311_render(const json_t *doc, const char *root, gn_o311_format_t fmt, char **body,
                  size_t *len)
{
    if (!doc)
        return GN_EINVAL;
    if (fmt == GN_O311_XML)
        return s_render_xml(doc, root, body, len);
    *body = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);
    if (!*body)
        return GN_ENOMEM;
    *len = strlen(*body);
    return GN_OK;
}

//  ---- time -------------------------------------------------------------------

//  Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
static int64_t
s_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

//  n digits at *s into *v; advances s.
static bool
s_digits(const char **s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (!isdigit((unsigned char) **s))
            return false;
        *v = *v * 10 + (**s - '0');
    }
    return true;
}

int
gn_open311_time_parse(const char *text, int64_t *ms)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    const char *s = text;
    int y, mo, d, h, mi, sec = 0, tzh = 0, tzm = 0, frac = 0;
    if (!s_digits(&s, 4, &y) || *s++ != '-' || !s_digits(&s, 2, &mo) || *s++ != '-'
        || !s_digits(&s, 2, &d) || (*s != 'T' && *s != 't') || !(s++, s_digits(&s, 2, &h))
        || *s++ != ':' || !s_digits(&s, 2, &mi))
        return GN_EINVAL;
    if (*s == ':') {
        s++;
        if (!s_digits(&s, 2, &sec))
            return GN_EINVAL;
        if (*s == '.') {
            s++;
            int digits = 0;
            while (isdigit((unsigned char) *s)) {
                if (digits < 3)
                    frac = frac * 10 + (*s - '0');
                digits++;
                s++;
            }
            if (digits == 0 || digits > 9)
                return GN_EINVAL;
            for (; digits < 3; digits++)
                frac *= 10;
        }
    }
    int sign;
    if (*s == 'Z' || *s == 'z') {
        sign = 0;
        s++;
    }
    else if (*s == '+' || *s == ' ' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
        if (!s_digits(&s, 2, &tzh) || *s++ != ':' || !s_digits(&s, 2, &tzm))
            return GN_EINVAL;
    }
    else
        return GN_EINVAL;
    if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60
        || tzh > 14 || tzm > 59)
        return GN_EINVAL;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap ? 1 : 0))
        return GN_EINVAL;
    if (sec == 60)
        sec = 59;   // a leap second: the second before it
    int64_t t = s_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec
              - (int64_t) sign * (tzh * 3600 + tzm * 60);
    *ms = t * 1000 + frac;
    return GN_OK;
}

void
gn_open311_time_format(int64_t ms, char out[32])
{
    time_t t = (time_t) (ms / 1000) + CST_OFFSET_S;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(out, 32, "1970-01-01T08:00:00+08:00");
        return;
    }
    if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
        tm.tm_year = 9999 - 1900;
    char text[64];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, text, 31);   // 25 characters: the year was clamped to four digits
    out[31] = 0;
}
