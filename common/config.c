/*  config.c -- node settings: one table, read from a ZPL file.

    Every setting is one row of s_settings: its path in the file, how its
    text is parsed, where it lands in gn_config_t, its default, its bounds
    and its description. Defaults, gn_config_set, the file reader and the
    example printer all work from that one table, so a new setting is one
    new row (and one new field in gn_config_t).

    The file is read with czmq's zconfig. Every item in it must be a known
    section or a known key, and each key may appear once: a typo is an
    error, never a silently ignored line. Errors are one line in err.  */
#include "config.h"
#include "codec.h"
#include "err.h"
#include "ids.h"
#include "log.h"

#include <czmq.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

typedef enum {
    S_NODE,                 //  12-digit node code; "" leaves it unset (0)
    S_TEXT,                 //  string, its length within [min, buffer size - 1]
    S_LOG,                  //  log level name, as gn_log_level_parse takes
    S_U32,                  //  decimal number within [min, max]
    S_U64                   //  decimal number within [min, max]
} s_type_t;

typedef struct {
    const char *path;       //  "section/name", as in the file
    s_type_t type;          //  how the text value is parsed
    size_t offset;          //  where the value lives in gn_config_t
    size_t size;            //  bytes at offset (text: the buffer, with its NUL)
    const char *def;        //  default, as text, parsed like a value from the file
    uint64_t min;           //  numbers: smallest value; text: shortest length
    uint64_t max;           //  numbers: largest value; unused for other types
    const char *help;       //  one line for the example config
} s_setting_t;

//  Offset and size of a gn_config_t field, for the table.
#define S_AT(field) offsetof(gn_config_t, field), sizeof(((gn_config_t *) 0)->field)

static const s_setting_t s_settings [] = {
    { "node/id", S_NODE, S_AT(node), "", 0, 0,
      "this node's 12-digit division code (required); it fixes the level" },
    { "node/data", S_TEXT, S_AT(data), "./data", 1, 0,
      "data directory: LMDB environment, keys, endpoints file" },
    { "node/log", S_LOG, S_AT(log_level), "info", 0, 0,
      "log level: error | warn | info | debug" },
    { "node/tick", S_U32, S_AT(tick_ms), "1000", 10, 60000,
      "ms between periodic ticks (deadlines, liveness)" },
    { "api/bind", S_TEXT, S_AT(api_bind), "tcp://127.0.0.1:*", 1, 0,
      "client API endpoint (ROUTER); * = ephemeral port" },
    { "api/auth", S_U32, S_AT(auth), "0", 0, 1,
      "1 = operators log in (gridctl login) and act as themselves; 0 = the local console" },
    { "pub/bind", S_TEXT, S_AT(pub_bind), "tcp://127.0.0.1:*", 1, 0,
      "change stream endpoint (PUB)" },
    { "sync/bind", S_TEXT, S_AT(child_bind), "tcp://127.0.0.1:*", 1, 0,
      "towns, district: the endpoint children connect to" },
    { "sync/parent", S_TEXT, S_AT(parent), "", 0, 0,
      "villages, towns: the parent's sync endpoint (required); empty for a district" },
    { "sync/batch", S_U32, S_AT(batch_ops), "512", 1, GN_BATCH_ENTRIES,
      "max entries per batch" },
    { "sync/window", S_U32, S_AT(window), "8", 1, 1024,
      "batches in flight per link" },
    { "sync/heartbeat", S_U32, S_AT(heartbeat_ms), "1000", 10, 600000,
      "ms between pings; a peer is dead after 3 missed" },
    { "sync/startup", S_U32, S_AT(startup_ms), "3000", 0, 600000,
      "ms the API waits at start for the parent's WELCOME, so a node restored from an old "
      "copy reuses no id; after it, the node works offline" },
    { "sync/snapshot", S_U32, S_AT(snapshot), "1", 0, 1,
      "towns, district: 1 = a child with nothing of our stream gets our state first "
      "(SNAPSHOT); 0 = it replays our whole feed (slower; for comparison)" },
    { "store/map", S_U64, S_AT(map_mb), "64", 1, 1048576,
      "initial LMDB map size in MiB (grows on demand)" },
    { "security/keys", S_TEXT, S_AT(keys), "", 0, 0,
      "this node's key directory (gridctl keygen); empty = <data>/keys" },
    { "security/registry", S_TEXT, S_AT(registry), "", 0, 0,
      "directory of the nodes' public certificates; empty = <data>/../registry" },
    { "security/autokeys", S_U32, S_AT(autokeys), "1", 0, 1,
      "1 = create missing keys at first start and publish the certificate to the registry" },
    { "security/insecure", S_U32, S_AT(insecure), "0", 0, 1,
      "1 = links without CURVE or an allowlist: development only, never in production" },
    { "security/pii", S_TEXT, S_AT(pii), "", 0, 0,
      "the district's personal-data key file; empty = <registry>/../pii_secret" },
    { "http/bind", S_TEXT, S_AT(http_bind), "", 0, 0,
      "HTTP front (the pages at /, Open311 GeoReport v2 at /open311/v2, /metrics) as "
      "host:port, e.g. 127.0.0.1:8080; port 0 or * = ephemeral; empty = off" },
    { "http/keys", S_TEXT, S_AT(http_keys), "", 0, 0,
      "api keys for POST requests, one a line: KEY CHANNEL NAME (channel wechat, app, web, "
      "hotline...); 0600 like every secret; empty = <data>/http_keys" },
    { "http/max_body", S_U32, S_AT(http_max_body), "65536", 1024, 1048576,
      "bytes of a request body at most; a larger one gets 413" },
    { "http/contact", S_TEXT, S_AT(http_contact), "", 0, 0,
      "who runs this front, for Open311 discovery; empty = the node's operators" },
    { "http/tls_cert", S_TEXT, S_AT(http_tls_cert), "", 0, 0,
      "PEM certificate (chain) to serve HTTPS with; empty = plain HTTP, for 127.0.0.1 only" },
    { "http/tls_key", S_TEXT, S_AT(http_tls_key), "", 0, 0,
      "the certificate's PEM private key, 0600 like every secret; set with http/tls_cert" },
};
#define S_COUNT (sizeof s_settings / sizeof s_settings [0])

