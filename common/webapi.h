/*  webapi.h -- the pages people look at, and their JSON API, on the node's
    HTTP front (http.c routes them here): the command-center page (/center,
    at the district and the towns, for the node's subtree) and the grid
    worker's report form (/worker, at a village).

    Pages (plain HTML, CSS and JavaScript embedded at build time, see
    webasset.h): /  (a redirect: /center at the district and towns, /worker
    at a village), /center, /worker, /static/NAME. Served with ETag
    (If-None-Match gives 304), Cache-Control no-cache and a
    Content-Security-Policy of 'self' only.

    API (JSON bodies in and out, UTF-8; errors {"error": "..."}):
      POST /api/login          {user, password} -> the node's LoginReq; the
                               session goes in a cookie (HttpOnly,
                               SameSite=Strict); 401 for a wrong login
      POST /api/logout         ends the session
      GET  /api/me             who is logged in: user, name, role, grid, node
      GET  /api/summary        SummaryReq: counts by status, overdue and
                               supervised cases, open/overdue by village
      GET  /api/cases          cases, newest first (status=a,b category=C
                               mine=1 from=MS to=MS limit=N)
      GET  /api/cases/ID       a case with its full history and conflicts
      POST /api/cases          a report {grid, category, title, description,
                               severity, lat, lon, address, request_id}
                               through ReportReq as the session's user;
                               request_id makes retries safe (see below)
      GET  /api/meetings       joint meetings with their tasks' states
      GET  /api/ref/categories the categories with their departments
      GET  /api/divisions      towns, villages and grids of the node's area
      GET  /api/report         the monthly figures (MonthlyReq) for the
                               trends; from=YYYY-MM to=YYYY-MM
      GET  /api/events         server-sent events of the change stream
                               (sse.h)
    Every /api request but login needs a session and goes to the node with
    the session's token, so the node's roles apply and whatever is written
    is written by that user. A node that no longer knows the session makes
    the front forget it too (401: the page shows its login form again).

    Sessions: the node's token never leaves the front; the cookie holds a
    random id of the front's own (256 bits), mapped to the token, the user
    and the role, for SESSION_MS. POSTs must carry X-Gridnet: 1, an Origin
    (if any) of this host and no cross-site Sec-Fetch-Site, or get 403.

    Retries: a POST /api/cases with a request_id (8..64 of [A-Za-z0-9_-])
    is remembered with its answer for IDEM_MS per user. A retry of one that
    succeeded gets the same case id ("replayed": true); one that arrives
    while the first is still at the node waits for it. If the node did not
    answer the first in time, the retry looks among the user's recent cases
    for the same grid, category and description before reporting again.
    The memory is the front's: a node restarted between the two attempts
    forgets it.  */
#ifndef GN_WEBAPI_H
#define GN_WEBAPI_H
#include "client.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _gn_webapi_t gn_webapi_t;

//  Counts a response by its status (the front's /metrics).
typedef void (gn_webapi_count_fn)(void *arg, unsigned status);

typedef struct {
    uint64_t node;              // this node's code
    gn_clientpool_t *pool;      // API clients of the node (borrowed; outlives the webapi)
    const char *pub;            // the node's change stream, for /api/events
    size_t max_body;            // bytes of a request body at most
    gn_webapi_count_fn *count;  // responses by status, or NULL
    void *count_arg;
    bool tls;                   // served over HTTPS: Secure cookies, https origins
} gn_webapi_opts_t;

//  Caller owns; NULL with the reason in err. Starts the live events'
//  thread (sse.h): call it with the node's signals blocked.
gn_webapi_t *gn_webapi_new(const gn_webapi_opts_t *opts, char *err, size_t errlen);
//  End the live streams (before MHD_stop_daemon joins their threads).
void gn_webapi_stop(gn_webapi_t *self);
void gn_webapi_destroy(gn_webapi_t **self_p);

//  True for the paths served here: /, /center, /worker, /static/..., /api/...
bool gn_webapi_owns(const char *url);

//  MHD's access handler for those paths; *state is the request's own
//  (NULL at first), freed by gn_webapi_completed.
enum MHD_Result gn_webapi_access(gn_webapi_t *self, struct MHD_Connection *conn,
                                 const char *url, const char *method, const char *upload_data,
                                 size_t *upload_data_size, void **state);
void gn_webapi_completed(void **state);

#endif
