/*  crypto.h -- every cryptographic primitive gridnet uses, behind one small
    API. The only module that includes OpenSSL headers (DESIGN §9); OpenSSL
    errors are logged (gn_warn) and translated to GN_E* codes here.

    What is here and what it is for:
        SHA-256          hashing, and gn_chain_next() for the per-origin op
                         chain and the feed chain: next = SHA-256(prev || rec)
        Ed25519          a node signs its chain head once per batch; every
                         receiver verifies against the node registry (keys.h)
        AES-256-GCM      personal data at rest: nonce(12) || ct || tag(16)
        scrypt           operator passwords, as a self-describing string
        base64, random   so that no other module needs OpenSSL

    Functions return 0 (GN_OK) or a negative GN_E* code. GN_ECRYPTO means a
    check failed (bad signature, tampered ciphertext, wrong password) or
    OpenSSL failed (then the OpenSSL error is logged). All functions are
    thread-safe; a gn_sigkey_t may be shared by threads for sign and verify;
    a gn_sha256_t belongs to one thread at a time.  */
#ifndef GN_CRYPTO_H
#define GN_CRYPTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN_SHA256_LEN     32   // SHA-256 digest, bytes
#define GN_ED25519_KEYLEN 32   // raw Ed25519 private or public key, bytes
#define GN_ED25519_SIGLEN 64   // Ed25519 signature, bytes
#define GN_AEAD_KEYLEN    32   // AES-256-GCM key, bytes
#define GN_AEAD_NONCELEN  12   // GCM nonce, bytes (random per seal)
#define GN_AEAD_TAGLEN    16   // GCM tag, bytes
#define GN_AEAD_OVERHEAD  (GN_AEAD_NONCELEN + GN_AEAD_TAGLEN)

//  --- Random, memory --------------------------------------------------------

//  Fill buf with len bytes from OpenSSL's CSPRNG. 0 or GN_ECRYPTO.
int gn_random(void *buf, size_t len);
//  Zero len bytes at p in a way the compiler cannot elide (OPENSSL_cleanse).
void gn_cleanse(void *p, size_t len);
//  Compare len bytes in constant time: 0 if equal, non-zero otherwise.
int gn_memcmp_ct(const void *a, const void *b, size_t len);

//  --- SHA-256 ---------------------------------------------------------------

//  out = SHA-256(data[0..len)). data may be NULL when len is 0.
int gn_sha256(const void *data, size_t len, uint8_t out[GN_SHA256_LEN]);

//  out = SHA-256(prev || rec): the next link of a hash chain.
int gn_chain_next(const uint8_t prev[GN_SHA256_LEN], const void *rec, size_t len,
                  uint8_t out[GN_SHA256_LEN]);

//  Incremental hasher. Caller owns *self_p; destroy with gn_sha256_destroy.
typedef struct _gn_sha256_t gn_sha256_t;
int gn_sha256_new(gn_sha256_t **self_p);
void gn_sha256_destroy(gn_sha256_t **self_p);
int gn_sha256_update(gn_sha256_t *self, const void *data, size_t len);
//  Write the digest of everything updated so far and start over, so the
//  hasher can be reused for the next message.
int gn_sha256_final(gn_sha256_t *self, uint8_t out[GN_SHA256_LEN]);

//  --- Ed25519 signatures (EVP_PKEY_ED25519) --------------------------------

//  A key pair, or a public key only. Caller owns *self_p.
typedef struct _gn_sigkey_t gn_sigkey_t;
//  A fresh key pair.
int gn_sigkey_generate(gn_sigkey_t **self_p);
//  From the raw 32-byte private key (RFC 8032 "secret key"); the public key
//  is derived. GN_ECRYPTO if OpenSSL refuses it.
int gn_sigkey_from_private(gn_sigkey_t **self_p, const uint8_t priv[GN_ED25519_KEYLEN]);
//  From the raw 32-byte public key; such a key can verify, not sign.
int gn_sigkey_from_public(gn_sigkey_t **self_p, const uint8_t pub[GN_ED25519_KEYLEN]);
void gn_sigkey_destroy(gn_sigkey_t **self_p);
//  True if the key can sign.
bool gn_sigkey_has_private(const gn_sigkey_t *self);
//  The raw public key (always available; points into self, valid until
//  destroy).
const uint8_t *gn_sigkey_public(const gn_sigkey_t *self);
//  Export the raw private key. GN_EINVAL for a public-only key. Cleanse the
//  copy (gn_cleanse) when done with it.
int gn_sigkey_private(const gn_sigkey_t *self, uint8_t out[GN_ED25519_KEYLEN]);
//  sig = Ed25519 signature of msg (pure Ed25519, no prehash). GN_EINVAL for
//  a public-only key.
int gn_sign(gn_sigkey_t *self, const void *msg, size_t len, uint8_t sig[GN_ED25519_SIGLEN]);
//  0 if sig is a valid signature of msg under self, GN_ECRYPTO if not.
int gn_verify(gn_sigkey_t *self, const void *msg, size_t len,
              const uint8_t sig[GN_ED25519_SIGLEN]);

