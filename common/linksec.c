/*  linksec.c -- keys, registry and the ZAP allowlist for the sync links.  */
#include "linksec.h"
#include "err.h"
#include "ids.h"
#include "log.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _gn_linksec_t {
    bool insecure;              // enforce nothing (development only)
    uint64_t self;              // this node
    char keys_dir[600];         // this node's key directory
    char registry_dir[600];     // the nodes' public certificates
    char allow_dir[640];        // children's certificates, for zauth
    gn_keys_t *keys;            // this node's keys
    gn_registry_t *registry;    // loaded registry
    struct timespec seen;       // registry directory mtime when loaded
    zactor_t *auth;             // the ZAP authenticator, or NULL
    uint8_t pii[32];            // the district's personal-data key
};

static int
s_mtime(const char *dir, struct timespec *ts)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return GN_EIO;
    *ts = st.st_mtim;
    return GN_OK;
}

//  Copy the children's certificates into the allowlist directory, and drop
//  any that are no longer in the registry.
static int
s_allow_write(gn_linksec_t *self)
{
    if (mkdir(self->allow_dir, 0700) != 0 && errno != EEXIST)
        return GN_EIO;
    zdir_t *old = zdir_new(self->allow_dir, NULL);
    if (old) {
        zfile_t **files = (zfile_t **) zdir_flatten(old);
        for (size_t i = 0; files && files[i]; i++) {
            uint64_t node;
            const char *name = strrchr(zfile_filename(files[i], NULL), '/');
            name = name ? name + 1 : zfile_filename(files[i], NULL);
            if (gn_node_parse(name, &node) != 0 || gn_node_parent(node) != self->self
                || !gn_registry_curve_txt(self->registry, node))
                zfile_remove(files[i]);
        }
        zdir_flatten_free(&files);
        zdir_destroy(&old);
    }
    for (size_t i = 0; i < gn_registry_size(self->registry); i++) {
        uint64_t node = gn_registry_node_at(self->registry, i);
        if (gn_node_parent(node) != self->self)
            continue;
        char src[700], dst[700];
        snprintf(src, sizeof src, "%s/%012llu", self->registry_dir, (unsigned long long) node);
        snprintf(dst, sizeof dst, "%s/%012llu", self->allow_dir, (unsigned long long) node);
        zcert_t *cert = zcert_load(src);
        int rc = cert ? zcert_save_public(cert, dst) : -1;
        zcert_destroy(&cert);
        if (rc != 0) {
            gn_error("linksec: cannot put %s in the allowlist", src);
            return GN_EIO;
        }
    }
    return GN_OK;
}

static int
s_registry_load(gn_linksec_t *self)
{
    gn_registry_t *fresh = NULL;
    struct timespec ts;
    if (s_mtime(self->registry_dir, &ts) != 0)
        return GN_ENOTFOUND;
    int rc = gn_registry_load(&fresh, self->registry_dir);
    if (rc != 0)
        return rc;
    gn_registry_destroy(&self->registry);
    self->registry = fresh;
    self->seen = ts;
    return self->auth ? s_allow_write(self) : GN_OK;
}

//  Publish our public certificate in the registry (a host-local registry).
static int
s_publish(gn_linksec_t *self)
{
    char src[700], dst[700], tmp[720];
    snprintf(src, sizeof src, "%s/%012llu", self->keys_dir, (unsigned long long) self->self);
    snprintf(dst, sizeof dst, "%s/%012llu", self->registry_dir, (unsigned long long) self->self);
    snprintf(tmp, sizeof tmp, "%s/.%012llu.%d", self->registry_dir,
             (unsigned long long) self->self, (int) getpid());
    if (mkdir(self->registry_dir, 0755) != 0 && errno != EEXIST)
        return GN_EIO;
    zcert_t *cert = zcert_load(src);
    zcert_t *there = zcert_load(dst);
    bool same = cert && there && zcert_eq(cert, there);
    zcert_destroy(&there);
    if (same) {   // already published: leave the file (and the others' reloads) alone
        zcert_destroy(&cert);
        return GN_OK;
    }
    //  Whole or not at all: other nodes may be reading the registry right now.
    int rc = cert ? zcert_save_public(cert, tmp) : -1;
    zcert_destroy(&cert);
    if (rc == 0 && rename(tmp, dst) != 0)
        rc = -1;
    if (rc != 0)
        (void) unlink(tmp);
    return rc == 0 ? GN_OK : GN_EIO;
}

