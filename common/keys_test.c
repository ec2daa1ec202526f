/*  keys_test.c -- a node's key files in a temporary directory: generate, load,
    refuse open modes, garbage and mismatched files; the node registry.  */
#include "crypto.h"
#include "err.h"
#include "keys.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#define VILLAGE  610403001001ULL
#define VILLAGE2 610403001002ULL
#define TOWN     610403001000ULL

static char s_dir[64];
static char s_paths[4][256];   //  s_at's results, used in turn
static int s_next;

static int
s_setup(void **state)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/gn_keys_test.XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    return 0;
}

static int
s_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

//  s_dir/sub/name (sub may be NULL), valid for the next three calls.
static const char *
s_at(const char *sub, const char *name)
{
    char *path = s_paths[s_next++ % 4];
    if (sub)
        snprintf(path, sizeof s_paths[0], "%s/%s/%s", s_dir, sub, name);
    else
        snprintf(path, sizeof s_paths[0], "%s/%s", s_dir, name);
    return path;
}

static char *
s_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    assert_true(n > 0);
    fclose(f);
    return buf;
}

static void
s_write(const char *path, const char *text, mode_t mode)
{
    (void) remove(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void
s_copy(const char *from, const char *to, mode_t mode)
{
    char *text = s_read(from);
    s_write(to, text, mode);
    free(text);
}

static mode_t
s_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static int
s_load(const char *sub, uint64_t node)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/%s", s_dir, sub);
    gn_keys_t *keys = NULL;
    int rc = gn_keys_load(&keys, dir, node);
    if (rc == 0)
        assert_non_null(keys);
    else
        assert_null(keys);
    gn_keys_destroy(&keys);
    return rc;
}

static void
test_roundtrip(void **state)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/keys", s_dir);
    assert_int_equal(gn_keys_generate(dir, VILLAGE, false), 0);
    assert_int_equal(s_mode(dir), 0700);
    assert_int_equal(s_mode(s_at("keys", "610403001001")), 0644);
    assert_int_equal(s_mode(s_at("keys", "610403001001_secret")), 0600);
    assert_int_equal(s_mode(s_at("keys", "sign_secret")), 0600);
    assert_int_equal(s_mode(s_at("keys", "data_secret")), 0600);
    //  No temporary files left behind.
    struct stat st;
    assert_int_not_equal(stat(s_at("keys", ".sign_secret.tmp"), &st), 0);
    assert_int_not_equal(stat(s_at("keys", ".610403001001.tmp"), &st), 0);

    gn_keys_t *keys = NULL;
    assert_int_equal(gn_keys_load(&keys, dir, VILLAGE), 0);
    assert_true(gn_keys_node(keys) == VILLAGE);
    assert_int_equal(strlen(gn_keys_curve_public_txt(keys)), GN_CURVE_TXT_LEN);
    zcert_t *cert = gn_keys_curve(keys);
    assert_non_null(cert);
    assert_string_equal(zcert_meta(cert, "node"), "610403001001");
    assert_true(gn_sigkey_has_private(gn_keys_sigkey(keys)));

    //  The public certificate is a plain zcert: czmq reads the same key.
    zcert_t *pub = zcert_load(s_at("keys", "610403001001"));
    assert_non_null(pub);
    assert_string_equal(zcert_public_txt(pub), gn_keys_curve_public_txt(keys));
    zcert_destroy(&pub);

    //  The keys work: sign and verify, seal and open.
    uint8_t sig[GN_ED25519_SIGLEN];
    assert_int_equal(gn_sign(gn_keys_sigkey(keys), "head", 4, sig), 0);
    assert_int_equal(gn_verify(gn_keys_sigkey(keys), "head", 4, sig), 0);
    uint8_t *sealed = NULL, *plain = NULL;
    size_t slen, plen;
    assert_int_equal(gn_seal(gn_keys_data_key(keys), "13800138000", 11, NULL, 0,
                             &sealed, &slen), 0);

    //  The same keys next time.
    gn_keys_t *again = NULL;
    assert_int_equal(gn_keys_load(&again, dir, VILLAGE), 0);
    assert_string_equal(gn_keys_curve_public_txt(again), gn_keys_curve_public_txt(keys));
    assert_memory_equal(gn_sigkey_public(gn_keys_sigkey(again)),
                        gn_sigkey_public(gn_keys_sigkey(keys)), GN_ED25519_KEYLEN);
    assert_int_equal(gn_open(gn_keys_data_key(again), sealed, slen, NULL, 0, &plain, &plen), 0);
    assert_string_equal((char *) plain, "13800138000");
    free(plain);
    gn_keys_destroy(&again);

    //  Never replaced by accident; replaced on purpose.
    assert_int_equal(gn_keys_generate(dir, VILLAGE, false), GN_EEXIST);
    assert_int_equal(gn_keys_load(&again, dir, VILLAGE), 0);
    assert_string_equal(gn_keys_curve_public_txt(again), gn_keys_curve_public_txt(keys));
    gn_keys_destroy(&again);
    assert_int_equal(gn_keys_generate(dir, VILLAGE, true), 0);
    assert_int_equal(gn_keys_load(&again, dir, VILLAGE), 0);
    assert_string_not_equal(gn_keys_curve_public_txt(again), gn_keys_curve_public_txt(keys));
    assert_int_equal(gn_open(gn_keys_data_key(again), sealed, slen, NULL, 0, &plain, &plen),
                     GN_ECRYPTO);
    gn_keys_destroy(&again);

    free(sealed);
    gn_keys_destroy(&keys);
    assert_null(keys);
    gn_keys_destroy(&keys);

    //  Not a node code.
    assert_int_equal(gn_keys_generate(dir, 12345, false), GN_EINVAL);
    assert_int_equal(gn_keys_load(&keys, dir, 12345), GN_EINVAL);
}

