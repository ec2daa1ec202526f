/*  crypto.c -- OpenSSL 3 EVP behind one small API (see crypto.h).

    Nothing here implements a primitive: hashing, signatures, AEAD, the KDF,
    base64 and randomness are all OpenSSL's. This file only checks lengths
    and return codes, owns the OpenSSL objects, and translates OpenSSL's
    error queue into a logged line and a GN_E* code.  */
#include "crypto.h"
#include "err.h"
#include "log.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN     16                          // scrypt salt we generate, bytes
#define SALT_MIN     8                           // shortest salt we accept, bytes
#define SALT_MAX     64                          // longest salt we accept, bytes
#define PW_HASH_LEN  32                          // scrypt output, bytes
#define PW_N_MAX     ((uint64_t) 1 << 20)        // largest N accepted
#define PW_R_MAX     32                          // largest r accepted
#define PW_P_MAX     16                          // largest p accepted
#define PW_MEM_MAX   ((uint64_t) 256 << 20)      // largest 128 * N * r accepted, bytes
#define PW_WORK_MAX  ((uint64_t) 1 << 22)        // largest N * r * p accepted
#define PW_PREFIX    "scrypt$"

struct _gn_sha256_t {
    EVP_MD_CTX *ctx;                   // digest context, initialised for SHA-256
};

struct _gn_sigkey_t {
    EVP_PKEY *pkey;                    // the Ed25519 key: a pair, or public only
    bool has_private;                  // true if pkey holds the private half
    uint8_t pub[GN_ED25519_KEYLEN];    // raw public key, cached at creation
};

static gn_pw_params_t s_pw_default = {
    GN_PW_N_DEFAULT, GN_PW_R_DEFAULT, GN_PW_P_DEFAULT
};

//  What we hand OpenSSL for an empty input given as NULL.
static const uint8_t s_empty[1] = { 0 };

//  Log and clear OpenSSL's error queue for this thread; GN_ECRYPTO.
static int
s_ossl_error(const char *what)
{
    unsigned long e;
    int count = 0;
    while ((e = ERR_get_error()) != 0) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        gn_warn("crypto: %s: %s", what, text);
        count++;
    }
    if (count == 0)
        gn_warn("crypto: %s failed", what);
    return GN_ECRYPTO;
}

//  --- Random, memory --------------------------------------------------------

int
gn_random(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        int chunk = len > INT_MAX ? INT_MAX : (int) len;
        if (RAND_bytes(p, chunk) != 1)
            return s_ossl_error("RAND_bytes");
        p += chunk;
        len -= (size_t) chunk;
    }
    return GN_OK;
}

void
gn_cleanse(void *p, size_t len)
{
    if (p)
        OPENSSL_cleanse(p, len);
}

int
gn_memcmp_ct(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len);
}

//  --- SHA-256 ---------------------------------------------------------------

//  SHA-256 fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
//  again at every use, which cost more than the hashing of a small op.
static EVP_MD *s_sha256_fetched;
static pthread_once_t s_sha256_once = PTHREAD_ONCE_INIT;

static void
s_sha256_fetch(void)
{
    s_sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
s_sha256_md(void)
{
    pthread_once(&s_sha256_once, s_sha256_fetch);
    return s_sha256_fetched ? s_sha256_fetched : EVP_sha256();
}

int
gn_sha256(const void *data, size_t len, uint8_t out[GN_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data ? data : s_empty, len, out, &n, s_sha256_md(), NULL) != 1
        || n != GN_SHA256_LEN)
        return s_ossl_error("sha256");
    return GN_OK;
}

int
gn_chain_next(const uint8_t prev[GN_SHA256_LEN], const void *rec, size_t len,
              uint8_t out[GN_SHA256_LEN])
{
    int rc = GN_OK;
    unsigned int n = 0;
    uint8_t digest[GN_SHA256_LEN];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return GN_ENOMEM;
    if (EVP_DigestInit_ex(ctx, s_sha256_md(), NULL) != 1
        || EVP_DigestUpdate(ctx, prev, GN_SHA256_LEN) != 1
        || EVP_DigestUpdate(ctx, rec ? rec : s_empty, len) != 1
        || EVP_DigestFinal_ex(ctx, digest, &n) != 1
        || n != GN_SHA256_LEN) {
        rc = s_ossl_error("chain_next");
        goto done;
    }
    memcpy(out, digest, GN_SHA256_LEN);   // out may alias prev
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}

