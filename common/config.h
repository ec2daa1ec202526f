/*  config.h -- node settings: one table with defaults and bounds, read from a
    zconfig file (ZPL, czmq's format). Every key is documented in the table in
    config.c and in deploy/example.cfg.  */
#ifndef GN_CONFIG_H
#define GN_CONFIG_H
#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t node;          // node/id: this node's 12-digit division code
    char data[512];         // node/data: data directory (LMDB env, keys, endpoints file)
    char log_level[16];     // node/log: error | warn | info | debug
    char api_bind[256];     // api/bind: client API endpoint (ROUTER)
    char pub_bind[256];     // pub/bind: change stream endpoint (PUB)
    char child_bind[256];   // sync/bind: endpoint children connect to (towns, district)
    char parent[256];       // sync/parent: parent's sync endpoint (villages, towns)
    uint32_t batch_ops;     // sync/batch: max entries per batch
    uint32_t window;        // sync/window: batches in flight per link
    uint32_t heartbeat_ms;  // sync/heartbeat: ping interval, ms; peer dead after 3 missed
    uint32_t startup_ms;    // sync/startup: at start, how long the API waits for the
                            //   parent to confirm our counters (I7), ms
    uint32_t snapshot;      // sync/snapshot: 1 = bring an empty child up by snapshot
    uint64_t map_mb;        // store/map: initial LMDB map size, MiB (grows on demand)
    uint32_t tick_ms;       // node/tick: periodic tick (deadlines, liveness), ms
    char keys[512];         // security/keys: this node's key directory ("" = <data>/keys)
    char registry[512];     // security/registry: public certificates of the nodes
                            //   ("" = <data>/../registry, shared by nodes on one host)
    uint32_t autokeys;      // security/autokeys: 1 = create missing keys at first start
                            //   and publish the public certificate in the registry
    uint32_t insecure;      // security/insecure: 1 = plain links (development only)
    char pii[512];          // security/pii: the district's personal-data key file
                            //   ("" = <registry>/../pii_secret)
    uint32_t auth;          // api/auth: 1 = every request but login needs a session
    char http_bind[256];    // http/bind: "host:port" of the HTTP front (Open311, /metrics);
                            //   "" = off; port 0 or * = ephemeral
    char http_keys[512];    // http/keys: api-key file ("" = <data>/http_keys)
    uint32_t http_max_body; // http/max_body: bytes of a request body at most
    char http_contact[256]; // http/contact: who runs this front (Open311 discovery)
    char http_tls_cert[512];    // http/tls_cert: PEM certificate chain ("" = plain HTTP)
    char http_tls_key[512];     // http/tls_key: its PEM private key, 0600
} gn_config_t;

//  Fill *cfg with defaults, then read `path` (NULL: defaults only) and check
//  bounds and that node/id fits `level` (0: any). On error returns GN_ECONFIG
//  and writes a one-line reason into err.
int gn_config_load(gn_config_t *cfg, const char *path, int level, char *err, size_t errlen);

//  Set one key by its path ("sync/window") from text, with the same checks.
int gn_config_set(gn_config_t *cfg, const char *key, const char *value, char *err, size_t errlen);

//  Print every key with its default and description, as a commented config.
void gn_config_print_example(FILE *out);

#endif
