/*  api.h -- requests from clients on the node's API socket (ROUTER).

    Frames: [routing id][packed ApiRequest] in, [routing id][packed ApiReply]
    out. Every request gets exactly one reply with the request's id.

    Group commit: the requests waiting on the socket are taken together;
    every write among them runs in ONE transaction, and the replies go out
    only after it is on disk (I4). Reads run after the commit, so a client
    sees its own writes.  */
#ifndef GN_API_H
#define GN_API_H
#include "codec.h"
#include "crypto.h"
#include "linksec.h"
#include "metrics.h"
#include "store.h"

#include <czmq.h>

typedef struct _gn_api_t gn_api_t;

//  Fills the node-wide part of a status reply (links, cursors); the api
//  fills the store counters itself.
typedef int (gn_status_fn)(void *arg, Gridnet__NodeStatus *st);
typedef void (gn_status_free_fn)(void *arg, Gridnet__NodeStatus *st);

//  Caller owns the result; store and signer stay owned by the caller.
//  signer seals every group of writes (NULL: insecure, unsigned); linksec
//  gives the registry an audit checks seals against.
gn_api_t *gn_api_new(gn_store_t *store, uint64_t self, uint64_t incarnation,
                     gn_sigkey_t *signer, gn_linksec_t *linksec, gn_status_fn *status,
                     gn_status_free_fn *status_free, void *status_arg);

//  Require a session for every request but login (api/auth). Without it the
//  API socket is the node's console: requests act as a local operator, or
//  as the --actor they name.
void gn_api_require_login(gn_api_t *self, bool on);

//  Record commit latencies in metrics and render it for a MetricsReq
//  (metrics stays the caller's; NULL: none).
void gn_api_set_metrics(gn_api_t *self, gn_metrics_t *metrics);

//  The in-process HTTP front's token (copied; "" or NULL: none): a request
//  carrying it is served as the console even with api/auth, but only for
//  the front's requests (report, show, ref get, status, metrics, case
//  query), and reporters' personal data stays sealed in its replies.
void gn_api_set_front_token(gn_api_t *self, const char *token);
void gn_api_destroy(gn_api_t **self_p);

//  Handle the requests waiting on router (up to a group's worth).
//  Returns the number handled.
int gn_api_on_requests(gn_api_t *self, zsock_t *router);
//  Send the replies of work done off the node's thread (an AUDIT) once it
//  is done; cheap when there is none. Call it often (every tick).
void gn_api_poll(gn_api_t *self, zsock_t *router);

#endif
