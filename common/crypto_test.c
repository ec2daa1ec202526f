/*  crypto_test.c -- known-answer vectors for SHA-256 (FIPS 180-2), Ed25519
    (RFC 8032 §7.1), scrypt (RFC 7914 §12) and base64 (RFC 4648 §10), and
    round trips with every kind of tampering for AES-256-GCM and signatures.  */
#include "crypto.h"
#include "err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

//  Parse hex text into out; the test's own vectors, so assert on bad input.
static size_t
s_hex(const char *hex, uint8_t *out, size_t size)
{
    size_t len = strlen(hex);
    assert_true(len % 2 == 0 && len / 2 <= size);
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t) v;
    }
    return len / 2;
}

static void
s_assert_hex(const uint8_t *data, size_t len, const char *hex)
{
    uint8_t want[256];
    assert_int_equal(s_hex(hex, want, sizeof want), len);
    assert_memory_equal(data, want, len);
}

//  --- SHA-256 ---------------------------------------------------------------

static void
test_sha256_vectors(void **state)
{
    uint8_t d[GN_SHA256_LEN];
    assert_int_equal(gn_sha256("abc", 3, d), 0);
    s_assert_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(gn_sha256(NULL, 0, d), 0);
    s_assert_hex(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(gn_sha256(m448, strlen(m448), d), 0);
    s_assert_hex(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_sha256_incremental(void **state)
{
    gn_sha256_t *h = NULL;
    uint8_t d[GN_SHA256_LEN];
    char block[1000];
    memset(block, 'a', sizeof block);
    assert_int_equal(gn_sha256_new(&h), 0);
    //  One million 'a' in 1000 updates (FIPS 180-2 appendix B.3).
    for (int i = 0; i < 1000; i++)
        assert_int_equal(gn_sha256_update(h, block, sizeof block), 0);
    assert_int_equal(gn_sha256_final(h, d), 0);
    s_assert_hex(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    //  final starts over: the hasher is reusable.
    assert_int_equal(gn_sha256_update(h, "a", 1), 0);
    assert_int_equal(gn_sha256_update(h, "bc", 2), 0);
    assert_int_equal(gn_sha256_final(h, d), 0);
    s_assert_hex(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    gn_sha256_destroy(&h);
    assert_null(h);
    gn_sha256_destroy(&h);   //  twice is harmless
}

static void
test_chain(void **state)
{
    uint8_t prev[32], next[32], want[32], cat[32 + 3];
    assert_int_equal(gn_sha256("genesis", 7, prev), 0);
    memcpy(cat, prev, 32);
    memcpy(cat + 32, "rec", 3);
    assert_int_equal(gn_sha256(cat, sizeof cat, want), 0);
    assert_int_equal(gn_chain_next(prev, "rec", 3, next), 0);
    assert_memory_equal(next, want, 32);
    //  In place, as a chain walker would do it.
    assert_int_equal(gn_chain_next(prev, "rec", 3, prev), 0);
    assert_memory_equal(prev, want, 32);
    //  A different record gives a different link.
    assert_int_equal(gn_chain_next(want, "reD", 3, next), 0);
    assert_int_equal(gn_chain_next(want, "rec", 3, prev), 0);
    assert_memory_not_equal(next, prev, 32);
}

//  --- Ed25519 ---------------------------------------------------------------

typedef struct {
    const char *secret;      // hex, 32 bytes
    const char *public;      // hex, 32 bytes
    const char *message;     // hex
    const char *signature;   // hex, 64 bytes
} ed_vector_t;

static const ed_vector_t s_rfc8032[] = {
    {   //  TEST 1
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    },
    {   //  TEST 2
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    },
};

static void
test_ed25519_rfc8032(void **state)
{
    for (size_t v = 0; v < sizeof s_rfc8032 / sizeof s_rfc8032[0]; v++) {
        const ed_vector_t *tv = &s_rfc8032[v];
        uint8_t priv[32], pub[32], msg[8], want[64], sig[64], back[32];
        s_hex(tv->secret, priv, 32);
        s_hex(tv->public, pub, 32);
        size_t mlen = s_hex(tv->message, msg, sizeof msg);
        s_hex(tv->signature, want, 64);

        gn_sigkey_t *key = NULL, *vkey = NULL;
        assert_int_equal(gn_sigkey_from_private(&key, priv), 0);
        assert_true(gn_sigkey_has_private(key));
        assert_memory_equal(gn_sigkey_public(key), pub, 32);
        assert_int_equal(gn_sigkey_private(key, back), 0);
        assert_memory_equal(back, priv, 32);

        //  Ed25519 is deterministic: the signature is the vector's.
        assert_int_equal(gn_sign(key, mlen ? msg : NULL, mlen, sig), 0);
        assert_memory_equal(sig, want, 64);

        assert_int_equal(gn_sigkey_from_public(&vkey, pub), 0);
        assert_false(gn_sigkey_has_private(vkey));
        assert_int_equal(gn_verify(vkey, msg, mlen, want), 0);
        assert_int_equal(gn_verify(key, msg, mlen, want), 0);

        //  One flipped bit anywhere in the signature: refused.
        for (int i = 0; i < 64; i++) {
            sig[i] ^= 0x01;
            assert_int_equal(gn_verify(vkey, msg, mlen, sig), GN_ECRYPTO);
            sig[i] ^= 0x01;
        }
        //  Another message: refused.
        uint8_t other[9] = { 0 };
        memcpy(other, msg, mlen);
        other[mlen] = 0x01;
        assert_int_equal(gn_verify(vkey, other, mlen + 1, sig), GN_ECRYPTO);
        if (mlen > 0) {
            msg[0] ^= 0x80;
            assert_int_equal(gn_verify(vkey, msg, mlen, sig), GN_ECRYPTO);
        }
        //  A public-only key cannot sign or give a private key.
        assert_int_equal(gn_sign(vkey, msg, mlen, sig), GN_EINVAL);
        assert_int_equal(gn_sigkey_private(vkey, back), GN_EINVAL);

        gn_sigkey_destroy(&key);
        gn_sigkey_destroy(&vkey);
        assert_null(key);
        assert_null(vkey);
    }
}

static void
test_ed25519_generated(void **state)
{
    gn_sigkey_t *a = NULL, *b = NULL, *apub = NULL;
    uint8_t sig[64];
    const char *head = "chain head 610403001001 #42";
    assert_int_equal(gn_sigkey_generate(&a), 0);
    assert_int_equal(gn_sigkey_generate(&b), 0);
    assert_memory_not_equal(gn_sigkey_public(a), gn_sigkey_public(b), 32);
    assert_int_equal(gn_sigkey_from_public(&apub, gn_sigkey_public(a)), 0);
    assert_int_equal(gn_sign(a, head, strlen(head), sig), 0);
    assert_int_equal(gn_verify(apub, head, strlen(head), sig), 0);
    //  Signed by a, claimed by b: refused.
    assert_int_equal(gn_verify(b, head, strlen(head), sig), GN_ECRYPTO);
    gn_sigkey_destroy(&a);
    gn_sigkey_destroy(&b);
    gn_sigkey_destroy(&apub);
}

//  --- AES-256-GCM -----------------------------------------------------------

static void
test_aead_roundtrip(void **state)
{
    uint8_t key[GN_AEAD_KEYLEN];
    assert_int_equal(gn_aead_key_generate(key), 0);
    const char *phone = "13800138000";
    const char *aad = "610403001001-7/reporter_phone";
    uint8_t *sealed = NULL, *sealed2 = NULL, *plain = NULL;
    size_t slen = 0, slen2 = 0, plen = 0;

    assert_int_equal(gn_seal(key, phone, strlen(phone), aad, strlen(aad), &sealed, &slen), 0);
    assert_int_equal(slen, strlen(phone) + GN_AEAD_OVERHEAD);
    assert_int_equal(gn_open(key, sealed, slen, aad, strlen(aad), &plain, &plen), 0);
    assert_int_equal(plen, strlen(phone));
    assert_string_equal((char *) plain, phone);   //  NUL-terminated
    free(plain);

    //  Same input, fresh nonce: a different sealed value.
    assert_int_equal(gn_seal(key, phone, strlen(phone), aad, strlen(aad), &sealed2, &slen2), 0);
    assert_int_equal(slen2, slen);
    assert_memory_not_equal(sealed, sealed2, GN_AEAD_NONCELEN);
    assert_memory_not_equal(sealed + GN_AEAD_NONCELEN, sealed2 + GN_AEAD_NONCELEN,
                            slen - GN_AEAD_NONCELEN);
    free(sealed);
    free(sealed2);

    //  Empty plaintext, no aad.
    assert_int_equal(gn_seal(key, NULL, 0, NULL, 0, &sealed, &slen), 0);
    assert_int_equal(slen, GN_AEAD_OVERHEAD);
    assert_int_equal(gn_open(key, sealed, slen, NULL, 0, &plain, &plen), 0);
    assert_int_equal(plen, 0);
    assert_non_null(plain);
    assert_int_equal(plain[0], 0);
    free(plain);
    free(sealed);

    //  A larger value.
    size_t big = 100000;
    uint8_t *data = malloc(big);
    assert_non_null(data);
    assert_int_equal(gn_random(data, big), 0);
    assert_int_equal(gn_seal(key, data, big, NULL, 0, &sealed, &slen), 0);
    assert_int_equal(gn_open(key, sealed, slen, NULL, 0, &plain, &plen), 0);
    assert_int_equal(plen, big);
    assert_memory_equal(plain, data, big);
    free(plain);
    free(sealed);
    free(data);
}

//  Opening must fail with GN_ECRYPTO and return nothing.
static void
s_assert_refused(const uint8_t *key, const uint8_t *sealed, size_t slen,
                 const char *aad, size_t aadlen)
{
    uint8_t *plain = (uint8_t *) "sentinel";
    size_t plen = 99;
    assert_int_equal(gn_open(key, sealed, slen, aad, aadlen, &plain, &plen), GN_ECRYPTO);
    assert_null(plain);
    assert_int_equal(plen, 0);
}

static void
test_aead_tamper(void **state)
{
    uint8_t key[GN_AEAD_KEYLEN], other[GN_AEAD_KEYLEN];
    assert_int_equal(gn_aead_key_generate(key), 0);
    assert_int_equal(gn_aead_key_generate(other), 0);
    const char *idno = "610403199001011234";
    const char *aad = "610403001001-7/reporter_id";
    size_t alen = strlen(aad);
    uint8_t *sealed = NULL;
    size_t slen = 0;
    assert_int_equal(gn_seal(key, idno, strlen(idno), aad, alen, &sealed, &slen), 0);

    //  Every single byte matters: nonce, ciphertext and tag.
    for (size_t i = 0; i < slen; i++) {
        sealed[i] ^= 0x20;
        s_assert_refused(key, sealed, slen, aad, alen);
        sealed[i] ^= 0x20;
    }
    //  Wrong aad (another field, another case), missing aad, wrong key.
    s_assert_refused(key, sealed, slen, "610403001001-7/reporter_phone", 29);
    s_assert_refused(key, sealed, slen, "610403001001-8/reporter_id", alen);
    s_assert_refused(key, sealed, slen, NULL, 0);
    s_assert_refused(other, sealed, slen, aad, alen);
    //  Truncated: by one byte it is a bad tag; shorter than the overhead it
    //  is not even a sealed value.
    s_assert_refused(key, sealed, slen - 1, aad, alen);
    uint8_t *plain = NULL;
    size_t plen = 0;
    assert_int_equal(gn_open(key, sealed, GN_AEAD_OVERHEAD - 1, aad, alen, &plain, &plen),
                     GN_EINVAL);
    assert_null(plain);
    //  Untouched it still opens.
    assert_int_equal(gn_open(key, sealed, slen, aad, alen, &plain, &plen), 0);
    assert_memory_equal(plain, idno, strlen(idno));
    free(plain);
    free(sealed);
}

//  --- Passwords -------------------------------------------------------------

static void
test_pw_roundtrip(void **state)
{
    gn_pw_params_t fast = { 16, 1, 1 };
    char enc[GN_PW_ENCODED_MAX], enc2[GN_PW_ENCODED_MAX];
    assert_int_equal(gn_pw_hash("correct horse", &fast, enc), 0);
    assert_int_equal(strncmp(enc, "scrypt$16$1$1$", 14), 0);
    assert_int_equal(gn_pw_verify("correct horse", enc), 0);
    assert_int_equal(gn_pw_verify("correct horsf", enc), GN_ECRYPTO);
    assert_int_equal(gn_pw_verify("", enc), GN_ECRYPTO);
    assert_int_equal(gn_pw_verify("correct horse ", enc), GN_ECRYPTO);
    //  A fresh salt each time.
    assert_int_equal(gn_pw_hash("correct horse", &fast, enc2), 0);
    assert_string_not_equal(enc, enc2);
    assert_int_equal(gn_pw_verify("correct horse", enc2), 0);

    //  The process default, lowered as a test would, then restored.
    assert_int_equal(gn_pw_set_default(&fast), 0);
    assert_int_equal(gn_pw_hash("网格员王敏", NULL, enc), 0);
    assert_int_equal(strncmp(enc, "scrypt$16$1$1$", 14), 0);
    assert_int_equal(gn_pw_verify("网格员王敏", enc), 0);
    gn_pw_params_t bad = { 1000, 1, 1 };   //  not a power of two
    assert_int_equal(gn_pw_set_default(&bad), GN_EINVAL);
    assert_int_equal(gn_pw_hash("x", &bad, enc), GN_EINVAL);
    gn_pw_params_t dflt = { GN_PW_N_DEFAULT, GN_PW_R_DEFAULT, GN_PW_P_DEFAULT };
    assert_int_equal(gn_pw_set_default(&dflt), 0);

    //  The default parameters, once.
    assert_int_equal(gn_pw_hash("Yangling-2024", NULL, enc), 0);
    assert_int_equal(strncmp(enc, "scrypt$16384$8$1$", 17), 0);
    assert_int_equal(gn_pw_verify("Yangling-2024", enc), 0);
    assert_int_equal(gn_pw_verify("Yangling-2025", enc), GN_ECRYPTO);
}

static void
test_pw_rfc7914(void **state)
{
    //  RFC 7914 §12, third vector; our hash is the first 32 bytes of its
    //  64-byte output (PBKDF2's first block).
    uint8_t dk[32];
    char dk64[GN_BASE64_LEN(32) + 1], enc[256];
    s_hex("7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2", dk, 32);
    assert_int_equal(gn_base64_encode(dk, 32, dk64, sizeof dk64), 0);
    snprintf(enc, sizeof enc, "scrypt$16384$8$1$%s$%s", "U29kaXVtQ2hsb3JpZGU=", dk64);
    assert_int_equal(gn_pw_verify("pleaseletmein", enc), 0);
    assert_int_equal(gn_pw_verify("pleaseletmeout", enc), GN_ECRYPTO);
    //  The same hash under other parameters does not verify.
    snprintf(enc, sizeof enc, "scrypt$8192$8$1$%s$%s", "U29kaXVtQ2hsb3JpZGU=", dk64);
    assert_int_equal(gn_pw_verify("pleaseletmein", enc), GN_ECRYPTO);
}

static void
test_pw_malformed(void **state)
{
    gn_pw_params_t fast = { 16, 1, 1 };
    char enc[GN_PW_ENCODED_MAX], bad[GN_PW_ENCODED_MAX * 2];
    assert_int_equal(gn_pw_hash("pw", &fast, enc), 0);
    const char *salt = strchr(enc + 14, '$');   //  "$<hash>" after the salt
    assert_non_null(salt);

    const char *garbage[] = {
        "", "scrypt", "scrypt$", "scrypt$16$1$1$", "scrypt$16$1$1$$",
        "bcrypt$16$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
        "scrypt$16$1$1$AAAAAAAAAAAAAAAAAAAAAA==",                     //  no hash
        "scrypt$16$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",                //  short hash
        "scrypt$16$1$1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  //  short salt
        "scrypt$16$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=$",
        "scrypt$-16$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$15$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$1$1$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16$0$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16$1$0$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16$1$x$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16$1$1$AAAAAAAAAAAAAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        //  Asking for too much memory or work: refused before any is spent.
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$65536$8$16$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "scrypt$16$4294967297$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        assert_int_equal(gn_pw_verify("pw", garbage[i]), GN_EINVAL);
    assert_int_equal(gn_pw_verify(NULL, enc), GN_EINVAL);
    assert_int_equal(gn_pw_verify("pw", NULL), GN_EINVAL);

    //  A tampered hash is a mismatch, not malformed.
    snprintf(bad, sizeof bad, "%s", enc);
    char *h = bad + (salt - enc) + 1;
    h[0] = h[0] == 'A' ? 'B' : 'A';
    assert_int_equal(gn_pw_verify("pw", bad), GN_ECRYPTO);
    assert_int_equal(gn_pw_verify("pw", enc), 0);
}

//  --- Base64 ----------------------------------------------------------------

static void
test_base64_rfc4648(void **state)
{
    const char *vec[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        char text[16];
        uint8_t data[16];
        size_t len = strlen(vec[i][0]), n = 99;
        assert_int_equal(GN_BASE64_LEN(len), strlen(vec[i][1]));
        assert_int_equal(gn_base64_encode(vec[i][0], len, text, sizeof text), 0);
        assert_string_equal(text, vec[i][1]);
        assert_int_equal(gn_base64_decode(vec[i][1], strlen(vec[i][1]), data, sizeof data, &n), 0);
        assert_int_equal(n, len);
        assert_memory_equal(data, vec[i][0], len);
    }
    //  Binary with every value, both ways.
    uint8_t all[256], back[256];
    char text[GN_BASE64_LEN(256) + 1];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t) i;
    assert_int_equal(gn_base64_encode(all, 256, text, sizeof text), 0);
    assert_int_equal(gn_base64_decode(text, strlen(text), back, sizeof back, &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(back, all, 256);
}

static void
test_base64_strict(void **state)
{
    const char *bad[] = {
        "Zg", "Zg=", "Zg=a", "Z===", "====", "=Zg=", " Zg=", "Zg== ", "Zm9v\nZm9v",
        "Zh==", "Zm9=", "Zm9v!Zg=", "Zm-v", "Zm_v", "Zg==Zg==", "Z\0==",
    };
    uint8_t out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = 99;
        size_t len = i == sizeof bad / sizeof bad[0] - 1 ? 4 : strlen(bad[i]);
        assert_int_equal(gn_base64_decode(bad[i], len, out, sizeof out, &n), GN_EINVAL);
        assert_int_equal(n, 0);
    }
    //  Room: out too small to decode, text too small to encode into.
    size_t n = 0;
    assert_int_equal(gn_base64_decode("Zm9vYmFy", 8, out, 5, &n), GN_ETOOBIG);
    assert_int_equal(gn_base64_decode("Zm9vYmFy", 8, out, 6, &n), 0);
    char text[8];
    assert_int_equal(gn_base64_encode("foobar", 6, text, 8), GN_ETOOBIG);
    char text9[9];
    assert_int_equal(gn_base64_encode("foobar", 6, text9, sizeof text9), 0);
    assert_string_equal(text9, "Zm9vYmFy");
}

//  --- Random, memory --------------------------------------------------------

static void
test_random_and_memory(void **state)
{
    uint8_t a[32], b[32];
    assert_int_equal(gn_random(a, sizeof a), 0);
    assert_int_equal(gn_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, 32);
    assert_int_equal(gn_random(a, 0), 0);
    assert_int_equal(gn_memcmp_ct(a, a, 32), 0);
    assert_int_not_equal(gn_memcmp_ct(a, b, 32), 0);
    gn_cleanse(a, sizeof a);
    memset(b, 0, sizeof b);
    assert_memory_equal(a, b, 32);
    gn_cleanse(NULL, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_incremental),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_ed25519_generated),
        cmocka_unit_test(test_aead_roundtrip),
        cmocka_unit_test(test_aead_tamper),
        cmocka_unit_test(test_pw_roundtrip),
        cmocka_unit_test(test_pw_rfc7914),
        cmocka_unit_test(test_pw_malformed),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_random_and_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
