/*  keys.c -- a node's key files and the node registry (see keys.h).

    CURVE certificates are czmq zcert files: written with zcert_save_secret
    and zcert_save_public, read back with zconfig from a buffer we read and
    checked ourselves (so a file's mode is checked on the very file we parse).
    All cryptography goes through crypto.h.  */
#include "keys.h"
#include "err.h"
#include "ids.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGN_FILE     "sign_secret"    // Ed25519 private key, base64
#define DATA_FILE     "data_secret"    // AES-256-GCM data key, base64
#define SECRET_SUFFIX "_secret"        // zcert's suffix for the secret certificate
#define META_NODE     "node"           // certificate metadata: the node code
#define META_SIGN     "ed25519-public" // certificate metadata: Ed25519 public key, base64
#define CERT_MAX      (64 * 1024)      // largest certificate file we read, bytes
#define TEXT_MAX      4096             // largest key text file we read, bytes
#define CURVE_KEYLEN  32               // raw CURVE key, bytes

struct _gn_keys_t {
    uint64_t node;                             // the node these keys belong to
    zcert_t *curve;                            // CURVE key pair, with metadata
    gn_sigkey_t *sign;                         // Ed25519 key pair
    uint8_t data_key[GN_AEAD_KEYLEN];          // AES-256-GCM key for data at rest
};

typedef struct {
    uint64_t node;                             // node code, as the file is named
    char curve_txt[GN_CURVE_TXT_LEN + 1];      // CURVE public key, Z85 text
    gn_sigkey_t *sign;                         // Ed25519 public key
} registry_entry_t;

struct _gn_registry_t {
    registry_entry_t *entries;                 // ascending by node
    size_t size;                               // entries in use
    size_t alloc;                              // entries allocated
};

//  What a certificate file holds once checked.
typedef struct {
    uint64_t node;                             // metadata "node"
    uint8_t curve_pub[CURVE_KEYLEN];           // CURVE public key
    uint8_t curve_sec[CURVE_KEYLEN];           // CURVE secret key (secret file only)
    uint8_t sign_pub[GN_ED25519_KEYLEN];       // metadata "ed25519-public"
} cert_info_t;

//  dir/name into out, GN_EINVAL if it does not fit.
static int
s_path(char *out, size_t size, const char *dir, const char *name)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t) n >= size) {
        gn_error("keys: path too long: %s/%s", dir, name);
        return GN_EINVAL;
    }
    return GN_OK;
}

int
gn_keys_read_file(const char *path, bool secret, char *buf, size_t size, size_t *len)
{
    int rc = GN_OK;
    struct stat st;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);   //  a FIFO must not hang us
    if (fd < 0) {
        if (errno == ENOENT) {
            gn_debug("keys: %s is missing", path);   // the caller says what to do
            return GN_ENOTFOUND;
        }
        gn_error("keys: cannot open %s: %s", path, strerror(errno));
        return errno == EACCES ? GN_EPERM : GN_EIO;
    }
    if (fstat(fd, &st) != 0) {
        gn_error("keys: cannot stat %s: %s", path, strerror(errno));
        rc = GN_EIO;
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        gn_error("keys: %s is not a regular file", path);
        rc = GN_EINVAL;
        goto done;
    }
    if (secret && (st.st_mode & 077) != 0) {
        gn_error("keys: %s is accessible by group or others (mode %04o); "
                 "refusing a secret key others can read: run chmod 600 %s",
                 path, (unsigned) (st.st_mode & 07777), path);
        rc = GN_EPERM;
        goto done;
    }
    if (st.st_size < 0 || (size_t) st.st_size >= size) {
        gn_error("keys: %s is too large to be a key file (%lld bytes)",
                 path, (long long) st.st_size);
        rc = GN_EINVAL;
        goto done;
    }
    while (got < size - 1) {
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            gn_error("keys: cannot read %s: %s", path, strerror(errno));
            rc = GN_EIO;
            goto done;
        }
        if (n == 0)
            break;
        got += (size_t) n;
    }
    if (got == size - 1) {     //  grew since fstat
        gn_error("keys: %s is too large to be a key file", path);
        rc = GN_EINVAL;
        goto done;
    }
    buf[got] = 0;
    *len = got;