int
gn_sha256_new(gn_sha256_t **self_p)
{
    *self_p = NULL;
    int rc = GN_OK;
    gn_sha256_t *self = calloc(1, sizeof *self);
    if (!self)
        return GN_ENOMEM;
    if (!(self->ctx = EVP_MD_CTX_new())) {
        rc = GN_ENOMEM;
        goto fail;
    }
    if (EVP_DigestInit_ex(self->ctx, s_sha256_md(), NULL) != 1) {
        rc = s_ossl_error("sha256 init");
        goto fail;
    }
    *self_p = self;
    return GN_OK;
fail:
    gn_sha256_destroy(&self);
    return rc;
}

void
gn_sha256_destroy(gn_sha256_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_sha256_t *self = *self_p;
    EVP_MD_CTX_free(self->ctx);
    free(self);
    *self_p = NULL;
}

int
gn_sha256_update(gn_sha256_t *self, const void *data, size_t len)
{
    if (EVP_DigestUpdate(self->ctx, data ? data : s_empty, len) != 1)
        return s_ossl_error("sha256 update");
    return GN_OK;
}

int
gn_sha256_final(gn_sha256_t *self, uint8_t out[GN_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(self->ctx, out, &n) != 1 || n != GN_SHA256_LEN)
        return s_ossl_error("sha256 final");
    if (EVP_DigestInit_ex(self->ctx, s_sha256_md(), NULL) != 1)
        return s_ossl_error("sha256 reinit");
    return GN_OK;
}

//  --- Ed25519 ---------------------------------------------------------------

//  Wrap pkey (consumed, also on failure) into a new key object.
static int
s_sigkey_wrap(gn_sigkey_t **self_p, EVP_PKEY **pkey_p, bool has_private)
{
    *self_p = NULL;
    int rc = GN_OK;
    gn_sigkey_t *self = calloc(1, sizeof *self);
    if (!self) {
        rc = GN_ENOMEM;
        goto fail;
    }
    self->pkey = *pkey_p;
    *pkey_p = NULL;
    self->has_private = has_private;
    size_t n = sizeof self->pub;
    if (EVP_PKEY_get_raw_public_key(self->pkey, self->pub, &n) != 1
        || n != GN_ED25519_KEYLEN) {
        rc = s_ossl_error("ed25519 public key");
        goto fail;
    }
    *self_p = self;
    return GN_OK;
fail:
    EVP_PKEY_free(*pkey_p);
    *pkey_p = NULL;
    gn_sigkey_destroy(&self);
    return rc;
}

int
gn_sigkey_generate(gn_sigkey_t **self_p)
{
    *self_p = NULL;
    int rc;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "ED25519", NULL);
    if (!ctx
        || EVP_PKEY_keygen_init(ctx) != 1
        || EVP_PKEY_generate(ctx, &pkey) != 1) {
        rc = s_ossl_error("ed25519 keygen");
        goto done;
    }
    rc = s_sigkey_wrap(self_p, &pkey, true);
done:
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

int
gn_sigkey_from_private(gn_sigkey_t **self_p, const uint8_t priv[GN_ED25519_KEYLEN])
{
    *self_p = NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL,
                                                     priv, GN_ED25519_KEYLEN);
    if (!pkey)
        return s_ossl_error("ed25519 private key");
    return s_sigkey_wrap(self_p, &pkey, true);
}

int
gn_sigkey_from_public(gn_sigkey_t **self_p, const uint8_t pub[GN_ED25519_KEYLEN])
{
    *self_p = NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL,
                                                    pub, GN_ED25519_KEYLEN);
    if (!pkey)
        return s_ossl_error("ed25519 public key");
    return s_sigkey_wrap(self_p, &pkey, false);
}

void
gn_sigkey_destroy(gn_sigkey_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_sigkey_t *self = *self_p;
    EVP_PKEY_free(self->pkey);   // clears the private key
    free(self);
    *self_p = NULL;
}

bool
gn_sigkey_has_private(const gn_sigkey_t *self)
{
    return self->has_private;
}

const uint8_t *
gn_sigkey_public(const gn_sigkey_t *self)
{
    return self->pub;
}

int
gn_sigkey_private(const gn_sigkey_t *self, uint8_t out[GN_ED25519_KEYLEN])
{
    if (!self->has_private)
        return GN_EINVAL;
    size_t n = GN_ED25519_KEYLEN;
    if (EVP_PKEY_get_raw_private_key(self->pkey, out, &n) != 1
        || n != GN_ED25519_KEYLEN) {
        gn_cleanse(out, GN_ED25519_KEYLEN);
        return s_ossl_error("ed25519 export");
    }
    return GN_OK;
}

