/*  client.h -- the client library: how gridctl, tests and the HTTP front talk
    to a node's API socket. One DEALER, one request at a time, a deadline on
    every call.

    A node writes its bound endpoints to <data>/endpoints (a zconfig file with
    top-level keys api, pub, sync, pid), so a client can be pointed at either an
    endpoint or a data directory.  */
#ifndef GN_CLIENT_H
#define GN_CLIENT_H
#include "codec.h"

typedef struct _gn_client_t gn_client_t;

//  Connect to an API endpoint ("tcp://127.0.0.1:5555", "ipc://..."). Calls
//  fail with GN_ETIMEOUT after timeout_ms. Caller owns; NULL on bad endpoint.
gn_client_t *gn_client_new(const char *endpoint, int timeout_ms);
void gn_client_destroy(gn_client_t **self_p);

//  Send one request, wait for its reply. The request id is set by the call.
//  Returns 0 with *reply owned by the caller (its code may be an error the
//  node returned), or GN_ETIMEOUT / GN_ENET / GN_EMALFORMED with *reply NULL.
int gn_client_call(gn_client_t *self, gn_api_request_t *req, gn_api_reply_t **reply);

//  A pool of clients of one endpoint for threads that call the node now and
//  then (the HTTP front): a DEALER serves one call at a time, so a thread
//  takes one (an idle one, or a new one), calls, and gives it back. At most
//  `keep` idle clients are kept; more are destroyed when given back.
typedef struct _gn_clientpool_t gn_clientpool_t;
//  Caller owns; NULL if memory runs out. The endpoint is copied.
gn_clientpool_t *gn_clientpool_new(const char *endpoint, int timeout_ms, size_t keep);
//  Destroys the idle clients: every client taken must have been given back.
void gn_clientpool_destroy(gn_clientpool_t **self_p);
//  A client for this thread's call (the caller's until given back), or NULL.
gn_client_t *gn_clientpool_take(gn_clientpool_t *self);
//  Give a client back (NULL is fine); *client_p is NULLed.
void gn_clientpool_give(gn_clientpool_t *self, gn_client_t **client_p);

//  Read key ("api", "pub", "sync", "pid") from <dir>/endpoints into out.
int gn_endpoints_read(const char *dir, const char *key, char *out, size_t outlen);

#endif