done:
    close(fd);
    return rc;
}

//  Read a key text file: '#' comments and blank lines, and exactly one line
//  of base64 holding exactly GN_AEAD_KEYLEN (= GN_ED25519_KEYLEN) bytes.
static int
s_read_key_text(const char *path, uint8_t key[32])
{
    char buf[TEXT_MAX];
    size_t len = 0;
    int rc = gn_keys_read_file(path, true, buf, sizeof buf, &len);
    if (rc != 0)
        return rc;
    const char *data = NULL;
    size_t dlen = 0;
    int lines = 0;
    char *p = buf;
    while (*p) {
        char *end = strchr(p, '\n');
        size_t n = end ? (size_t) (end - p) : strlen(p);
        while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n > 0 && p[0] != '#') {
            data = p;
            dlen = n;
            lines++;
        }
        p = end ? end + 1 : p + strlen(p);
    }
    size_t keylen = 0;
    if (lines != 1
        || gn_base64_decode(data, dlen, key, 32, &keylen) != 0
        || keylen != 32) {
        gn_error("keys: %s does not hold one base64 line of a 32-byte key", path);
        gn_cleanse(key, 32);
        rc = GN_EINVAL;
    }
    gn_cleanse(buf, sizeof buf);
    return rc;
}

//  Decode a 40-character Z85 CURVE key.
static bool
s_z85_decode(const char *text, uint8_t key[CURVE_KEYLEN])
{
    return text && strlen(text) == GN_CURVE_TXT_LEN && zmq_z85_decode(key, text) != NULL;
}

//  Read and check a certificate file: public key, node, Ed25519 public key,
//  and for a secret file the secret key, which must match the public one.
static int
s_cert_read(const char *path, bool secret, cert_info_t *info)
{
    memset(info, 0, sizeof *info);
    int rc;
    size_t len = 0;
    zconfig_t *root = NULL;
    char *buf = malloc(CERT_MAX);
    if (!buf)
        return GN_ENOMEM;
    if ((rc = gn_keys_read_file(path, secret, buf, CERT_MAX, &len)) != 0)
        goto done;
    rc = GN_EINVAL;
    if (memchr(buf, 0, len) != NULL) {
        gn_error("keys: %s is not a certificate (binary data)", path);
        goto done;
    }
    if (!(root = zconfig_str_load(buf))) {
        gn_error("keys: %s is not a certificate (not ZPL text)", path);
        goto done;
    }
    const char *pub_txt = zconfig_get(root, "curve/public-key", NULL);
    const char *node_txt = zconfig_get(root, "metadata/" META_NODE, NULL);
    const char *sign_txt = zconfig_get(root, "metadata/" META_SIGN, NULL);
    size_t signlen = 0;
    if (!s_z85_decode(pub_txt, info->curve_pub)) {
        gn_error("keys: %s has no valid curve/public-key", path);
        goto done;
    }
    if (!node_txt || gn_node_parse(node_txt, &info->node) != 0) {
        gn_error("keys: %s has no valid metadata/" META_NODE, path);
        goto done;
    }
    if (!sign_txt
        || gn_base64_decode(sign_txt, strlen(sign_txt), info->sign_pub,
                            sizeof info->sign_pub, &signlen) != 0
        || signlen != GN_ED25519_KEYLEN) {
        gn_error("keys: %s has no valid metadata/" META_SIGN, path);
        goto done;
    }
    if (secret) {
        const char *sec_txt = zconfig_get(root, "curve/secret-key", NULL);
        char derived[GN_CURVE_TXT_LEN + 1];
        if (!s_z85_decode(sec_txt, info->curve_sec)) {
            gn_error("keys: %s has no valid curve/secret-key", path);
            goto done;
        }
        if (zmq_curve_public(derived, sec_txt) != 0 || strcmp(derived, pub_txt) != 0) {
            gn_error("keys: %s: the public key does not belong to the secret key", path);
            goto done;
        }
    }
    rc = GN_OK;
done:
    zconfig_destroy(&root);
    gn_cleanse(buf, CERT_MAX);
    free(buf);
    if (rc != 0)
        gn_cleanse(info, sizeof *info);
    return rc;
}