static void
test_permissions(void **state)
{
    char dir[128];
    snprintf(dir, sizeof dir, "%s/keys", s_dir);
    assert_int_equal(gn_keys_generate(dir, VILLAGE, false), 0);
    const char *secrets[] = { "610403001001_secret", "sign_secret", "data_secret" };
    const mode_t open_modes[] = { 0644, 0640, 0604, 0620, 0602, 0660, 0666, 0610 };
    for (size_t i = 0; i < 3; i++)
        for (size_t m = 0; m < sizeof open_modes / sizeof open_modes[0]; m++) {
            const char *path = s_at("keys", secrets[i]);
            assert_int_equal(chmod(path, open_modes[m]), 0);
            assert_int_equal(s_load("keys", VILLAGE), GN_EPERM);
            assert_int_equal(chmod(path, 0600), 0);
            assert_int_equal(s_load("keys", VILLAGE), 0);
        }
    //  0400 (read-only for the owner) is fine; the public file may be 0644.
    assert_int_equal(chmod(s_at("keys", "sign_secret"), 0400), 0);
    assert_int_equal(s_load("keys", VILLAGE), 0);
    //  A missing secret file is named, not guessed around.
    assert_int_equal(remove(s_at("keys", "data_secret")), 0);
    assert_int_equal(s_load("keys", VILLAGE), GN_ENOTFOUND);
    assert_int_equal(s_load("nowhere", VILLAGE), GN_ENOTFOUND);
}