#define CONFIG_FILE_MAX (1 << 20)   // bytes of a config file

static const char *s_level_names [] = { "node", "district", "town", "village" };

//  Write a one-line reason into err (control characters, which could come
//  from a value, become '?'), and return GN_ECONFIG.
static int
s_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, errlen, fmt, args);
        va_end(args);
        for (char *c = err; *c; c++)
            if ((unsigned char) *c < 0x20 || *c == 0x7F)
                *c = '?';
    }
    return GN_ECONFIG;
}

static const s_setting_t *
s_find(const char *path)
{
    for (size_t i = 0; i < S_COUNT; i++)
        if (strcmp(s_settings [i].path, path) == 0)
            return &s_settings [i];
    return NULL;
}

//  True if path is the section of some setting ("sync" for "sync/window").
static bool
s_is_section(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < S_COUNT; i++)
        if (strncmp(s_settings [i].path, path, len) == 0 && s_settings [i].path [len] == '/')
            return true;
    return false;
}

//  Strict decimal: digits only, no sign, no spaces. 0, or -1 if the text is
//  not a number, or -2 if it does not fit in 64 bits.
static int
s_number(const char *text, uint64_t *value)
{
    uint64_t v = 0;
    if (!*text)
        return -1;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        unsigned digit = (unsigned) (*c - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -2;
        v = v * 10 + digit;
    }
    *value = v;
    return 0;
}

//  Copy a text value of len bytes into its buffer at, if its length fits.
static int
s_apply_text(char *at, const s_setting_t *s, const char *value, size_t len,
             char *err, size_t errlen)
{
    if (len < s->min)
        return s_fail(err, errlen, "%s must not be empty", s->path);
    if (len > s->size - 1)
        return s_fail(err, errlen, "%s is %zu bytes long, at most %zu allowed",
                      s->path, len, s->size - 1);
    memcpy(at, value, len + 1);
    return GN_OK;
}