//  --- Writing ----------------------------------------------------------------

static int
s_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        gn_error("keys: cannot sync directory %s: %s", dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return GN_EIO;
    }
    close(fd);
    return GN_OK;
}

//  Give the finished temporary file tmp its mode, flush it, and rename it
//  over path.
static int
s_commit(const char *tmp, const char *path, mode_t mode)
{
    int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        gn_error("keys: cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        return GN_EIO;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        gn_error("keys: cannot write %s: %s", path, strerror(errno));
        return GN_EIO;
    }
    return GN_OK;
}

//  Write len bytes to dir/name atomically with mode.
static int
s_write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
    char path[PATH_MAX], tmp[PATH_MAX], tmpname[NAME_MAX + 1];
    int rc;
    snprintf(tmpname, sizeof tmpname, ".%s.tmp", name);
    if ((rc = s_path(path, sizeof path, dir, name)) != 0
        || (rc = s_path(tmp, sizeof tmp, dir, tmpname)) != 0)
        return rc;
    (void) unlink(tmp);            //  a leftover of a crash, if any
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        gn_error("keys: cannot create %s: %s", tmp, strerror(errno));
        return GN_EIO;
    }
    const char *p = data;
    size_t done = 0;
    rc = GN_OK;
    while (done < len) {
        ssize_t n = write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            gn_error("keys: cannot write %s: %s", tmp, strerror(errno));
            rc = GN_EIO;
            break;
        }
        done += (size_t) n;
    }
    if (close(fd) != 0 && rc == 0) {
        gn_error("keys: cannot write %s: %s", tmp, strerror(errno));
        rc = GN_EIO;
    }
    if (rc == 0)
        rc = s_commit(tmp, path, mode);
    if (rc != 0)
        (void) unlink(tmp);
    return rc;
}

//  Write a key text file: two comment lines and the key in base64.
static int
s_write_key_text(const char *dir, const char *name, const char *what, uint64_t node,
                 const uint8_t key[32])
{
    char b64[GN_BASE64_LEN(32) + 1];
    char text[512];
    int rc = gn_base64_encode(key, 32, b64, sizeof b64);
    if (rc != 0)
        return rc;
    int n = snprintf(text, sizeof text,
                     "#   gridnet %s of node %" PRIu64 ": secret, keep mode 0600\n"
                     "#   base64 of the raw 32-byte key\n"
                     "%s\n", what, node, b64);
    if (n < 0 || (size_t) n >= sizeof text)
        rc = GN_EINVAL;
    else
        rc = s_write_file(dir, name, text, (size_t) n, 0600);
    gn_cleanse(b64, sizeof b64);
    gn_cleanse(text, sizeof text);
    return rc;
}

//  Save cert's public or secret file as dir/name atomically.
static int
s_write_cert(zcert_t *cert, const char *dir, const char *name, bool secret)
{
    char path[PATH_MAX], tmp[PATH_MAX], tmpname[NAME_MAX + 1];
    int rc;
    snprintf(tmpname, sizeof tmpname, ".%s.tmp", name);
    if ((rc = s_path(path, sizeof path, dir, name)) != 0
        || (rc = s_path(tmp, sizeof tmp, dir, tmpname)) != 0)
        return rc;
    (void) unlink(tmp);
    //  zcert_save_secret sets the umask to 077 while it writes, then to
    //  czmq's default 022: put back the caller's afterwards.
    mode_t mask = umask(077);
    int zrc = secret ? zcert_save_secret(cert, tmp) : zcert_save_public(cert, tmp);
    umask(mask);
    if (zrc != 0) {
        gn_error("keys: cannot write %s: %s", tmp, strerror(errno));
        (void) unlink(tmp);
        return GN_EIO;
    }
    rc = s_commit(tmp, path, secret ? 0600 : 0644);
    if (rc != 0)
        (void) unlink(tmp);
    return rc;
}

//  --- A node's own keys ------------------------------------------------------

