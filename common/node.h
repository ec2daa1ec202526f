/*  node.h -- a gridnet daemon as an object: sockets, one zloop, one tick.

    The same code runs every level; the node's code decides which links it
    has (a village has no children, the district no parent). A daemon's main
    is gn_node_main(); a test can run a node in-process with gn_node_actor.  */
#ifndef GN_NODE_H
#define GN_NODE_H
#include "config.h"

#include <czmq.h>

typedef struct _gn_node_t gn_node_t;

//  Open the store, bind and connect, write <data>/endpoints. NULL on
//  failure with a one-line reason in err. Caller owns the node.
gn_node_t *gn_node_new(const gn_config_t *cfg, char *err, size_t errlen);
void gn_node_destroy(gn_node_t **self_p);

//  Run until interrupted (SIGINT/SIGTERM) or, under an actor, $TERM.
int gn_node_run(gn_node_t *self);

//  zactor body: args is a gn_config_t*. Signals 0 on the pipe once ready
//  (-1 if the node could not start), then runs until $TERM.
void gn_node_actor(zsock_t *pipe, void *args);

//  The whole daemon: gridnet-<level> -c FILE [-s key=value]... [-e]
int gn_node_main(int argc, char **argv, int level);

#endif
