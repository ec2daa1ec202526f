/*  linksec.h -- CURVE on every inter-node link, with an allowlist (I8).

    A parent's ROUTER is a CURVE server whose ZAP authenticator (czmq zauth)
    is started before the bind and admits only the certificates of the
    node's children, copied from the registry into <data>/allow. A child's
    DEALER is a CURVE client that accepts only its parent's key. Every
    message from a child carries the key it authenticated with, and the node
    it claims must be the node the registry gives for that key.

    The registry is a directory of public certificates named by node code.
    On one host the nodes share it (the default <data>/../registry); across
    hosts the operator distributes it. It is re-read when it changes, so a
    new village needs no restart of its town.

    A node that cannot enforce this refuses to start, unless
    security/insecure = 1 (development only, and loudly logged).  */
#ifndef GN_LINKSEC_H
#define GN_LINKSEC_H
#include "config.h"
#include "keys.h"

#include <czmq.h>

typedef struct _gn_linksec_t gn_linksec_t;

//  Load (or, with security/autokeys, create) the node's keys, load the
//  registry and, for a node with children, start the authenticator.
//  NULL with a one-line reason in err if security cannot be enforced.
//  With security/insecure set returns an object that enforces nothing.
gn_linksec_t *gn_linksec_new(const gn_config_t *cfg, char *err, size_t errlen);
void gn_linksec_destroy(gn_linksec_t **self_p);

//  Make down a CURVE server behind the authenticator. Call before binding.
int gn_linksec_server(gn_linksec_t *self, zsock_t *down, char *err, size_t errlen);
//  Make up a CURVE client of the parent. Call before connecting.
int gn_linksec_client(gn_linksec_t *self, zsock_t *up, char *err, size_t errlen);

//  The node whose key a message authenticated with (user_id: the "User-Id"
//  property of the received frame); 0 if none or unknown, or when insecure.
uint64_t gn_linksec_node_of(gn_linksec_t *self, const char *user_id);
//  True when running with security/insecure.
bool gn_linksec_insecure(gn_linksec_t *self);

//  Re-read the registry and the allowlist if the directory changed.
void gn_linksec_refresh(gn_linksec_t *self);

//  The node's own keys (NULL when insecure).
gn_keys_t *gn_linksec_keys(gn_linksec_t *self);
//  The registry (NULL when insecure).
gn_registry_t *gn_linksec_registry(gn_linksec_t *self);
//  The directory the registry is read from (valid while self lives).
const char *gn_linksec_registry_dir(gn_linksec_t *self);
//  The district's personal-data key (NULL when insecure).
const uint8_t *gn_linksec_pii(gn_linksec_t *self);

#endif