int
gn_keys_generate(const char *dir, uint64_t node, bool force)
{
    if (gn_node_level(node) == 0)
        return GN_EINVAL;
    if (!zsys_has_curve()) {
        gn_error("keys: this libzmq has no CURVE support");
        return GN_ECRYPTO;
    }
    int rc;
    char pub_name[32], sec_name[32], path[PATH_MAX];
    snprintf(pub_name, sizeof pub_name, "%" PRIu64, node);
    snprintf(sec_name, sizeof sec_name, "%" PRIu64 SECRET_SUFFIX, node);
    zcert_t *cert = NULL;
    gn_sigkey_t *sign = NULL;
    uint8_t priv[GN_ED25519_KEYLEN];
    uint8_t data_key[GN_AEAD_KEYLEN];
    char sign_b64[GN_BASE64_LEN(GN_ED25519_KEYLEN) + 1];

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        gn_error("keys: cannot create %s: %s", dir, strerror(errno));
        return GN_EIO;
    }
    const char *names[] = { pub_name, sec_name, SIGN_FILE, DATA_FILE };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        struct stat st;
        if ((rc = s_path(path, sizeof path, dir, names[i])) != 0)
            return rc;
        if (!force && lstat(path, &st) == 0) {
            gn_error("keys: %s exists; refusing to replace a node's keys", path);
            return GN_EEXIST;
        }
    }
    if ((rc = gn_sigkey_generate(&sign)) != 0
        || (rc = gn_sigkey_private(sign, priv)) != 0
        || (rc = gn_aead_key_generate(data_key)) != 0
        || (rc = gn_base64_encode(gn_sigkey_public(sign), GN_ED25519_KEYLEN,
                                  sign_b64, sizeof sign_b64)) != 0)
        goto done;
    if (!(cert = zcert_new())) {
        gn_error("keys: cannot create a CURVE key pair");
        rc = GN_ECRYPTO;
        goto done;
    }
    zcert_set_meta(cert, META_NODE, "%s", pub_name);
    zcert_set_meta(cert, META_SIGN, "%s", sign_b64);
    if ((rc = s_write_key_text(dir, SIGN_FILE, "Ed25519 signing key", node, priv)) != 0
        || (rc = s_write_key_text(dir, DATA_FILE, "data key (AES-256-GCM)", node,
                                  data_key)) != 0
        || (rc = s_write_cert(cert, dir, sec_name, true)) != 0
        || (rc = s_write_cert(cert, dir, pub_name, false)) != 0
        || (rc = s_fsync_dir(dir)) != 0)
        goto done;
    gn_info("keys: wrote the keys of node %s to %s", pub_name, dir);
done:
    zcert_destroy(&cert);
    gn_sigkey_destroy(&sign);
    gn_cleanse(priv, sizeof priv);
    gn_cleanse(data_key, sizeof data_key);
    return rc;
}

