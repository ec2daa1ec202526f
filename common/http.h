/*  http.h -- the node's HTTP front: Open311 GeoReport v2 for citizens' front
    ends and city systems, and /metrics for Prometheus.

    It runs inside the node process on libmicrohttpd's own threads and never
    touches the store: every request becomes ApiRequests on the node's API
    socket (an inproc endpoint), through the same client code as gridctl,
    so a POST creates its case through the node's normal path (ReportReq,
    group commit) and reads see what the node's thread committed. Requests
    carry the front's token (gn_api_set_front_token), which limits them to
    the front's requests and keeps reporters' personal data sealed.

    Resources (FMT is xml or json; HEAD works wherever GET does):
      GET  /open311/discovery.FMT              service discovery
      GET  /open311/v2/services.FMT            categories as services
      GET  /open311/v2/services/CODE.FMT       service definition (attributes)
      POST /open311/v2/requests.FMT            new case (api_key required)
      GET  /open311/v2/requests.FMT            cases: service_request_id, service_code,
                                               start_date, end_date, status, extensions
      GET  /open311/v2/requests/ID.FMT         one case (extensions=true: notes)
      GET  /open311/v2/tokens/TOKEN.FMT        404: requests here are realtime
      GET  /metrics                            Prometheus text format 0.0.4
      /, /center, /worker, /static/NAME, /api/NAME   the pages and their API (webapi.h)

    Errors are the spec's bodies ([{"code","description"}] / <errors>) in
    the format the path asks for (XML otherwise) with the status as code:
    400 bad or missing parameter (and bad UTF-8, bad numbers), 403 missing
    or wrong api_key, 404 unknown resource, service, request or jurisdiction,
    405 wrong method, 413 body larger than http/max_body, 415 a POST body
    that is not application/x-www-form-urlencoded (or application/json;
    charset utf-8 if given), 500 the front itself failed. A node that does
    not answer in time is the spec's "general service error", 400.

    API keys (http/keys): one a line, "KEY CHANNEL NAME...", '#' comments;
    KEY 16..128 printable ASCII characters, CHANNEL a Channel name (wechat,
    app, web, hotline, ...) that cases POSTed with the key get. The file
    must be 0600 (like every secret); it is read again when it changes. A
    file that cannot be read, or that others may read, leaves no valid key:
    every POST is then refused with 403.  */
#ifndef GN_HTTP_H
#define GN_HTTP_H
#include <stddef.h>
#include <stdint.h>

typedef struct _gn_http_t gn_http_t;

typedef struct {
    uint64_t node;              // this node's code (the Open311 jurisdiction_id)
    const char *bind;           // "host:port"; port 0 or * = ephemeral
    const char *keys;           // the api-key file
    size_t max_body;            // bytes of a request body at most
    const char *contact;        // discovery's contact; NULL or "" = a default
    const char *api;            // the node's API endpoint
    const char *token;          // the front's token (see gn_api_set_front_token)
    const char *pub;            // the node's change stream (PUB), for the pages' live events
    const char *tls_cert;       // PEM certificate chain file: HTTPS; NULL or "" = plain HTTP
    const char *tls_key;        // its private key file (0600), with tls_cert
} gn_http_opts_t;

//  Bind and start serving (the strings are copied). NULL with a one-line
//  reason in err if it cannot. Caller owns the result.
gn_http_t *gn_http_new(const gn_http_opts_t *opts, char *err, size_t errlen);
//  Stop serving: ends the pages' live streams at once, waits for the other
//  requests in progress (each at most the API call timeout), then frees
//  everything.
void gn_http_destroy(gn_http_t **self_p);
//  The bound address as a URL base, "http://127.0.0.1:8080" (https with a
//  certificate). Valid until
//  destroy.
const char *gn_http_url(const gn_http_t *self);

#endif