int
gn_sign(gn_sigkey_t *self, const void *msg, size_t len, uint8_t sig[GN_ED25519_SIGLEN])
{
    if (!self->has_private)
        return GN_EINVAL;
    int rc = GN_OK;
    size_t n = GN_ED25519_SIGLEN;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return GN_ENOMEM;
    if (EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, self->pkey, NULL) != 1
        || EVP_DigestSign(ctx, sig, &n, msg ? msg : s_empty, len) != 1
        || n != GN_ED25519_SIGLEN)
        rc = s_ossl_error("ed25519 sign");
    EVP_MD_CTX_free(ctx);
    return rc;
}

int
gn_verify(gn_sigkey_t *self, const void *msg, size_t len,
          const uint8_t sig[GN_ED25519_SIGLEN])
{
    int rc = GN_OK;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return GN_ENOMEM;
    if (EVP_DigestVerifyInit_ex(ctx, NULL, NULL, NULL, NULL, self->pkey, NULL) != 1) {
        rc = s_ossl_error("ed25519 verify init");
        goto done;
    }
    int ok = EVP_DigestVerify(ctx, sig, GN_ED25519_SIGLEN, msg ? msg : s_empty, len);
    if (ok == 0) {                 //  a bad signature: the caller's to report
        ERR_clear_error();
        rc = GN_ECRYPTO;
    }
    else if (ok != 1)
        rc = s_ossl_error("ed25519 verify");
done:
    EVP_MD_CTX_free(ctx);
    return rc;
}

//  --- AES-256-GCM -----------------------------------------------------------

int
gn_aead_key_generate(uint8_t key[GN_AEAD_KEYLEN])
{
    return gn_random(key, GN_AEAD_KEYLEN);
}

int
gn_seal(const uint8_t key[GN_AEAD_KEYLEN], const void *plain, size_t len,
        const void *aad, size_t aadlen, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (len > (size_t) INT_MAX - GN_AEAD_OVERHEAD || aadlen > INT_MAX)
        return GN_ETOOBIG;
    int rc = GN_OK;
    int n = 0;
    uint8_t *buf = malloc(len + GN_AEAD_OVERHEAD);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!buf || !ctx) {
        rc = GN_ENOMEM;
        goto fail;
    }
    uint8_t *nonce = buf;
    uint8_t *ct = buf + GN_AEAD_NONCELEN;
    uint8_t *tag = ct + len;
    if ((rc = gn_random(nonce, GN_AEAD_NONCELEN)) != 0)
        goto fail;
    if (EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1
        || (aadlen > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aadlen) != 1)
        || (len > 0 && (EVP_EncryptUpdate(ctx, ct, &n, plain, (int) len) != 1
                        || n != (int) len))
        || EVP_EncryptFinal_ex(ctx, ct + len, &n) != 1
        || n != 0) {
        rc = s_ossl_error("aes-gcm seal");
        goto fail;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, GN_AEAD_TAGLEN),
        OSSL_PARAM_construct_end()
    };
    if (EVP_CIPHER_CTX_get_params(ctx, params) != 1) {
        rc = s_ossl_error("aes-gcm tag");
        goto fail;
    }
    EVP_CIPHER_CTX_free(ctx);
    *out = buf;
    *outlen = len + GN_AEAD_OVERHEAD;
    return GN_OK;
fail:
    EVP_CIPHER_CTX_free(ctx);
    free(buf);
    return rc;
}

int
gn_open(const uint8_t key[GN_AEAD_KEYLEN], const void *sealed, size_t len,
        const void *aad, size_t aadlen, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (len < GN_AEAD_OVERHEAD)
        return GN_EINVAL;
    size_t clen = len - GN_AEAD_OVERHEAD;
    if (clen > INT_MAX || aadlen > INT_MAX)
        return GN_ETOOBIG;
    int rc = GN_OK;
    int n = 0;
    const uint8_t *nonce = sealed;
    const uint8_t *ct = nonce + GN_AEAD_NONCELEN;
    uint8_t tag[GN_AEAD_TAGLEN];
    memcpy(tag, ct + clen, GN_AEAD_TAGLEN);
    uint8_t *buf = malloc(clen + 1);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!buf || !ctx) {
        rc = GN_ENOMEM;
        goto fail;
    }
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, GN_AEAD_TAGLEN),
        OSSL_PARAM_construct_end()
    };
    if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) != 1
        || EVP_CIPHER_CTX_set_params(ctx, params) != 1
        || (aadlen > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aadlen) != 1)
        || (clen > 0 && (EVP_DecryptUpdate(ctx, buf, &n, ct, (int) clen) != 1
                         || n != (int) clen))) {
        rc = s_ossl_error("aes-gcm open");
        goto fail;
    }
    if (EVP_DecryptFinal_ex(ctx, buf + clen, &n) != 1 || n != 0) {
        ERR_clear_error();         //  tag mismatch: tampered or wrong key/aad
        rc = GN_ECRYPTO;
        goto fail;
    }
    buf[clen] = 0;
    EVP_CIPHER_CTX_free(ctx);
    *out = buf;
    *outlen = clen;
    return GN_OK;