int
gn_keys_load(gn_keys_t **self_p, const char *dir, uint64_t node)
{
    *self_p = NULL;
    if (gn_node_level(node) == 0)
        return GN_EINVAL;
    int rc;
    char sec_name[32], path[PATH_MAX];
    uint8_t priv[GN_ED25519_KEYLEN];
    cert_info_t info;
    memset(&info, 0, sizeof info);
    snprintf(sec_name, sizeof sec_name, "%" PRIu64 SECRET_SUFFIX, node);
    gn_keys_t *self = calloc(1, sizeof *self);
    if (!self)
        return GN_ENOMEM;
    self->node = node;

    if ((rc = s_path(path, sizeof path, dir, sec_name)) != 0
        || (rc = s_cert_read(path, true, &info)) != 0)
        goto fail;
    if (info.node != node) {
        gn_error("keys: %s belongs to node %" PRIu64 ", not %" PRIu64,
                 path, info.node, node);
        rc = GN_EINVAL;
        goto fail;
    }
    if ((rc = s_path(path, sizeof path, dir, SIGN_FILE)) != 0
        || (rc = s_read_key_text(path, priv)) != 0)
        goto fail;
    if ((rc = gn_sigkey_from_private(&self->sign, priv)) != 0)
        goto fail;
    if (gn_memcmp_ct(gn_sigkey_public(self->sign), info.sign_pub, GN_ED25519_KEYLEN) != 0) {
        gn_error("keys: %s does not match the " META_SIGN " of %s/%s",
                 path, dir, sec_name);
        rc = GN_EINVAL;
        goto fail;
    }
    if ((rc = s_path(path, sizeof path, dir, DATA_FILE)) != 0
        || (rc = s_read_key_text(path, self->data_key)) != 0)
        goto fail;
    if (!(self->curve = zcert_new_from(info.curve_pub, info.curve_sec))) {
        rc = GN_ENOMEM;
        goto fail;
    }
    char sign_b64[GN_BASE64_LEN(GN_ED25519_KEYLEN) + 1];
    if ((rc = gn_base64_encode(info.sign_pub, GN_ED25519_KEYLEN,
                               sign_b64, sizeof sign_b64)) != 0)
        goto fail;
    zcert_set_meta(self->curve, META_NODE, "%" PRIu64, node);
    zcert_set_meta(self->curve, META_SIGN, "%s", sign_b64);
    gn_cleanse(priv, sizeof priv);
    gn_cleanse(&info, sizeof info);
    *self_p = self;
    return GN_OK;
fail:
    gn_cleanse(priv, sizeof priv);
    gn_cleanse(&info, sizeof info);
    gn_keys_destroy(&self);
    return rc;
}

void
gn_keys_destroy(gn_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_keys_t *self = *self_p;
    zcert_destroy(&self->curve);
    gn_sigkey_destroy(&self->sign);
    gn_cleanse(self->data_key, sizeof self->data_key);
    free(self);
    *self_p = NULL;
}

uint64_t
gn_keys_node(const gn_keys_t *self)
{
    return self->node;
}

zcert_t *
gn_keys_curve(gn_keys_t *self)
{
    return self->curve;
}

const char *
gn_keys_curve_public_txt(gn_keys_t *self)
{
    return zcert_public_txt(self->curve);
}

gn_sigkey_t *
gn_keys_sigkey(gn_keys_t *self)
{
    return self->sign;
}

const uint8_t *
gn_keys_data_key(const gn_keys_t *self)
{
    return self->data_key;
}

//  --- The node registry -----------------------------------------------------

static int
s_entry_cmp(const void *a, const void *b)
{
    uint64_t x = ((const registry_entry_t *) a)->node;
    uint64_t y = ((const registry_entry_t *) b)->node;
    return x < y ? -1 : x > y;
}

//  Load dir/name, the public certificate of node, as a new last entry.
static int
s_registry_add(gn_registry_t *self, const char *dir, const char *name, uint64_t node)
{
    char path[PATH_MAX];
    cert_info_t info;
    int rc;
    if ((rc = s_path(path, sizeof path, dir, name)) != 0
        || (rc = s_cert_read(path, false, &info)) != 0)
        return rc;
    if (info.node != node) {
        gn_error("keys: %s says it is node %" PRIu64 ", not the node it is named after",
                 path, info.node);
        return GN_EINVAL;
    }
    if (self->size == self->alloc) {
        size_t alloc = self->alloc ? self->alloc * 2 : 16;
        registry_entry_t *entries = realloc(self->entries, alloc * sizeof *entries);
        if (!entries)
            return GN_ENOMEM;
        self->entries = entries;
        self->alloc = alloc;
    }
    registry_entry_t *entry = &self->entries[self->size];
    memset(entry, 0, sizeof *entry);
    entry->node = node;
    if (!zmq_z85_encode(entry->curve_txt, info.curve_pub, CURVE_KEYLEN))
        return GN_EINVAL;
    if ((rc = gn_sigkey_from_public(&entry->sign, info.sign_pub)) != 0) {
        gn_error("keys: %s: bad " META_SIGN, path);
        return rc;
    }
    self->size++;
    return GN_OK;
}