//  Parse value for setting s and store it in cfg; cfg is unchanged on error.
static int
s_apply(gn_config_t *cfg, const s_setting_t *s, const char *value, char *err, size_t errlen)
{
    char *at = (char *) cfg + s->offset;
    size_t len = strlen(value);

    switch (s->type) {
    case S_NODE: {
        uint64_t node = 0;
        if (len > 0 && gn_node_parse(value, &node) != 0)
            return s_fail(err, errlen, "%s: '%.40s' is not a 12-digit division code",
                          s->path, value);
        *(uint64_t *) at = node;
        return GN_OK;
    }
    case S_LOG:
        if (gn_log_level_parse(value) < 0)
            return s_fail(err, errlen, "%s: '%.40s' is not one of error, warn, info, debug",
                          s->path, value);
        return s_apply_text(at, s, value, len, err, errlen);
    case S_TEXT:
        return s_apply_text(at, s, value, len, err, errlen);
    case S_U32:
    case S_U64: {
        uint64_t number = 0;
        int rc = s_number(value, &number);
        if (rc == -1)
            return s_fail(err, errlen, "%s: '%.40s' is not a number (digits only)",
                          s->path, value);
        if (rc != 0 || number < s->min || number > s->max)
            return s_fail(err, errlen, "%s = %.40s is out of bounds [%llu, %llu]",
                          s->path, value, (unsigned long long) s->min,
                          (unsigned long long) s->max);
        if (s->type == S_U32)
            *(uint32_t *) at = (uint32_t) number;
        else
            *(uint64_t *) at = number;
        return GN_OK;
    }
    }
    return s_fail(err, errlen, "%s: bad setting type", s->path);
}

//  Apply every item of one zconfig level. prefix is the section path ("" at
//  the top); seen marks settings already given, by their table index.
static int
s_walk(gn_config_t *cfg, zconfig_t *item, const char *prefix, bool *seen,
       char *err, size_t errlen)
{
    for (; item; item = zconfig_next(item)) {
        const char *name = zconfig_name(item);
        const char *value = zconfig_value(item);
        char path [128];
        int n = snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "/" : "",
                         name ? name : "");
        if (n < 0 || (size_t) n >= sizeof path)
            return s_fail(err, errlen, "unknown key '%.60s...'", path);

        const s_setting_t *s = s_find(path);
        if (s) {
            size_t index = (size_t) (s - s_settings);
            if (zconfig_child(item))
                return s_fail(err, errlen, "%s is a setting and cannot have keys below it",
                              path);
            if (seen [index])
                return s_fail(err, errlen, "%s is given twice", path);
            seen [index] = true;
            int rc = s_apply(cfg, s, value ? value : "", err, errlen);
            if (rc != GN_OK)
                return rc;
        }
        else
        if (s_is_section(path)) {
            if (value && *value)
                return s_fail(err, errlen, "%s is a section, not a setting: "
                              "put its keys indented below it", path);
            int rc = s_walk(cfg, zconfig_child(item), path, seen, err, errlen);
            if (rc != GN_OK)
                return rc;
        }
        else
            return s_fail(err, errlen, "unknown key '%s'", path);
    }
    return GN_OK;
}

