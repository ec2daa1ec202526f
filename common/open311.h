/*  open311.h -- Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2)
    over gridnet: what the HTTP front (http.c) says, without the HTTP.

    Mapping:
      service            a category of the reference data: service_code and
                         service_name are its name (category/<name>), group
                         its department's name, description its name_en
      service request    a case; service_request_id is the case id
      status             open: reported, accepted, dispatched, handled;
                         closed: verified, archived, evaluated, rejected.
                         The finer status is extended_attributes.status, and
                         status_notes carries the handling result or the
                         reason of a rejection
      address_id         the grid code (<village code>-NNN): the location unit
                         the grid system files cases under
      media_url          Case.evidence (the report's, then the handler's)
      extensions=true    adds extended_attributes (status, severity, channel,
                         title, grid, owner, level, overdue, ...) and notes
                         (the case's history: datetime, type, description),
                         as in the GeoReport v2 extensions of Chicago, Boston
                         and San Francisco

    Documents are built as jansson values in the JSON form of the spec (the
    Spark convention); gn_open311_render writes them as JSON or, with
    libxml2's writer, as the spec's XML.

    Times: w3c datetimes; written in China Standard Time (+08:00).  */
#ifndef GN_OPEN311_H
#define GN_OPEN311_H
#include "codec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN_OPEN311_SPEC "http://wiki.open311.org/GeoReport_v2"
#define GN_OPEN311_DAY_MS (24LL * 3600 * 1000)

typedef enum { GN_O311_XML, GN_O311_JSON } gn_o311_format_t;

//  ---- parameters of a request (query string or form body) ----------------

typedef struct {
    char *key;                  // NUL-terminated
    char *value;                // NUL-terminated; vlen bytes (a NUL inside is caught by check)
    size_t vlen;                // bytes of value
} gn_param_t;

typedef struct {
    gn_param_t *items;          // in the order received
    size_t n, cap;              // used, allocated
} gn_params_t;

//  Add key=value (copied; value of vlen bytes). 0 or GN_ENOMEM.
int gn_params_add(gn_params_t *p, const char *key, const char *value, size_t vlen);
//  Append more bytes to the value of the last parameter (a value that
//  arrives in pieces). 0 or GN_ENOMEM.
int gn_params_append(gn_params_t *p, const char *more, size_t len);
//  The value of key: NULL if absent or empty (the spec's "optional": empty
//  is the same as absent). *count (may be NULL) receives how many times key
//  was given, empty ones included.
const char *gn_params_get(const gn_params_t *p, const char *key, size_t *count);
void gn_params_free(gn_params_t *p);

//  Every key and value is valid UTF-8 without NUL or control characters
//  (values may hold tab, CR and LF). 0, or an HTTP status (400) with the
//  reason in err.
int gn_params_check(const gn_params_t *p, char *err, size_t errlen);

//  ---- requests -----------------------------------------------------------

//  The optional jurisdiction_id must be this node's code: 0, or 404.
int gn_open311_jurisdiction(const gn_params_t *p, uint64_t node, char *err, size_t errlen);

//  What a POST service request becomes: a ReportReq through the node's
//  normal path. Its strings point into the params or into the buffers here.
typedef struct {
    Gridnet__ReportReq req;     // the report to send
    Gridnet__Reporter reporter; // req.reporter
    char grid[32];              // req.grid when not given as address_id
    char title[GN_FIELD_MAX + 1];   // req.title
    char name[GN_FIELD_MAX + 1];    // reporter.name from first_name, last_name
} gn_open311_report_t;

//  Check a POST's parameters (api_key and jurisdiction_id are the caller's)
//  against the categories known (the object of a RefGet "category/") and
//  fill out for node; channel is the api key's. 0, or an HTTP status (400,
//  404) with the reason in err. The strings of out live as long as p.
int gn_open311_report(const gn_params_t *p, const json_t *categories, uint64_t node,
                      int channel, gn_open311_report_t *out, char *err, size_t errlen);

//  The filters of GET requests as a CaseQueryReq, now in ms. Arrays are
//  malloc'd, and so are their strings: release with gn_open311_query_free. 0,
//  or 400 with the reason in err. *none is set when service_request_id
//  names only ids that cannot exist: the answer is then empty.
int gn_open311_query(const gn_params_t *p, int64_t now, Gridnet__CaseQueryReq *q, bool *none,
                     char *err, size_t errlen);
void gn_open311_query_free(Gridnet__CaseQueryReq *q);

//  extensions=true asked for.
bool gn_open311_extensions(const gn_params_t *p);

//  ---- documents (caller owns each; NULL if memory ran out) ---------------

//  ref: an object with the category/ and department/ keys of the reference data.
json_t *gn_open311_services(const json_t *ref);
//  NULL with *found false if code is not a category of ref.
json_t *gn_open311_definition(const json_t *ref, const char *code, bool *found);
//  One request. view (NULL: none) gives the history for the notes, which
//  come only with extensions.
json_t *gn_open311_request(const gn_case_t *c, const json_t *ref, const Gridnet__CaseView *view,
                           bool extensions);
//  The reply to a POST: [{service_request_id, service_notice, account_id}].
//  c: the new case, if it could be read back (NULL: a plain notice).
json_t *gn_open311_created(const char *case_id, const gn_case_t *c, const char *account_id);
//  [{code, description}]
json_t *gn_open311_error(int code, const char *description);
//  The discovery document; url is the endpoint's base URL.
json_t *gn_open311_discovery(const char *url, const char *changeset, const char *contact);

//  The XML root of a document: "services", "service_definition",
//  "service_requests", "errors", "discovery".
//  Write doc as JSON or as XML under root (arrays: one element per item,
//  named after the array: services/service, service_requests/request, ...).
//  *body is malloc'd and the caller's. 0 or GN_ENOMEM / GN_EINVAL.
int gn_open311_render(const json_t *doc, const char *root, gn_o311_format_t fmt, char **body,
                      size_t *len);

//  ---- status and time ----------------------------------------------------

//  "open" or "closed" for a Gridnet__Status.
const char *gn_open311_status(int status);
//  A w3c datetime with seconds (fractions allowed) and a zone (Z or +hh:mm;
//  a space for '+', as a query string decodes it): 0 and *ms, or GN_EINVAL.
int gn_open311_time_parse(const char *text, int64_t *ms);
//  ms as a w3c datetime in China Standard Time: 2026-05-12T08:30:00+08:00.
void gn_open311_time_format(int64_t ms, char out[32]);

#endif