int
gn_registry_load(gn_registry_t **self_p, const char *dir)
{
    *self_p = NULL;
    int rc = GN_OK;
    gn_registry_t *self = calloc(1, sizeof *self);
    if (!self)
        return GN_ENOMEM;
    DIR *d = opendir(dir);
    if (!d) {
        gn_error("keys: cannot open the registry %s: %s", dir, strerror(errno));
        rc = errno == ENOENT ? GN_ENOTFOUND : GN_EIO;
        goto fail;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        uint64_t node;
        size_t len = strlen(de->d_name);
        size_t slen = strlen(SECRET_SUFFIX);
        if (gn_node_parse(de->d_name, &node) == 0) {
            if ((rc = s_registry_add(self, dir, de->d_name, node)) != 0)
                goto fail;
        }
        else if (len > slen && strcmp(de->d_name + len - slen, SECRET_SUFFIX) == 0)
            gn_warn("keys: %s/%s: a secret file has no place in a registry; ignored",
                    dir, de->d_name);
        errno = 0;
    }
    if (errno != 0) {
        gn_error("keys: cannot read the registry %s: %s", dir, strerror(errno));
        rc = GN_EIO;
        goto fail;
    }
    if (self->size > 0)
        qsort(self->entries, self->size, sizeof *self->entries, s_entry_cmp);
    for (size_t i = 0; i < self->size; i++)
        for (size_t j = i + 1; j < self->size; j++)
            if (strcmp(self->entries[i].curve_txt, self->entries[j].curve_txt) == 0) {
                gn_error("keys: registry %s: nodes %" PRIu64 " and %" PRIu64
                         " share one CURVE key", dir,
                         self->entries[i].node, self->entries[j].node);
                rc = GN_EINVAL;
                goto fail;
            }
    closedir(d);
    *self_p = self;
    return GN_OK;
fail:
    if (d)
        closedir(d);
    gn_registry_destroy(&self);
    return rc;
}

void
gn_registry_destroy(gn_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_registry_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++)
        gn_sigkey_destroy(&self->entries[i].sign);
    free(self->entries);
    free(self);
    *self_p = NULL;
}

size_t
gn_registry_size(const gn_registry_t *self)
{
    return self->size;
}

uint64_t
gn_registry_node_at(const gn_registry_t *self, size_t i)
{
    return i < self->size ? self->entries[i].node : 0;
}

static const registry_entry_t *
s_registry_find(const gn_registry_t *self, uint64_t node)
{
    if (self->size == 0)
        return NULL;
    registry_entry_t key = { .node = node };
    return bsearch(&key, self->entries, self->size, sizeof *self->entries, s_entry_cmp);
}

const char *
gn_registry_curve_txt(const gn_registry_t *self, uint64_t node)
{
    const registry_entry_t *entry = s_registry_find(self, node);
    return entry ? entry->curve_txt : NULL;
}

gn_sigkey_t *
gn_registry_sigkey(const gn_registry_t *self, uint64_t node)
{
    const registry_entry_t *entry = s_registry_find(self, node);
    return entry ? entry->sign : NULL;
}

uint64_t
gn_registry_node_of_curve(const gn_registry_t *self, const char *z85)
{
    if (!z85 || strlen(z85) != GN_CURVE_TXT_LEN)
        return 0;
    for (size_t i = 0; i < self->size; i++)
        if (strcmp(self->entries[i].curve_txt, z85) == 0)
            return self->entries[i].node;
    return 0;
}

//  --- A key shared by the nodes of a district --------------------------------

int
gn_keys_shared(const char *dir, const char *name, bool create, uint8_t key[32])
{
    char path[PATH_MAX];
    int rc = s_path(path, sizeof path, dir, name);
    if (rc != 0)
        return rc;
    rc = s_read_key_text(path, key);
    if (rc != GN_ENOTFOUND || !create)
        return rc;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return GN_EIO;
    if ((rc = gn_aead_key_generate(key)) != 0
        || (rc = s_write_key_text(dir, name, "district personal-data key", 0, key)) != 0)
        return rc;
    gn_info("keys: created the district's personal-data key %s", path);
    //  Another node may have created it at the same moment: use what is on disk.
    return s_read_key_text(path, key);
}