fail:
    EVP_CIPHER_CTX_free(ctx);
    if (buf) {
        gn_cleanse(buf, clen + 1);
        free(buf);
    }
    return rc;
}

//  --- Passwords -------------------------------------------------------------

static bool
s_pw_params_ok(const gn_pw_params_t *pp)
{
    if (pp->N < 2 || pp->N > PW_N_MAX || (pp->N & (pp->N - 1)) != 0)
        return false;
    if (pp->r < 1 || pp->r > PW_R_MAX || pp->p < 1 || pp->p > PW_P_MAX)
        return false;
    if (128 * pp->N * pp->r > PW_MEM_MAX)
        return false;
    return pp->N * pp->r * pp->p <= PW_WORK_MAX;
}

//  out = scrypt(password, salt) with params pp (already checked).
static int
s_scrypt(const char *password, const uint8_t *salt, size_t saltlen,
         const gn_pw_params_t *pp, uint8_t out[PW_HASH_LEN])
{
    int rc = GN_OK;
    uint64_t n = pp->N;
    uint32_t r = pp->r;
    uint32_t p = pp->p;
    uint64_t maxmem = PW_MEM_MAX + ((uint64_t) 1 << 20);   //  V plus B and slack
    EVP_KDF_CTX *ctx = NULL;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
    if (!kdf || !(ctx = EVP_KDF_CTX_new(kdf))) {
        rc = s_ossl_error("scrypt fetch");
        goto done;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                          (void *) password, strlen(password)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *) salt, saltlen),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end()
    };
    if (EVP_KDF_derive(ctx, out, PW_HASH_LEN, params) != 1)
        rc = s_ossl_error("scrypt derive");
done:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

int
gn_pw_set_default(const gn_pw_params_t *params)
{
    if (!params || !s_pw_params_ok(params))
        return GN_EINVAL;
    s_pw_default = *params;
    return GN_OK;
}

int
gn_pw_hash(const char *password, const gn_pw_params_t *params,
           char out[GN_PW_ENCODED_MAX])
{
    out[0] = 0;
    const gn_pw_params_t *pp = params ? params : &s_pw_default;
    if (!password || !s_pw_params_ok(pp))
        return GN_EINVAL;
    int rc;
    uint8_t salt[SALT_LEN];
    uint8_t hash[PW_HASH_LEN];
    char salt64[GN_BASE64_LEN(SALT_LEN) + 1];
    char hash64[GN_BASE64_LEN(PW_HASH_LEN) + 1];
    if ((rc = gn_random(salt, sizeof salt)) != 0
        || (rc = s_scrypt(password, salt, sizeof salt, pp, hash)) != 0
        || (rc = gn_base64_encode(salt, sizeof salt, salt64, sizeof salt64)) != 0
        || (rc = gn_base64_encode(hash, sizeof hash, hash64, sizeof hash64)) != 0)
        goto done;
    int n = snprintf(out, GN_PW_ENCODED_MAX, PW_PREFIX "%llu$%u$%u$%s$%s",
                     (unsigned long long) pp->N, pp->r, pp->p, salt64, hash64);
    if (n < 0 || n >= GN_PW_ENCODED_MAX) {
        out[0] = 0;
        rc = GN_ETOOBIG;
    }
done:
    gn_cleanse(hash, sizeof hash);
    gn_cleanse(hash64, sizeof hash64);
    return rc;
}

//  Parse text[0..len) as a decimal number of at most 10 digits.
static int
s_parse_num(const char *text, size_t len, uint64_t *value)
{
    if (len == 0 || len > 10)
        return GN_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return GN_EINVAL;
        v = v * 10 + (uint64_t) (text[i] - '0');
    }
    *value = v;
    return GN_OK;
}

