/*  sse.h -- the pages' live events: the node's change stream as
    server-sent events (text/event-stream).

    One thread of its own (a czmq actor) subscribes to the node's PUB socket
    ([topic "op"|"conflict"][packed Op]), turns each case op into a small
    JSON event and appends it to a ring of the last SSE_RING events. Each
    stream is an MHD response whose reader runs on its connection's thread
    (http.c runs a thread per connection): it sends what the ring holds past
    the stream's position, or sleeps on the ring's condition variable until
    something comes, sending a keep-alive comment every SSE_KEEPALIVE_MS.
    A stream that falls more than the ring behind gets an event "reset"
    (the page reloads its figures) and goes on from the oldest event kept;
    so a slow page never grows the node's memory.

    Events, one per case op, in the order the node published them:
        id: <run>-<seq>
        event: change
        data: {"case","action","status","owner","level","node","actor",
               "time","version","category","title","grid","overdue",
               "conflict"}
    <run> changes with every start of the front; a page that reconnects
    with Last-Event-ID of this run and still in the ring resumes after it,
    otherwise it gets "reset" first. Reference-data ops and seals are not
    case changes and are left out.

    Streams are bounded (max_streams); gn_sse_stop ends every stream at
    once, so the HTTP threads can be joined when the node stops.  */
#ifndef GN_SSE_H
#define GN_SSE_H
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct _gn_sse_t gn_sse_t;

//  Asked at every keep-alive: false ends the stream (its session ended).
typedef bool (gn_sse_alive_fn)(void *arg, const char *who);

//  Subscribe to pub (the node's change stream endpoint) and start the
//  thread. alive/arg are kept for every stream. NULL with the reason in err.
//  Caller owns.
gn_sse_t *gn_sse_new(const char *pub, size_t max_streams, gn_sse_alive_fn *alive, void *arg,
                     char *err, size_t errlen);
//  End every stream now and refuse new ones (before MHD_stop_daemon).
void gn_sse_stop(gn_sse_t *self);
//  Stop the thread and free. Every stream must have ended (MHD stopped).
void gn_sse_destroy(gn_sse_t **self_p);

//  A new stream's response (the caller queues it, then destroys its
//  reference), for the session named who (copied; passed to alive), going
//  on after last_id (the Last-Event-ID header, or NULL). NULL if
//  max_streams are open, the front is stopping, or memory ran out; *full
//  says whether it was the bound.
struct MHD_Response *gn_sse_response(gn_sse_t *self, const char *who, const char *last_id,
                                     bool *full);

//  Streams open now.
size_t gn_sse_streams(gn_sse_t *self);

//  The event of a packed op as a JSON text (caller frees), or NULL if it is
//  no case change (or unreadable). Exposed for the unit test.
char *gn_sse_event_json(const void *op, size_t len, bool conflict);

#endif
