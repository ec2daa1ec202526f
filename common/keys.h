/*  keys.h -- a node's key files, and the registry of other nodes' public keys.

    A node's key directory (by convention <data>/keys, GN_KEYS_SUBDIR) holds,
    for node code NODE (12 digits):

        NODE          0644  public certificate (czmq zcert, ZPL text): the CURVE
                            public key, and metadata "node" and
                            "ed25519-public" (base64 of the raw 32-byte key).
                            This is the file a parent puts in its registry.
        NODE_secret   0600  CURVE secret certificate (zcert: both keys, same
                            metadata)
        sign_secret   0600  Ed25519 private key: base64 of the raw 32 bytes
        data_secret   0600  AES-256-GCM key for personal data at rest: base64
                            of 32 bytes

    The text files may carry '#' comment lines; the one other line is the key.
    Every file is written atomically (temporary file, fsync, rename, fsync of
    the directory). Loading refuses a secret file that group or others may
    read (GN_EPERM, logging the file and "chmod 600 FILE"), a missing file
    (GN_ENOTFOUND), and a file of the wrong size, shape or keys, or whose
    keys do not belong together (GN_EINVAL).

    A registry directory holds the public certificates of other nodes, each
    named by its node code (files named otherwise are ignored). Its public
    certificates are plain zcert public files, so zauth's "CURVE" directory
    can be the same directory.  */
#ifndef GN_KEYS_H
#define GN_KEYS_H
#include "crypto.h"

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN_KEYS_SUBDIR   "keys"          // key directory under a node's data dir
#define GN_CURVE_TXT_LEN 40              // a CURVE key in Z85 text, without NUL

//  --- A node's own keys ------------------------------------------------------

typedef struct _gn_keys_t gn_keys_t;

//  Create dir (0700) if needed and write a fresh key set for node into it.
//  Refuses with GN_EEXIST if any of the four files exists, unless force.
//  Secret files are written first and the public certificate last.
int gn_keys_generate(const char *dir, uint64_t node, bool force);

//  Load node's key set from dir, checking file modes, sizes, and that the
//  files belong together (same node, CURVE secret matches public, Ed25519
//  private key matches the certificate's ed25519-public). Caller owns *self_p.
int gn_keys_load(gn_keys_t **self_p, const char *dir, uint64_t node);
//  Destroy, cleansing the data key.
void gn_keys_destroy(gn_keys_t **self_p);

//  The node the keys belong to.
uint64_t gn_keys_node(const gn_keys_t *self);
//  The CURVE key pair, for zcert_apply() on a client socket or the secret key
//  of a CURVE server. Owned by self, valid until gn_keys_destroy.
zcert_t *gn_keys_curve(gn_keys_t *self);
//  The CURVE public key as Z85 text (40 chars). Valid until destroy.
const char *gn_keys_curve_public_txt(gn_keys_t *self);
//  The Ed25519 key pair. Owned by self, valid until destroy.
gn_sigkey_t *gn_keys_sigkey(gn_keys_t *self);
//  The 32-byte data key (GN_AEAD_KEYLEN). Valid until destroy.
const uint8_t *gn_keys_data_key(const gn_keys_t *self);

//  Read the whole of path into buf (NUL-terminated, at most size - 1 bytes).
//  A secret file must be a regular file that only its owner can access
//  (GN_EPERM, logged with the chmod to run). GN_ENOTFOUND if it is missing.
int gn_keys_read_file(const char *path, bool secret, char *buf, size_t size, size_t *len);

//  --- A key shared by the nodes of a district ------------------------------

//  Load the 32-byte key in dir/name (a key text file, 0600), or with create,
//  make it first if it is missing. Personal data (reporters' phone and id
//  numbers) is sealed with it at the origin and travels sealed, so every
//  node that may show it needs the same key: on one host the nodes share
//  the file; across hosts the operator copies it, like the registry.
int gn_keys_shared(const char *dir, const char *name, bool create, uint8_t key[32]);

//  --- The node registry -----------------------------------------------------

typedef struct _gn_registry_t gn_registry_t;

//  Load every public certificate named by a node code in dir. Fails as a
//  whole (GN_EINVAL, naming the file) if one of them is malformed, is not
//  the node its name says, or shares its CURVE key with another node.
//  Caller owns *self_p.
int gn_registry_load(gn_registry_t **self_p, const char *dir);
void gn_registry_destroy(gn_registry_t **self_p);

//  Number of nodes, and the i-th node code in ascending order (0 <= i < size).
size_t gn_registry_size(const gn_registry_t *self);
uint64_t gn_registry_node_at(const gn_registry_t *self, size_t i);
//  A node's CURVE public key as Z85 text, NULL if the node is unknown.
//  Valid until gn_registry_destroy.
const char *gn_registry_curve_txt(const gn_registry_t *self, uint64_t node);
//  A node's Ed25519 public key for gn_verify, NULL if unknown. Owned by the
//  registry, valid until gn_registry_destroy.
gn_sigkey_t *gn_registry_sigkey(const gn_registry_t *self, uint64_t node);
//  The node whose CURVE public key is z85 (40 chars of Z85 text), 0 if none:
//  lets a daemon check that the node a peer claims is the one whose key it
//  authenticated with.
uint64_t gn_registry_node_of_curve(const gn_registry_t *self, const char *z85);

#endif
