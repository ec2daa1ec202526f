/*  err.h -- gridnet error codes: one table, one strerror.
    Functions return 0 (GN_OK) on success or a negative GN_E* code. Errors of
    LMDB, ZeroMQ and OpenSSL are translated to these at their one wrapper.  */
#ifndef GN_ERR_H
#define GN_ERR_H

#define GN_ERRORS(X) \
    X(GN_OK,         0,  "ok") \
    X(GN_ENOTFOUND, -1,  "not found") \
    X(GN_EINVAL,    -2,  "invalid argument") \
    X(GN_EMALFORMED,-3,  "malformed message") \
    X(GN_ETOOBIG,   -4,  "too large") \
    X(GN_ENOMEM,    -5,  "out of memory") \
    X(GN_ESTORE,    -6,  "storage error") \
    X(GN_EMAPFULL,  -7,  "storage map full") \
    X(GN_EDISKFULL, -8,  "disk full") \
    X(GN_ENET,      -9,  "network error") \
    X(GN_ETIMEOUT,  -10, "timed out") \
    X(GN_ECONFIG,   -11, "bad configuration") \
    X(GN_ENOTOWNER, -12, "this node does not own the case") \
    X(GN_ESTATE,    -13, "action not allowed in the case's state") \
    X(GN_ESTALE,    -14, "stale: epoch or version does not follow") \
    X(GN_EDUP,      -15, "duplicate") \
    X(GN_ESCOPE,    -16, "outside this node's subtree") \
    X(GN_EPERM,     -17, "not permitted") \
    X(GN_ECRYPTO,   -18, "cryptographic failure") \
    X(GN_EIO,       -19, "input/output error") \
    X(GN_EEXIST,    -20, "already exists") \
    X(GN_ESESSION,  -21, "no valid session: log in")

typedef enum {
#define GN_ERR_ENUM(name, val, text) name = val,
    GN_ERRORS(GN_ERR_ENUM)
#undef GN_ERR_ENUM
} gn_err_t;

//  Static text for a gridnet error code; never NULL.
const char *gn_strerror(int code);

#endif