//  --- AES-256-GCM for personal data at rest --------------------------------
//  A sealed value is nonce(12) || ciphertext(len) || tag(16); the nonce is
//  random, so one key may seal up to about 2^32 values. aad (may be NULL when
//  aadlen is 0) binds the value to its context, e.g. the case key and the
//  field name, so that a sealed value cannot be moved to another field.

//  A fresh random data key.
int gn_aead_key_generate(uint8_t key[GN_AEAD_KEYLEN]);
//  Seal plain. On success *out is malloc'ed (caller frees with free()) and
//  *outlen = len + GN_AEAD_OVERHEAD. GN_ETOOBIG past INT_MAX bytes.
int gn_seal(const uint8_t key[GN_AEAD_KEYLEN], const void *plain, size_t len,
            const void *aad, size_t aadlen, uint8_t **out, size_t *outlen);
//  Open a sealed value. On success *out is malloc'ed (caller frees with
//  free()), holds *outlen bytes and one extra NUL so text can be used as a
//  C string. GN_ECRYPTO if the key, nonce, ciphertext, tag or aad differ
//  from the seal (nothing is returned then); GN_EINVAL if too short.
int gn_open(const uint8_t key[GN_AEAD_KEYLEN], const void *sealed, size_t len,
            const void *aad, size_t aadlen, uint8_t **out, size_t *outlen);

//  --- Passwords (scrypt, RFC 7914) ------------------------------------------
//  Stored as "scrypt$N$r$p$<base64 salt>$<base64 hash>" (16-byte salt,
//  32-byte hash, padded standard base64), so parameters can be raised later
//  while old hashes still verify.

typedef struct {
    uint64_t N;   // CPU/memory cost, a power of two >= 2; memory ~ 128 * N * r bytes
    uint32_t r;   // block size
    uint32_t p;   // parallelism
} gn_pw_params_t;

//  The default: N = 2^14, r = 8, p = 1 (16 MiB, about 55 ms on the dev box).
#define GN_PW_N_DEFAULT ((uint64_t) 1 << 14)
#define GN_PW_R_DEFAULT 8
#define GN_PW_P_DEFAULT 1
//  Longest encoded string gn_pw_hash produces, with its NUL.
#define GN_PW_ENCODED_MAX 128

//  Set the parameters gn_pw_hash uses when given NULL, for the process
//  (tests and benchmarks lower them). Call before starting threads.
//  GN_EINVAL if outside the limits gn_pw_verify accepts.
int gn_pw_set_default(const gn_pw_params_t *params);
//  Hash password with a fresh random salt into out (GN_PW_ENCODED_MAX bytes,
//  NUL-terminated). params NULL means the process default.
int gn_pw_hash(const char *password, const gn_pw_params_t *params,
               char out[GN_PW_ENCODED_MAX]);
//  0 if password matches encoded, GN_ECRYPTO if not, GN_EINVAL if encoded is
//  malformed or asks for more than 256 MiB or 2^22 N*r*p work. The
//  comparison runs in constant time.
int gn_pw_verify(const char *password, const char *encoded);

//  --- Base64 (RFC 4648 §4, standard alphabet, padded) ---------------------

//  Characters of the base64 text of len bytes, without the NUL.
#define GN_BASE64_LEN(len) (4 * (((size_t) (len) + 2) / 3))
//  Encode data into out (outsize >= GN_BASE64_LEN(len) + 1), NUL-terminated.
//  GN_ETOOBIG if out is too small or len passes INT_MAX / 4 * 3.
int gn_base64_encode(const void *data, size_t len, char *out, size_t outsize);
//  Decode exactly tlen characters of padded base64 into out (outsize bytes),
//  setting *outlen. Strict: no whitespace, padding only at the end, and the
//  text must be the canonical encoding of its bytes; GN_EINVAL otherwise,
//  GN_ETOOBIG if out is too small.
int gn_base64_decode(const char *text, size_t tlen, uint8_t *out, size_t outsize,
                     size_t *outlen);

#endif