int
gn_pw_verify(const char *password, const char *encoded)
{
    if (!password || !encoded)
        return GN_EINVAL;
    size_t plen = strlen(PW_PREFIX);
    if (strncmp(encoded, PW_PREFIX, plen) != 0 || strlen(encoded) >= GN_PW_ENCODED_MAX * 2)
        return GN_EINVAL;
    //  Five fields after the prefix: N, r, p, salt, hash.
    const char *field[5];
    size_t flen[5];
    const char *p = encoded + plen;
    for (int i = 0; i < 5; i++) {
        const char *end = strchr(p, '$');
        if ((i < 4) != (end != NULL))
            return GN_EINVAL;
        field[i] = p;
        flen[i] = end ? (size_t) (end - p) : strlen(p);
        p = end ? end + 1 : p + flen[i];
    }
    uint64_t n, r, par;
    if (s_parse_num(field[0], flen[0], &n) != 0
        || s_parse_num(field[1], flen[1], &r) != 0
        || s_parse_num(field[2], flen[2], &par) != 0
        || r > PW_R_MAX || par > PW_P_MAX)
        return GN_EINVAL;
    gn_pw_params_t pp = { n, (uint32_t) r, (uint32_t) par };
    if (!s_pw_params_ok(&pp))
        return GN_EINVAL;

    int rc;
    uint8_t salt[SALT_MAX];
    uint8_t stored[PW_HASH_LEN + 3];
    uint8_t derived[PW_HASH_LEN];
    size_t saltlen = 0, storedlen = 0;
    if (gn_base64_decode(field[3], flen[3], salt, sizeof salt, &saltlen) != 0
        || saltlen < SALT_MIN
        || gn_base64_decode(field[4], flen[4], stored, sizeof stored, &storedlen) != 0
        || storedlen != PW_HASH_LEN) {
        rc = GN_EINVAL;
        goto done;
    }
    if ((rc = s_scrypt(password, salt, saltlen, &pp, derived)) != 0)
        goto done;
    rc = CRYPTO_memcmp(derived, stored, PW_HASH_LEN) == 0 ? GN_OK : GN_ECRYPTO;
done:
    gn_cleanse(derived, sizeof derived);
    gn_cleanse(stored, sizeof stored);
    return rc;
}

//  --- Base64 ----------------------------------------------------------------

int
gn_base64_encode(const void *data, size_t len, char *out, size_t outsize)
{
    if (len > (size_t) INT_MAX / 4 * 3 - 3 || outsize < GN_BASE64_LEN(len) + 1)
        return GN_ETOOBIG;
    if (len == 0) {
        out[0] = 0;
        return GN_OK;
    }
    int n = EVP_EncodeBlock((unsigned char *) out, data, (int) len);
    if (n < 0 || (size_t) n != GN_BASE64_LEN(len))
        return s_ossl_error("base64 encode");
    return GN_OK;
}

int
gn_base64_decode(const char *text, size_t tlen, uint8_t *out, size_t outsize,
                 size_t *outlen)
{
    *outlen = 0;
    if (tlen == 0)
        return GN_OK;
    if (tlen % 4 != 0 || tlen > (size_t) INT_MAX / 4 * 3)
        return GN_EINVAL;
    size_t pad = 0;
    while (pad < tlen && pad < 3 && text[tlen - 1 - pad] == '=')
        pad++;
    if (pad > 2)
        return GN_EINVAL;
    //  EVP_DecodeBlock is lenient (it skips whitespace and counts padding
    //  as data): decode, then accept only if re-encoding gives the text back.
    int rc = GN_OK;
    size_t rawlen = tlen / 4 * 3;
    uint8_t *raw = malloc(rawlen);
    char *again = malloc(tlen + 1);
    size_t dlen = 0;
    if (!raw || !again) {
        rc = GN_ENOMEM;
        goto done;
    }
    int n = EVP_DecodeBlock(raw, (const unsigned char *) text, (int) tlen);
    if (n < 0 || (size_t) n != rawlen) {
        ERR_clear_error();
        rc = GN_EINVAL;
        goto done;
    }
    dlen = rawlen - pad;
    if (EVP_EncodeBlock((unsigned char *) again, raw, (int) dlen) != (int) tlen
        || CRYPTO_memcmp(again, text, tlen) != 0) {
        rc = GN_EINVAL;
        goto done;
    }
    if (dlen > outsize) {
        rc = GN_ETOOBIG;
        goto done;
    }
    memcpy(out, raw, dlen);
    *outlen = dlen;
done:
    if (raw) {
        gn_cleanse(raw, rawlen);
        free(raw);
    }
    if (again) {
        gn_cleanse(again, tlen + 1);
        free(again);
    }
    return rc;
}