gn_linksec_t *
gn_linksec_new(const gn_config_t *cfg, char *err, size_t errlen)
{
    gn_linksec_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    self->self = cfg->node;
    self->insecure = cfg->insecure != 0;
    if (self->insecure) {
        gn_warn("linksec: security/insecure is set: sync links are neither encrypted nor "
                "authenticated. Development only");
        return self;
    }
    if (!zsys_has_curve()) {
        snprintf(err, errlen, "this libzmq has no CURVE support: cannot secure the links");
        goto fail;
    }
    if (cfg->keys[0])
        snprintf(self->keys_dir, sizeof self->keys_dir, "%s", cfg->keys);
    else
        snprintf(self->keys_dir, sizeof self->keys_dir, "%s/%s", cfg->data, GN_KEYS_SUBDIR);
    if (cfg->registry[0])
        snprintf(self->registry_dir, sizeof self->registry_dir, "%s", cfg->registry);
    else {
        char data[512];
        snprintf(data, sizeof data, "%s", cfg->data);
        snprintf(self->registry_dir, sizeof self->registry_dir, "%s/registry", dirname(data));
    }
    snprintf(self->allow_dir, sizeof self->allow_dir, "%s/allow", cfg->data);

    int rc = gn_keys_load(&self->keys, self->keys_dir, cfg->node);
    if (rc == GN_ENOTFOUND && cfg->autokeys) {
        gn_info("linksec: no keys in %s: creating them (security/autokeys)", self->keys_dir);
        if ((rc = gn_keys_generate(self->keys_dir, cfg->node, false)) == 0)
            rc = gn_keys_load(&self->keys, self->keys_dir, cfg->node);
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot load the keys in %s: %s (create them with: gridctl "
                 "keygen --dir %s --node %012llu)", self->keys_dir, gn_strerror(rc),
                 self->keys_dir, (unsigned long long) cfg->node);
        goto fail;
    }
    {
        char dir[600], name[128] = "pii_secret";
        if (cfg->pii[0]) {
            char a[512], b[512];
            snprintf(a, sizeof a, "%s", cfg->pii);
            snprintf(b, sizeof b, "%s", cfg->pii);
            snprintf(dir, sizeof dir, "%s", dirname(a));
            snprintf(name, sizeof name, "%s", basename(b));
        }
        else {
            char a[600];
            snprintf(a, sizeof a, "%s", self->registry_dir);
            snprintf(dir, sizeof dir, "%s", dirname(a));
        }
        //  Only the district makes the personal-data key: a node that made
        //  its own could not read what the others sealed.
        bool create = cfg->autokeys != 0 && gn_node_level(cfg->node) == 1;
        if ((rc = gn_keys_shared(dir, name, create, self->pii)) != 0) {
            snprintf(err, errlen, "cannot load the personal-data key %s/%s: %s (copy the "
                     "district's, which it creates at its first start)", dir, name,
                     gn_strerror(rc));
            goto fail;
        }
    }
    if (cfg->autokeys && (rc = s_publish(self)) != 0) {
        snprintf(err, errlen, "cannot publish the certificate in %s", self->registry_dir);
        goto fail;
    }
    if (gn_node_level(cfg->node) < 3) {
        //  The authenticator starts before anything binds.
        self->auth = zactor_new(zauth, NULL);
        if (!self->auth) {
            snprintf(err, errlen, "cannot start the ZAP authenticator");
            goto fail;
        }
    }
    if ((rc = s_registry_load(self)) != 0) {
        snprintf(err, errlen, "cannot load the registry %s: %s", self->registry_dir,
                 gn_strerror(rc));
        goto fail;
    }
    if (self->auth) {
        if (zstr_sendx(self->auth, "CURVE", self->allow_dir, NULL) != 0
            || zsock_wait(self->auth) != 0) {
            snprintf(err, errlen, "the ZAP authenticator refused its configuration");
            goto fail;
        }
    }
    return self;
fail:
    gn_linksec_destroy(&self);
    return NULL;
}

void
gn_linksec_destroy(gn_linksec_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gn_linksec_t *self = *self_p;
    zactor_destroy(&self->auth);
    gn_cleanse(self->pii, sizeof self->pii);
    gn_registry_destroy(&self->registry);
    gn_keys_destroy(&self->keys);
    free(self);
    *self_p = NULL;
}

int
gn_linksec_server(gn_linksec_t *self, zsock_t *down, char *err, size_t errlen)
{
    if (self->insecure)
        return GN_OK;
    zcert_apply(gn_keys_curve(self->keys), down);
    zsock_set_curve_server(down, 1);
    zsock_set_zap_domain(down, "gridnet");
    if (zsock_mechanism(down) != ZMQ_CURVE) {
        snprintf(err, errlen, "cannot make the sync socket a CURVE server");
        return GN_ECRYPTO;
    }
    return GN_OK;
}

int
gn_linksec_client(gn_linksec_t *self, zsock_t *up, char *err, size_t errlen)
{
    if (self->insecure)
        return GN_OK;
    uint64_t parent = gn_node_parent(self->self);
    const char *key = gn_registry_curve_txt(self->registry, parent);
    if (!key) {
        snprintf(err, errlen, "the registry %s has no certificate for the parent %012llu",
                 self->registry_dir, (unsigned long long) parent);
        return GN_ENOTFOUND;
    }
    zcert_apply(gn_keys_curve(self->keys), up);
    zsock_set_curve_serverkey(up, key);
    if (zsock_mechanism(up) != ZMQ_CURVE) {
        snprintf(err, errlen, "cannot make the parent link a CURVE client");
        return GN_ECRYPTO;
    }
    return GN_OK;
}

uint64_t
gn_linksec_node_of(gn_linksec_t *self, const char *user_id)
{
    if (self->insecure || !user_id)
        return 0;
    return gn_registry_node_of_curve(self->registry, user_id);
}

bool
gn_linksec_insecure(gn_linksec_t *self)
{
    return self->insecure;
}

void
gn_linksec_refresh(gn_linksec_t *self)
{
    struct timespec ts;
    if (self->insecure || s_mtime(self->registry_dir, &ts) != 0)
        return;
    if (ts.tv_sec == self->seen.tv_sec && ts.tv_nsec == self->seen.tv_nsec)
        return;
    int rc = s_registry_load(self);
    if (rc != 0)
        gn_warn("linksec: registry %s not reloaded: %s", self->registry_dir, gn_strerror(rc));
    else
        gn_info("linksec: registry reloaded (%zu nodes)", gn_registry_size(self->registry));
}

gn_keys_t *
gn_linksec_keys(gn_linksec_t *self)
{
    return self->keys;
}

const char *
gn_linksec_registry_dir(gn_linksec_t *self)
{
    return self->registry_dir;
}

gn_registry_t *
gn_linksec_registry(gn_linksec_t *self)
{
    return self->registry;
}

const uint8_t *
gn_linksec_pii(gn_linksec_t *self)
{
    return self->insecure ? NULL : self->pii;
}