static void
test_garbage(void **state)
{
    char dir[128], dir2[128];
    snprintf(dir, sizeof dir, "%s/keys", s_dir);
    snprintf(dir2, sizeof dir2, "%s/other", s_dir);
    assert_int_equal(gn_keys_generate(dir, VILLAGE, false), 0);
    assert_int_equal(gn_keys_generate(dir2, VILLAGE, false), 0);   //  same node, other keys
    char *sign = s_read(s_at("keys", "sign_secret"));
    char *data = s_read(s_at("keys", "data_secret"));
    char *cert = s_read(s_at("keys", "610403001001_secret"));

    const char *bad_text[] = {
        "",                                                           //  empty
        "# only a comment\n",
        "not base64 at all\n",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",             //  31 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",         //  34 bytes
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "AAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "\x01\x02\x03\xff\xfe binary\n",
    };
    for (size_t f = 0; f < 2; f++) {
        const char *name = f == 0 ? "sign_secret" : "data_secret";
        const char *good = f == 0 ? sign : data;
        for (size_t i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
            s_write(s_at("keys", name), bad_text[i], 0600);
            assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
        }
        //  Too large to be a key file.
        char *big = malloc(8192);
        assert_non_null(big);
        memset(big, '#', 8191);
        big[8191] = 0;
        s_write(s_at("keys", name), big, 0600);
        assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
        free(big);
        s_write(s_at("keys", name), good, 0600);
        assert_int_equal(s_load("keys", VILLAGE), 0);
    }
    //  A valid signing key that is not this certificate's.
    s_copy(s_at("other", "sign_secret"), s_at("keys", "sign_secret"), 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    s_write(s_at("keys", "sign_secret"), sign, 0600);
    //  Another data key is not detectable (any 32 bytes are a key): loads.
    s_copy(s_at("other", "data_secret"), s_at("keys", "data_secret"), 0600);
    assert_int_equal(s_load("keys", VILLAGE), 0);
    s_write(s_at("keys", "data_secret"), data, 0600);

    //  Certificates: garbage, public only, keys that do not belong together.
    const char *bad_cert[] = {
        "",
        "garbage garbage\n\x01\x02",
        "curve\n    public-key = \"short\"\n",
        "metadata\n    node = \"610403001001\"\ncurve\n"
        "    public-key = \"0000000000000000000000000000000000000000\"\n",
    };
    for (size_t i = 0; i < sizeof bad_cert / sizeof bad_cert[0]; i++) {
        s_write(s_at("keys", "610403001001_secret"), bad_cert[i], 0600);
        assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    }
    //  The public file in place of the secret one.
    s_copy(s_at("keys", "610403001001"), s_at("keys", "610403001001_secret"), 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    //  Secret key of the other set under this set's public key.
    char *other = s_read(s_at("other", "610403001001_secret"));
    char *mixed = strdup(cert);
    assert_non_null(mixed);
    char *mine = strstr(mixed, "secret-key = \"");
    char *theirs = strstr(other, "secret-key = \"");
    assert_non_null(mine);
    assert_non_null(theirs);
    memcpy(mine + 14, theirs + 14, GN_CURVE_TXT_LEN);
    s_write(s_at("keys", "610403001001_secret"), mixed, 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    //  A corrupted secret key (a character outside Z85).
    strcpy(mixed, cert);
    mine = strstr(mixed, "secret-key = \"");
    mine[14 + 5] = '~' + 1;
    s_write(s_at("keys", "610403001001_secret"), mixed, 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    //  The whole other set's certificate: its ed25519-public is not ours.
    s_copy(s_at("other", "610403001001_secret"), s_at("keys", "610403001001_secret"), 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);
    //  Our certificate claiming another node.
    strcpy(mixed, cert);
    char *node = strstr(mixed, "610403001001");
    assert_non_null(node);
    node[11] = '2';
    s_write(s_at("keys", "610403001001_secret"), mixed, 0600);
    assert_int_equal(s_load("keys", VILLAGE), GN_EINVAL);

    s_write(s_at("keys", "610403001001_secret"), cert, 0600);
    assert_int_equal(s_load("keys", VILLAGE), 0);
    //  Keys of one node do not load as another's.
    assert_int_equal(s_load("keys", VILLAGE2), GN_ENOTFOUND);

    free(mixed);
    free(other);
    free(sign);
    free(data);
    free(cert);
}

static void
test_registry(void **state)
{
    char dir[128], reg[128];
    snprintf(reg, sizeof reg, "%s/registry", s_dir);
    assert_int_equal(mkdir(reg, 0755), 0);
    gn_keys_t *keys[3] = { NULL, NULL, NULL };
    const uint64_t nodes[3] = { VILLAGE, TOWN, VILLAGE2 };
    for (int i = 0; i < 3; i++) {
        char name[16], sub[32];
        snprintf(sub, sizeof sub, "k%d", i);
        snprintf(dir, sizeof dir, "%s/%s", s_dir, sub);
        snprintf(name, sizeof name, "%llu", (unsigned long long) nodes[i]);
        assert_int_equal(gn_keys_generate(dir, nodes[i], false), 0);
        assert_int_equal(gn_keys_load(&keys[i], dir, nodes[i]), 0);
        s_copy(s_at(sub, name), s_at("registry", name), 0644);
    }
    //  Other files are ignored; a secret file only draws a warning.
    s_write(s_at("registry", "README"), "public certificates, one per node\n", 0644);
    s_write(s_at("registry", "610403001003_secret"), "whatever\n", 0600);

    gn_registry_t *r = NULL;
    assert_int_equal(gn_registry_load(&r, reg), 0);
    assert_int_equal(gn_registry_size(r), 3);
    assert_true(gn_registry_node_at(r, 0) == TOWN);
    assert_true(gn_registry_node_at(r, 1) == VILLAGE);
    assert_true(gn_registry_node_at(r, 2) == VILLAGE2);
    assert_true(gn_registry_node_at(r, 3) == 0);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(gn_registry_curve_txt(r, nodes[i]),
                            gn_keys_curve_public_txt(keys[i]));
        assert_true(gn_registry_node_of_curve(r, gn_keys_curve_public_txt(keys[i])) == nodes[i]);
        //  A node's signature verifies with its registry key, not another's.
        uint8_t sig[GN_ED25519_SIGLEN];
        assert_int_equal(gn_sign(gn_keys_sigkey(keys[i]), "batch", 5, sig), 0);
        assert_int_equal(gn_verify(gn_registry_sigkey(r, nodes[i]), "batch", 5, sig), 0);
        assert_int_equal(gn_verify(gn_registry_sigkey(r, nodes[(i + 1) % 3]), "batch", 5, sig),
                         GN_ECRYPTO);
        assert_false(gn_sigkey_has_private(gn_registry_sigkey(r, nodes[i])));
    }
    assert_null(gn_registry_curve_txt(r, 610403001004ULL));
    assert_null(gn_registry_sigkey(r, 610403001004ULL));
    assert_true(gn_registry_node_of_curve(r, "0000000000000000000000000000000000000000") == 0);
    assert_true(gn_registry_node_of_curve(r, "short") == 0);
    gn_registry_destroy(&r);
    assert_null(r);

    //  A file that is not the node it is named after: refused as a whole.
    char *village = s_read(s_at("registry", "610403001001"));
    s_copy(s_at("registry", "610403001000"), s_at("registry", "610403001001"), 0644);
    assert_int_equal(gn_registry_load(&r, reg), GN_EINVAL);
    assert_null(r);
    //  Garbage under a node's name.
    s_write(s_at("registry", "610403001001"), "\x7f" "ELF garbage\n", 0644);
    assert_int_equal(gn_registry_load(&r, reg), GN_EINVAL);
    //  A bad Ed25519 key.
    char *bad = strdup(village);
    assert_non_null(bad);
    char *sign = strstr(bad, "ed25519-public = \"");
    assert_non_null(sign);
    sign[18] = '*';
    s_write(s_at("registry", "610403001001"), bad, 0644);
    assert_int_equal(gn_registry_load(&r, reg), GN_EINVAL);
    //  Two nodes with one CURVE key: which node a peer is would be ambiguous.
    strcpy(bad, village);
    char *node = strstr(bad, "610403001001");
    node[11] = '4';
    s_write(s_at("registry", "610403001004"), bad, 0644);
    s_write(s_at("registry", "610403001001"), village, 0644);
    assert_int_equal(gn_registry_load(&r, reg), GN_EINVAL);
    assert_int_equal(remove(s_at("registry", "610403001004")), 0);
    assert_int_equal(gn_registry_load(&r, reg), 0);
    gn_registry_destroy(&r);
    //  No registry at all; an empty one.
    assert_int_equal(gn_registry_load(&r, s_at(NULL, "none")), GN_ENOTFOUND);
    assert_int_equal(mkdir(s_at(NULL, "empty"), 0755), 0);
    assert_int_equal(gn_registry_load(&r, s_at(NULL, "empty")), 0);
    assert_int_equal(gn_registry_size(r), 0);
    assert_null(gn_registry_sigkey(r, VILLAGE));
    gn_registry_destroy(&r);

    free(bad);
    free(village);
    for (int i = 0; i < 3; i++)
        gn_keys_destroy(&keys[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_permissions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_garbage, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_registry, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