//  Read the ZPL file at path into cfg. The text is read here and parsed with
//  zconfig_str_load: zconfig_load (czmq 4.2) leaks its zfile_t when the
//  file has a syntax error.
static int
s_read_file(gn_config_t *cfg, const char *path, char *err, size_t errlen)
{
    bool seen [S_COUNT] = { false };
    zconfig_t *root = NULL;
    char *text = NULL;
    struct stat st;
    int rc = GN_OK;

    FILE *file = fopen(path, "r");
    if (!file) {
        rc = s_fail(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        goto done;
    }
    if (fstat(fileno(file), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = s_fail(err, errlen, "config file %s is not a regular file", path);
        goto done;
    }
    if (st.st_size > CONFIG_FILE_MAX) {
        rc = s_fail(err, errlen, "config file %s is larger than %d bytes", path,
                    CONFIG_FILE_MAX);
        goto done;
    }
    size_t size = (size_t) st.st_size;
    text = malloc(size + 1);
    if (!text) {
        rc = s_fail(err, errlen, "out of memory reading config file %s", path);
        goto done;
    }
    if (fread(text, 1, size, file) != size || ferror(file)) {
        rc = s_fail(err, errlen, "cannot read config file %s", path);
        goto done;
    }
    text [size] = '\0';
    if (strlen(text) != size) {
        rc = s_fail(err, errlen, "config file %s holds a NUL byte", path);
        goto done;
    }
    if (size == 0)
        goto done;                  //  empty: nothing to read (zconfig refuses it)

    root = zconfig_str_load(text);
    if (!root) {
        rc = s_fail(err, errlen, "config file %s is not valid ZPL "
                    "(zconfig logged the line; indent by 4 spaces)", path);
        goto done;
    }
    rc = s_walk(cfg, zconfig_child(root), "", seen, err, errlen);
done:
    zconfig_destroy(&root);
    free(text);
    if (file)
        (void) fclose(file);        //  read only: nothing to lose
    return rc;
}

//  The checks across settings: node/id is there, and, when the caller names
//  its level, the id fits it and sync/parent is there exactly when that level
//  has a parent. With level 0 the caller checks those itself, after any
//  overrides (gn_config_set) that may supply what the file lacks.
static int
s_check(const gn_config_t *cfg, int level, char *err, size_t errlen)
{
    if (level < 0 || level > 3)
        return s_fail(err, errlen, "level %d is not 1..3 (or 0 for any)", level);
    if (cfg->node == 0)
        return s_fail(err, errlen, "node/id is required");
    if (level == 0)
        return GN_OK;

    int node_level = gn_node_level(cfg->node);
    if (node_level != level)
        return s_fail(err, errlen, "node/id %012llu is a %s code (level %d), "
                      "this daemon runs a %s (level %d)",
                      (unsigned long long) cfg->node, s_level_names [node_level], node_level,
                      s_level_names [level], level);
    if (level == 1 && cfg->parent [0])
        return s_fail(err, errlen, "sync/parent must be empty for a district "
                      "(it has no parent in gridnet)");
    if (level > 1 && !cfg->parent [0])
        return s_fail(err, errlen, "sync/parent is required for a %s", s_level_names [level]);
    return GN_OK;
}

int
gn_config_load(gn_config_t *cfg, const char *path, int level, char *err, size_t errlen)
{
    int rc = GN_OK;
    if (err && errlen > 0)
        err [0] = '\0';
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < S_COUNT; i++) {
        rc = s_apply(cfg, &s_settings [i], s_settings [i].def, err, errlen);
        if (rc != GN_OK)
            goto done;              //  a bad default: a bug in the table
    }
    if (path) {
        rc = s_read_file(cfg, path, err, errlen);
        if (rc != GN_OK)
            goto done;
    }
    rc = s_check(cfg, level, err, errlen);
done:
    return rc;
}

int
gn_config_set(gn_config_t *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    const s_setting_t *s = key ? s_find(key) : NULL;
    if (!s)
        return s_fail(err, errlen, "unknown key '%.60s'", key ? key : "");
    if (!value)
        return s_fail(err, errlen, "%s: no value", s->path);
    return s_apply(cfg, s, value, err, errlen);
}

void
gn_config_print_example(FILE *out)
{
    fprintf(out,
        "#   gridnet node configuration, in ZPL (czmq's zconfig format).\n"
        "#   Indent by 4 spaces; '#' starts a comment. Every key is shown with its\n"
        "#   default; a key left out keeps its default. Unknown keys are refused.\n"
        "#   Set node/id, and sync/parent for a village or a town, before use.\n");
    const char *section = "";
    size_t section_len = 0;
    for (size_t i = 0; i < S_COUNT; i++) {
        const s_setting_t *s = &s_settings [i];
        const char *name = strchr(s->path, '/') + 1;
        size_t len = (size_t) (name - 1 - s->path);
        if (len != section_len || strncmp(s->path, section, len) != 0) {
            fprintf(out, "\n%.*s\n", (int) len, s->path);
            section = s->path;
            section_len = len;
        }
        if (s->type == S_U32 || s->type == S_U64)
            fprintf(out, "    #   %s [%llu, %llu]\n    %s = %s\n", s->help,
                    (unsigned long long) s->min, (unsigned long long) s->max, name, s->def);
        else
            fprintf(out, "    #   %s\n    %s = \"%s\"\n", s->help, name, s->def);
    }
}
