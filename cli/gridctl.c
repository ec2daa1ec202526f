/*  gridctl.c -- command-line client of a gridnet node (docs/interfaces.md).

        gridctl [-n ENDPOINT | -d DATADIR] [--json] [--timeout MS] COMMAND [ARGS]

    Each command checks its arguments, builds one ApiRequest, makes one call
    through the client library and prints the reply: for people as fields and
    tables, with --json as the reply body in JSON (common/pbjson, keys sorted,
    so the answers of two nodes can be compared with diff).

    Exit codes: 0 ok; 1 the node refused; 2 usage error; 3 the node could not
    be reached or did not answer in time. Every error is one line on stderr,
    starting "gridctl: ".  */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "client.h"
#include "codec.h"
#include "err.h"
#include "ids.h"
#include "pbjson.h"

#include <czmq.h>       // zsys_handler_set only: let Ctrl-C end gridctl at once
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define EXIT_REFUSED      1         // the node answered with an error
#define EXIT_USAGE        2         // bad command line
#define EXIT_UNREACHABLE  3         // no answer within the timeout
#define TIMEOUT_DEFAULT   5000      // ms
#define TIMEOUT_MAX       86400000  // ms: one day
#define ENUM_NAME_MAX     32        // buffer for a short enum name
#define NUM_TEXT_MAX      24        // buffer for any uint64 in decimal

//  s_getopt results besides option codes
#define OPT_END           -1        // no more options
#define OPT_FAILED        -2        // usage error, already printed
#define OPT_HELP          -3        // -h: usage printed, exit 0

//  Option codes of long-only options
enum {
    OPT_JSON = 256, OPT_TIMEOUT,
    OPT_GRID, OPT_CATEGORY, OPT_TITLE, OPT_DESCRIPTION, OPT_SEVERITY, OPT_CHANNEL,
    OPT_REPORTER_KIND, OPT_REPORTER_ID, OPT_REPORTER_NAME, OPT_PHONE, OPT_LAT, OPT_LON,
    OPT_ADDRESS, OPT_ACTOR, OPT_STATUS, OPT_OWNER, OPT_LIMIT, OPT_AFTER, OPT_NOTE, OPT_TO,
    OPT_ASSIGNEE, OPT_PASS, OPT_FAIL, OPT_RATING,
};

typedef struct {
    const char *node;           // -n: API endpoint from the command line, or NULL
    const char *data;           // -d: data directory holding the endpoints file, or NULL
    bool json;                  // --json: print the reply body as JSON
    int timeout_ms;             // --timeout: deadline of the call, ms
    char endpoint[512];         // endpoint of the call, once resolved
} gridctl_t;

typedef struct _cmd_t cmd_t;
//  Parses the command's arguments (argv[0] is the command name), calls the
//  node and prints. Returns the exit code.
typedef int (cmd_fn)(gridctl_t *self, const cmd_t *cmd, int argc, char **argv);

struct _cmd_t {
    const char *name;           // command word; for workflow actions also the Action name
    cmd_fn *handler;            // does the work
    const struct option *opts;  // the command's own options (NULL: none)
    const char *usage;          // arguments after the name
    const char *help;           // one-line description
};

static bool s_utf8_locale;      // true if the locale's charset is UTF-8 (table widths)

//  --------------------------------------------------------------------------
//  Errors: one line on stderr

//  Copy of s with control characters (C0, DEL, C1) replaced by spaces, except
//  newlines when keep_newlines. Caller frees; NULL if memory ran out.
static char *
s_clean(const char *s, bool keep_newlines)
{
    char *copy = strdup(s ? s : "");
    if (!copy)
        return NULL;
    unsigned char *p = (unsigned char *) copy;
    for (; *p; p++) {
        if (*p == '\n' && keep_newlines)
            continue;
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
        else
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            p[0] = ' ';
            p[1] = ' ';
            p++;
        }
    }
    return copy;
}

static void s_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
s_error(const char *fmt, ...)
{
    char line[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    if (n < 0)
        (void) snprintf(line, sizeof line, "error");
    char *clean = s_clean(line, false);
    fprintf(stderr, "gridctl: %s\n", clean ? clean : line);
    free(clean);
}

//  Report a usage error; returns EXIT_USAGE.
static int s_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int
s_usage(const char *fmt, ...)
{
    char line[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    s_error("%s", n < 0 ? "usage error" : line);
    return EXIT_USAGE;
}

//  --------------------------------------------------------------------------
//  Argument checks: bad input gets its one-line error before anything is sent

//  A decimal integer in 0..max, all of text; no sign, no spaces.
static int
s_parse_u64(const char *text, uint64_t max, uint64_t *value)
{
    if (!text || *text < '0' || *text > '9')
        return GN_EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return GN_EINVAL;
    *value = v;
    return GN_OK;
}

//  A finite decimal number in lo..hi, all of text.
static int
s_parse_double(const char *text, double lo, double hi, double *value)
{
    if (!text || !*text)
        return GN_EINVAL;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return GN_EINVAL;
    *value = v;
    return GN_OK;
}

//  Text within max bytes of valid UTF-8. Returns 0 or EXIT_USAGE.
static int
s_check_text(const char *cmd, const char *opt, const char *text, size_t max)
{
    size_t len = strlen(text);
    if (len > max)
        return s_usage("%s: %s is longer than %zu bytes", cmd, opt, max);
    if (!gn_utf8_valid(text, len))
        return s_usage("%s: %s is not valid UTF-8", cmd, opt);
    return 0;
}

//  A named enum value other than the unspecified 0. Returns 0 or EXIT_USAGE.
static int
s_check_enum(const char *cmd, const char *opt, const ProtobufCEnumDescriptor *d,
             const char *text, int *value)
{
    int v = 0;
    if (gn_pbjson_enum_parse(d, text, &v) == 0 && v != 0) {
        *value = v;
        return 0;
    }
    char names[256] = "";
    size_t used = 0;
    for (unsigned i = 0; i < d->n_values; i++) {
        if (d->values[i].value == 0)
            continue;
        char name[ENUM_NAME_MAX];
        int n = snprintf(names + used, sizeof names - used, "%s%s", used ? "|" : "",
                         gn_pbjson_enum_name(d, d->values[i].value, name, sizeof name));
        if (n < 0 || (size_t) n >= sizeof names - used)
            break;
        used += (size_t) n;
    }
    return s_usage("%s: %s must be one of %s, not '%s'", cmd, opt, names, text);
}

static int
s_check_node(const char *cmd, const char *opt, const char *text, uint64_t *node)
{
    if (gn_node_parse(text, node) != 0)
        return s_usage("%s: %s '%s' is not a 12-digit node code", cmd, opt, text);
    return 0;
}

static int
s_check_grid(const char *cmd, const char *text)
{
    uint64_t village;
    unsigned serial;
    if (gn_grid_parse(text, &village, &serial) != 0)
        return s_usage("%s: grid '%s' is not <village code>-<001..999>", cmd, text);
    return 0;
}

static int
s_check_case_id(const char *cmd, const char *text)
{
    uint64_t origin, n;
    if (gn_case_id_parse(text, &origin, &n) != 0)
        return s_usage("%s: '%s' is not a case id (<node code>-<n>)", cmd, text);
    return 0;
}

//  The one positional argument a command takes. Returns 0 or EXIT_USAGE.
static int
s_one_arg(const char *cmd, const char *what, int argc, char **argv, const char **arg)
{
    if (optind >= argc)
        return s_usage("%s: missing %s", cmd, what);
    if (optind + 1 < argc)
        return s_usage("%s: unexpected argument '%s'", cmd, argv[optind + 1]);
    *arg = argv[optind];
    return 0;
}

static int
s_no_args(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return s_usage("%s: unexpected argument '%s'", cmd, argv[optind]);
    return 0;
}

//  --------------------------------------------------------------------------
//  Options: the common ones are accepted before and after the command

static const struct option s_common_opts[] = {
    { "node", required_argument, NULL, 'n' },
    { "data", required_argument, NULL, 'd' },
    { "json", no_argument, NULL, OPT_JSON },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static void
s_print_command(FILE *out, const cmd_t *cmd)
{
    fprintf(out, "  %-10s %s\n  %-10s gridctl %s%s%s\n", cmd->name, cmd->help, "", cmd->name,
            *cmd->usage ? " " : "", cmd->usage);
}

//  The next option of the command's own (cmd->opts), after handling the
//  common ones. Returns its code, OPT_END, OPT_FAILED or OPT_HELP. cmd NULL:
//  the options before the command word.
static int
s_getopt(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    struct option all[48];
    size_t n = 0;
    for (const struct option *o = cmd ? cmd->opts : NULL; o && o->name; o++) {
        assert(n < sizeof all / sizeof all[0] - 6);
        all[n++] = *o;
    }
    for (const struct option *o = s_common_opts; o->name; o++)
        all[n++] = *o;
    all[n] = (struct option) { NULL, 0, NULL, 0 };

    const char *where = cmd ? cmd->name : NULL;
    opterr = 0;
    while (true) {
        int c = getopt_long(argc, argv, cmd ? ":n:d:h" : "+:n:d:h", all, NULL);
        switch (c) {
        case 'n':
            self->node = optarg;
            break;
        case 'd':
            self->data = optarg;
            break;
        case OPT_JSON:
            self->json = true;
            break;
        case OPT_TIMEOUT: {
            uint64_t ms;
            if (s_parse_u64(optarg, TIMEOUT_MAX, &ms) != 0 || ms == 0) {
                s_usage("--timeout must be 1..%d ms, not '%s'", TIMEOUT_MAX, optarg);
                return OPT_FAILED;
            }
            self->timeout_ms = (int) ms;
            break;
        }
        case 'h':
            if (cmd) {
                printf("usage:\n");
                s_print_command(stdout, cmd);
            }
            return OPT_HELP;
        case ':':
            if (optopt > 0 && optopt < 256)
                s_usage("%s%soption '-%c' needs a value", where ? where : "", where ? ": " : "",
                        optopt);
            else
                s_usage("%s%soption '%s' needs a value", where ? where : "", where ? ": " : "",
                        argv[optind - 1]);
            return OPT_FAILED;
        case '?':
            if (optopt > 0 && optopt < 256)
                s_usage("%s%sunknown option '-%c'", where ? where : "", where ? ": " : "",
                        optopt);
            else
                s_usage("%s%sunknown option '%s'", where ? where : "", where ? ": " : "",
                        argv[optind - 1]);
            return OPT_FAILED;
        default:
            return c;
        }
    }
}

//  --------------------------------------------------------------------------
//  The call

//  Where to send: -n, else -d DIR's endpoints file, else $GRIDNET_NODE.
static int
s_resolve(gridctl_t *self)
{
    const char *endpoint = NULL;
    if (self->node && self->data)
        return s_usage("give the node either as -n ENDPOINT or as -d DATADIR, not both");
    if (self->data) {
        int rc = gn_endpoints_read(self->data, "api", self->endpoint, sizeof self->endpoint);
        if (rc == GN_ENOTFOUND) {
            s_error("no api endpoint in %s/endpoints (is the node running?)", self->data);
            return EXIT_UNREACHABLE;
        }
        if (rc != 0) {
            s_error("cannot read %s/endpoints: %s", self->data, gn_strerror(rc));
            return EXIT_UNREACHABLE;
        }
        return 0;
    }
    if (self->node)
        endpoint = self->node;
    else {
        endpoint = getenv("GRIDNET_NODE");
        if (!endpoint || !*endpoint)
            return s_usage("no node given: use -n ENDPOINT, -d DATADIR or set GRIDNET_NODE");
    }
    if (strlen(endpoint) >= sizeof self->endpoint)
        return s_usage("node endpoint is too long");
    strcpy(self->endpoint, endpoint);
    return 0;
}

//  True if the reply carries a body of the kind asked for.
static bool
s_body_ok(const gn_api_reply_t *reply, Gridnet__ApiReply__BodyCase want)
{
    if (reply->body_case != want)
        return false;
    switch (want) {
    case GRIDNET__API_REPLY__BODY_CASE_ID: return reply->case_id && *reply->case_id;
    case GRIDNET__API_REPLY__BODY_VIEW:    return reply->view && reply->view->state;
    case GRIDNET__API_REPLY__BODY_LIST:    return reply->list != NULL;
    case GRIDNET__API_REPLY__BODY_STATE:   return reply->state != NULL;
    case GRIDNET__API_REPLY__BODY_STATUS:  return reply->status != NULL;
    default:                               return false;
    }
}

//  Send req and wait for its reply. Returns 0 with *reply_p a successful
//  reply carrying the body `want` (caller frees), or prints the error and
//  returns the exit code.
static int
s_call(gridctl_t *self, gn_api_request_t *req, Gridnet__ApiReply__BodyCase want,
       gn_api_reply_t **reply_p)
{
    int rc = s_resolve(self);
    if (rc != 0)
        return rc;
    gn_client_t *client = gn_client_new(self->endpoint, self->timeout_ms);
    if (!client)
        return s_usage("cannot use node endpoint '%s'", self->endpoint);
    gn_api_reply_t *reply = NULL;
    int err = gn_client_call(client, req, &reply);
    gn_client_destroy(&client);

    switch (err) {
    case GN_OK:
        break;
    case GN_ETIMEOUT:
        s_error("node at %s did not answer within %d ms", self->endpoint, self->timeout_ms);
        return EXIT_UNREACHABLE;
    case GN_ENET:
    case GN_EMALFORMED:
        s_error("node at %s: %s", self->endpoint,
                err == GN_EMALFORMED ? "malformed reply" : gn_strerror(err));
        return EXIT_UNREACHABLE;
    case GN_ETOOBIG:
        return s_usage("request is too large");
    default:
        s_error("%s", gn_strerror(err));
        return EXIT_REFUSED;
    }
    if (reply->code != 0) {
        s_error("%s", reply->error && *reply->error ? reply->error : gn_strerror(reply->code));
        rc = EXIT_REFUSED;
    }
    else
    if (!s_body_ok(reply, want)) {
        s_error("node at %s: reply without the expected body", self->endpoint);
        rc = EXIT_UNREACHABLE;
    }
    if (rc != 0)
        gn_codec_free_reply(&reply);
    *reply_p = reply;
    return rc;
}

//  Print JSON indented, keys sorted. Returns the exit code.
static int
s_print_json(const json_t *json)
{
    char *text = json ? json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS
                                         | JSON_REAL_PRECISION(15)) : NULL;
    if (!text) {
        s_error("out of memory");
        return EXIT_REFUSED;
    }
    puts(text);
    free(text);
    return 0;
}

//  Print a reply body as JSON (common/pbjson). Returns the exit code.
static int
s_print_message(const ProtobufCMessage *msg)
{
    json_t *json = gn_pbjson_from_message(msg);
    int rc = s_print_json(json);
    json_decref(json);
    return rc;
}

//  --------------------------------------------------------------------------
//  Human output

//  Local time of unix ms as YYYY-MM-DD HH:MM:SS; "-" for 0.
static const char *
s_time(int64_t ms, char buf[32])
{
    if (ms == 0)
        return "-";
    time_t t = (time_t) (ms / 1000 - (ms % 1000 < 0));
    struct tm tm;
    if (!localtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        (void) snprintf(buf, 32, "%lld", (long long) ms);
    return buf;
}

//  A node code; "-" for 0 (none, or a transfer in flight).
static const char *
s_node(uint64_t node, char buf[NUM_TEXT_MAX])
{
    if (node == 0)
        return "-";
    (void) snprintf(buf, NUM_TEXT_MAX, "%012llu", (unsigned long long) node);
    return buf;
}

static const char *
s_u64(uint64_t v, char buf[NUM_TEXT_MAX])
{
    (void) snprintf(buf, NUM_TEXT_MAX, "%llu", (unsigned long long) v);
    return buf;
}

static const char *
s_level_name(int level)
{
    switch (level) {
    case 1: return "district";
    case 2: return "town";
    case 3: return "village";
    default: return "?";
    }
}

static const char *
s_enum_name(const ProtobufCEnumDescriptor *d, int value, char buf[ENUM_NAME_MAX])
{
    return gn_pbjson_enum_name(d, value, buf, ENUM_NAME_MAX);
}

//  Columns a string takes on a terminal; its bytes when that is not known.
static size_t
s_width(const char *s)
{
    size_t bytes = strlen(s);
    if (!s_utf8_locale)
        return bytes;
    size_t n = mbstowcs(NULL, s, 0);
    if (n == (size_t) -1)
        return bytes;
    wchar_t *w = malloc((n + 1) * sizeof *w);
    if (!w)
        return bytes;
    size_t width = 0;
    if (mbstowcs(w, s, n + 1) == n) {
        for (size_t i = 0; i < n; i++) {
            int cw = wcwidth(w[i]);
            width += cw < 0 ? 1 : (size_t) cw;
        }
    }
    else
        width = bytes;
    free(w);
    return width;
}

//  "label:" padded to one column, then the value; continuation lines of a
//  multi-line value are indented to the value column. "-" for an empty one.
static void
s_field(const char *label, const char *value)
{
    char *clean = s_clean(value && *value ? value : "-", true);
    const char *v = clean ? clean : "?";
    printf("%-15s ", label);
    for (const char *p = v; *p; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("%-15s ", "");
    }
    putchar('\n');
    free(clean);
}

static void s_fieldf(const char *label, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
s_fieldf(const char *label, const char *fmt, ...)
{
    char value[1024];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(value, sizeof value, fmt, args);
    va_end(args);
    s_field(label, n < 0 ? "?" : value);
}

//  A table whose columns are sized to their content.
typedef struct {
    size_t cols;            // cells in every row
    size_t rows;            // rows held, the header first
    size_t cap;             // rows allocated
    char **cells;           // rows * cols cleaned copies, owned
    const char *align;      // per column 'l' (left) or 'r' (right, numbers)
} table_t;

static void
s_table_destroy(table_t **self_p)
{
    table_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->rows * self->cols; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self);
    *self_p = NULL;
}

//  Add a row of cols cells (copied, control characters blanked). 0 or GN_ENOMEM.
static int
s_table_add(table_t *self, const char *const *row)
{
    if (self->rows == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        char **cells = realloc(self->cells, cap * self->cols * sizeof *cells);
        if (!cells)
            return GN_ENOMEM;
        self->cells = cells;
        self->cap = cap;
    }
    char **dest = self->cells + self->rows * self->cols;
    for (size_t c = 0; c < self->cols; c++) {
        dest[c] = s_clean(row[c], false);
        if (!dest[c]) {
            while (c > 0)
                free(dest[--c]);
            return GN_ENOMEM;
        }
    }
    self->rows++;
    return GN_OK;
}

static void
s_table_print(const table_t *self)
{
    size_t *widths = calloc(self->cols * (self->rows + 1), sizeof *widths);
    if (!widths)
        return;
    //  widths[0..cols) per column; then one per cell
    size_t *cell_w = widths + self->cols;
    for (size_t r = 0; r < self->rows; r++)
        for (size_t c = 0; c < self->cols; c++) {
            size_t w = s_width(self->cells[r * self->cols + c]);
            cell_w[r * self->cols + c] = w;
            if (w > widths[c])
                widths[c] = w;
        }
    for (size_t r = 0; r < self->rows; r++) {
        for (size_t c = 0; c < self->cols; c++) {
            const char *cell = self->cells[r * self->cols + c];
            size_t pad = widths[c] - cell_w[r * self->cols + c];
            bool last = c + 1 == self->cols;
            if (self->align[c] == 'r' && r > 0)
                printf("%*s%s", (int) pad, "", cell);
            else
                printf("%s%*s", cell, last ? 0 : (int) pad, "");
            if (!last)
                printf("  ");
        }
        putchar('\n');
    }
    free(widths);
}

//  A table whose first row is the header; align has one 'l' or 'r' per
//  column. Caller destroys; NULL if memory ran out.
static table_t *
s_table_new(const char *align, const char *const *header)
{
    table_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cols = strlen(align);
    self->align = align;
    if (s_table_add(self, header) != 0)
        s_table_destroy(&self);
    return self;
}

//  Ops as VER TIME ACTION NODE ACTOR NOTE. 0 or GN_ENOMEM.
static int
s_print_ops(Gridnet__Op **ops, size_t n)
{
    static const char *const header[] = { "VER", "TIME", "ACTION", "NODE", "ACTOR", "NOTE" };
    table_t *table = s_table_new("rlllll", header);
    if (!table)
        return GN_ENOMEM;
    int rc = GN_OK;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Gridnet__Op *op = ops[i];
        char ver[NUM_TEXT_MAX], when[32], action[ENUM_NAME_MAX], node[NUM_TEXT_MAX];
        const char *row[] = {
            s_u64(op->version, ver), s_time(op->time, when),
            s_enum_name(&gridnet__action__descriptor, (int) op->action, action),
            s_node(op->origin, node), op->actor && *op->actor ? op->actor : "-",
            op->note ? op->note : "",
        };
        rc = s_table_add(table, row);
    }
    if (rc == 0)
        s_table_print(table);
    s_table_destroy(&table);
    return rc;
}

static void
s_print_case(const Gridnet__Case *c)
{
    char a[64];
    s_field("id:", c->id);
    s_field("status:", s_enum_name(&gridnet__status__descriptor, (int) c->status, a));
    s_field("severity:", s_enum_name(&gridnet__severity__descriptor, (int) c->severity, a));
    if (c->owner) {
        int level = c->level ? (int) c->level : gn_node_level(c->owner);
        s_fieldf("owner:", "%s (level %d, %s)", s_node(c->owner, a), level, s_level_name(level));
    }
    else
        s_field("owner:", "- (transfer in flight)");
    s_fieldf("epoch/version:", "%u/%u", c->epoch, c->version);
    s_field("grid:", c->grid);
    s_field("category:", c->category);
    s_field("title:", c->title);
    s_field("description:", c->description);
    if (c->channel)
        s_field("channel:", s_enum_name(&gridnet__channel__descriptor, (int) c->channel, a));
    if (c->lat != 0 || c->lon != 0)
        s_fieldf("location:", "%.6f, %.6f", c->lat, c->lon);
    if (c->address && *c->address)
        s_field("address:", c->address);

    char reporter[1024] = "";
    const Gridnet__Reporter *r = c->reporter;
    if (r) {
        const char *parts[] = {
            r->kind ? s_enum_name(&gridnet__reporter_kind__descriptor, (int) r->kind, a) : NULL,
            r->name, r->id, r->phone,
        };
        size_t used = 0;
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            if (!parts[i] || !*parts[i])
                continue;
            int n = snprintf(reporter + used, sizeof reporter - used, "%s%s",
                             used ? " " : "", parts[i]);
            if (n < 0 || (size_t) n >= sizeof reporter - used)
                break;
            used += (size_t) n;
        }
    }
    s_field("reporter:", reporter);
    s_field("assignee:", c->assignee);

    char trail[GN_TRAIL_MAX * (NUM_TEXT_MAX + 8)] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n_trail; i++) {
        int n = snprintf(trail + used, sizeof trail - used, "%s%s",
                         i ? (s_utf8_locale ? " → " : " -> ") : "", s_node(c->trail[i], a));
        if (n < 0 || (size_t) n >= sizeof trail - used)
            break;
        used += (size_t) n;
    }
    s_field("trail:", trail);
    s_field("created:", s_time(c->created, a));
    s_field("updated:", s_time(c->updated, a));
    if (c->due_accept)
        s_field("due accept:", s_time(c->due_accept, a));
    if (c->due_handle)
        s_field("due handle:", s_time(c->due_handle, a));
    if (c->escalations)
        s_fieldf("escalations:", "%u", c->escalations);
    if (c->reworks)
        s_fieldf("reworks:", "%u", c->reworks);
    if (c->supervisions)
        s_fieldf("supervisions:", "%u", c->supervisions);
    if (c->meeting_id && *c->meeting_id)
        s_field("meeting:", c->meeting_id);
    if (c->rating)
        s_fieldf("rating:", "%u", c->rating);
    if (c->reward) {
        uint64_t mag = c->reward < 0 ? 0 - (uint64_t) c->reward : (uint64_t) c->reward;
        s_fieldf("reward:", "%s%llu.%02llu yuan", c->reward < 0 ? "-" : "",
                 (unsigned long long) (mag / 100), (unsigned long long) (mag % 100));
    }
}

//  The one-line result of a workflow action.
static void
s_print_state_line(const Gridnet__Case *c)
{
    char status[ENUM_NAME_MAX];
    printf("%s %s owner=%llu v=%u\n", c->id ? c->id : "-",
           s_enum_name(&gridnet__status__descriptor, (int) c->status, status),
           (unsigned long long) c->owner, c->version);
}

//  --------------------------------------------------------------------------
//  Commands

static const struct option s_report_opts[] = {
    { "grid", required_argument, NULL, OPT_GRID },
    { "category", required_argument, NULL, OPT_CATEGORY },
    { "title", required_argument, NULL, OPT_TITLE },
    { "description", required_argument, NULL, OPT_DESCRIPTION },
    { "severity", required_argument, NULL, OPT_SEVERITY },
    { "channel", required_argument, NULL, OPT_CHANNEL },
    { "reporter-kind", required_argument, NULL, OPT_REPORTER_KIND },
    { "reporter-id", required_argument, NULL, OPT_REPORTER_ID },
    { "reporter-name", required_argument, NULL, OPT_REPORTER_NAME },
    { "phone", required_argument, NULL, OPT_PHONE },
    { "lat", required_argument, NULL, OPT_LAT },
    { "lon", required_argument, NULL, OPT_LON },
    { "address", required_argument, NULL, OPT_ADDRESS },
    { "actor", required_argument, NULL, OPT_ACTOR },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_report(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ReportReq report = GRIDNET__REPORT_REQ__INIT;
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    bool has_reporter = false;
    int rc = 0;
    int c;
    //  The node's default; sent explicitly so the request says what it means
    report.severity = GRIDNET__SEVERITY__SEV_GENERAL;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        int value = 0;
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_GRID:
            rc = s_check_grid(cmd->name, optarg);
            report.grid = optarg;
            break;
        case OPT_CATEGORY:
            rc = s_check_text(cmd->name, "--category", optarg, GN_FIELD_MAX);
            report.category = optarg;
            break;
        case OPT_TITLE:
            rc = s_check_text(cmd->name, "--title", optarg, GN_FIELD_MAX);
            report.title = optarg;
            break;
        case OPT_DESCRIPTION:
            rc = s_check_text(cmd->name, "--description", optarg, GN_TEXT_MAX);
            report.description = optarg;
            break;
        case OPT_SEVERITY:
            rc = s_check_enum(cmd->name, "--severity", &gridnet__severity__descriptor, optarg,
                              &value);
            report.severity = (Gridnet__Severity) value;
            break;
        case OPT_CHANNEL:
            rc = s_check_enum(cmd->name, "--channel", &gridnet__channel__descriptor, optarg,
                              &value);
            report.channel = (Gridnet__Channel) value;
            break;
        case OPT_REPORTER_KIND:
            rc = s_check_enum(cmd->name, "--reporter-kind", &gridnet__reporter_kind__descriptor,
                              optarg, &value);
            reporter.kind = (Gridnet__ReporterKind) value;
            has_reporter = true;
            break;
        case OPT_REPORTER_ID:
            rc = s_check_text(cmd->name, "--reporter-id", optarg, GN_FIELD_MAX);
            reporter.id = optarg;
            has_reporter = true;
            break;
        case OPT_REPORTER_NAME:
            rc = s_check_text(cmd->name, "--reporter-name", optarg, GN_FIELD_MAX);
            reporter.name = optarg;
            has_reporter = true;
            break;
        case OPT_PHONE:
            rc = s_check_text(cmd->name, "--phone", optarg, GN_FIELD_MAX);
            reporter.phone = optarg;
            has_reporter = true;
            break;
        case OPT_LAT:
            if (s_parse_double(optarg, -90, 90, &report.lat) != 0)
                rc = s_usage("%s: --lat must be a number in -90..90, not '%s'", cmd->name,
                             optarg);
            break;
        case OPT_LON:
            if (s_parse_double(optarg, -180, 180, &report.lon) != 0)
                rc = s_usage("%s: --lon must be a number in -180..180, not '%s'", cmd->name,
                             optarg);
            break;
        case OPT_ADDRESS:
            rc = s_check_text(cmd->name, "--address", optarg, GN_FIELD_MAX);
            report.address = optarg;
            break;
        case OPT_ACTOR:
            rc = s_check_text(cmd->name, "--actor", optarg, GN_FIELD_MAX);
            report.actor = optarg;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    if (!*report.grid)
        return s_usage("%s: --grid is required", cmd->name);
    if (!*report.category)
        return s_usage("%s: --category is required", cmd->name);
    if (!*report.title)
        return s_usage("%s: --title is required", cmd->name);
    if (has_reporter)
        report.reporter = &reporter;

    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
    req.report = &report;
    gn_api_reply_t *reply = NULL;
    rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_CASE_ID, &reply);
    if (rc != 0)
        return rc;
    if (self->json) {
        json_t *j = json_pack("{s:s}", "case_id", reply->case_id);
        rc = s_print_json(j);
        json_decref(j);
    }
    else
        printf("%s\n", reply->case_id);
    gn_codec_free_reply(&reply);
    return rc;
}

static int
s_cmd_show(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        if (c == OPT_HELP)
            return 0;
        return EXIT_USAGE;
    }
    const char *id = NULL;
    int rc = s_one_arg(cmd->name, "case ID", argc, argv, &id);
    if (rc == 0)
        rc = s_check_case_id(cmd->name, id);
    if (rc != 0)
        return rc;

    Gridnet__ShowReq show = GRIDNET__SHOW_REQ__INIT;
    show.case_id = (char *) id;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_SHOW;
    req.show = &show;
    gn_api_reply_t *reply = NULL;
    rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_VIEW, &reply);
    if (rc != 0)
        return rc;
    const Gridnet__CaseView *view = reply->view;
    if (self->json)
        rc = s_print_message(&view->base);
    else {
        s_print_case(view->state);
        printf("\nhistory:\n");
        if (s_print_ops(view->history, view->n_history) != 0)
            rc = EXIT_REFUSED;
        if (rc == 0 && view->n_conflicts > 0) {
            printf("\nconflicts:\n");
            if (s_print_ops(view->conflicts, view->n_conflicts) != 0)
                rc = EXIT_REFUSED;
        }
        if (rc != 0)
            s_error("out of memory");
    }
    gn_codec_free_reply(&reply);
    return rc;
}

static const struct option s_list_opts[] = {
    { "status", required_argument, NULL, OPT_STATUS },
    { "grid", required_argument, NULL, OPT_GRID },
    { "owner", required_argument, NULL, OPT_OWNER },
    { "limit", required_argument, NULL, OPT_LIMIT },
    { "after", required_argument, NULL, OPT_AFTER },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_list(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ListReq list = GRIDNET__LIST_REQ__INIT;
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        int value = 0;
        uint64_t n = 0;
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_STATUS:
            rc = s_check_enum(cmd->name, "--status", &gridnet__status__descriptor, optarg,
                              &value);
            list.status = (Gridnet__Status) value;
            break;
        case OPT_GRID:
            rc = s_check_grid(cmd->name, optarg);
            list.grid = optarg;
            break;
        case OPT_OWNER:
            rc = s_check_node(cmd->name, "--owner", optarg, &list.owner);
            break;
        case OPT_LIMIT:
            if (s_parse_u64(optarg, UINT32_MAX, &n) != 0 || n == 0)
                rc = s_usage("%s: --limit must be a whole number above 0, not '%s'",
                             cmd->name, optarg);
            list.limit = (uint32_t) n;
            break;
        case OPT_AFTER:
            rc = s_check_case_id(cmd->name, optarg);
            list.after = optarg;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;

    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LIST;
    req.list = &list;
    gn_api_reply_t *reply = NULL;
    rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_LIST, &reply);
    if (rc != 0)
        return rc;
    const Gridnet__CaseList *cases = reply->list;
    if (self->json)
        rc = s_print_message(&cases->base);
    else {
        static const char *const header[] = {
            "ID", "STATUS", "SEV", "OWNER", "GRID", "CATEGORY", "TITLE"
        };
        table_t *table = s_table_new("lllllll", header);
        int err = table ? 0 : GN_ENOMEM;
        for (size_t i = 0; i < cases->n_cases && err == 0; i++) {
            const Gridnet__Case *k = cases->cases[i];
            char status[ENUM_NAME_MAX], sev[ENUM_NAME_MAX], owner[NUM_TEXT_MAX];
            const char *row[] = {
                k->id, s_enum_name(&gridnet__status__descriptor, (int) k->status, status),
                s_enum_name(&gridnet__severity__descriptor, (int) k->severity, sev),
                s_node(k->owner, owner), k->grid, k->category, k->title,
            };
            err = s_table_add(table, row);
        }
        if (err == 0) {
            s_table_print(table);
            if (cases->next && *cases->next)
                printf("(more: --after %s)\n", cases->next);
        }
        else {
            s_error("out of memory");
            rc = EXIT_REFUSED;
        }
        s_table_destroy(&table);
    }
    gn_codec_free_reply(&reply);
    return rc;
}

static int
s_cmd_status(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        if (c == OPT_HELP)
            return 0;
        return EXIT_USAGE;
    }
    int rc = s_no_args(cmd->name, argc, argv);
    if (rc != 0)
        return rc;

    Gridnet__StatusReq status = GRIDNET__STATUS_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_STATUS;
    req.status = &status;
    gn_api_reply_t *reply = NULL;
    rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_STATUS, &reply);
    if (rc != 0)
        return rc;
    const Gridnet__NodeStatus *st = reply->status;
    if (self->json)
        rc = s_print_message(&st->base);
    else {
        char a[32];
        int level = st->level ? (int) st->level : gn_node_level(st->node);
        s_fieldf("node:", "%s (%s)", s_node(st->node, a), s_level_name(level));
        s_fieldf("level:", "%d", level);
        s_field("parent:", s_node(st->parent, a));
        s_field("incarnation:", s_u64(st->incarnation, a));
        s_field("feed head:", s_u64(st->feed_head, a));
        s_field("op seq:", s_u64(st->op_seq, a));
        s_field("cases:", s_u64(st->cases, a));
        s_field("conflicts:", s_u64(st->conflicts, a));
        putchar('\n');

        static const char *const header[] = {
            "PEER", "ROLE", "UP/DOWN", "SENT", "ACKED", "APPLIED", "PEER HEAD", "LAST SEEN",
            "LAST ERROR"
        };
        table_t *table = s_table_new("lllrrrrll", header);
        int err = table ? 0 : GN_ENOMEM;
        for (size_t i = 0; i < st->n_links && err == 0; i++) {
            const Gridnet__LinkStatus *l = st->links[i];
            char peer[NUM_TEXT_MAX], sent[NUM_TEXT_MAX], acked[NUM_TEXT_MAX];
            char applied[NUM_TEXT_MAX], head[NUM_TEXT_MAX], seen[32];
            const char *row[] = {
                s_node(l->peer, peer), l->role && *l->role ? l->role : "-",
                l->connected ? "up" : "down", s_u64(l->sent, sent), s_u64(l->acked, acked),
                s_u64(l->applied, applied), s_u64(l->peer_head, head),
                s_time(l->last_seen, seen), l->last_error && *l->last_error ? l->last_error : "-",
            };
            err = s_table_add(table, row);
        }
        if (err == 0)
            s_table_print(table);
        else {
            s_error("out of memory");
            rc = EXIT_REFUSED;
        }
        s_table_destroy(&table);
    }
    gn_codec_free_reply(&reply);
    return rc;
}

//  Options of the workflow actions: every one takes --note and --actor
#define ACT_COMMON_OPTS \
    { "note", required_argument, NULL, OPT_NOTE }, \
    { "actor", required_argument, NULL, OPT_ACTOR }

static const struct option s_act_opts[] = { ACT_COMMON_OPTS, { NULL, 0, NULL, 0 } };
static const struct option s_dispatch_opts[] = {
    ACT_COMMON_OPTS,
    { "to", required_argument, NULL, OPT_TO },
    { "assignee", required_argument, NULL, OPT_ASSIGNEE },
    { NULL, 0, NULL, 0 }
};
static const struct option s_verify_opts[] = {
    ACT_COMMON_OPTS,
    { "pass", no_argument, NULL, OPT_PASS },
    { "fail", no_argument, NULL, OPT_FAIL },
    { NULL, 0, NULL, 0 }
};
static const struct option s_evaluate_opts[] = {
    ACT_COMMON_OPTS,
    { "rating", required_argument, NULL, OPT_RATING },
    { NULL, 0, NULL, 0 }
};

//  Every workflow action: the Action is the command's name.
static int
s_cmd_act(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ActReq act = GRIDNET__ACT_REQ__INIT;
    int action = 0;
    int rc = gn_pbjson_enum_parse(&gridnet__action__descriptor, cmd->name, &action);
    assert(rc == 0 && action != 0);
    act.action = (Gridnet__Action) action;
    bool pass = false, fail = false;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        uint64_t n = 0;
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_NOTE:
            rc = s_check_text(cmd->name, "--note", optarg, GN_TEXT_MAX);
            act.note = optarg;
            break;
        case OPT_ACTOR:
            rc = s_check_text(cmd->name, "--actor", optarg, GN_FIELD_MAX);
            act.actor = optarg;
            break;
        case OPT_TO:
            rc = s_check_node(cmd->name, "--to", optarg, &act.to);
            break;
        case OPT_ASSIGNEE:
            rc = s_check_text(cmd->name, "--assignee", optarg, GN_FIELD_MAX);
            act.assignee = optarg;
            break;
        case OPT_PASS:
            pass = true;
            break;
        case OPT_FAIL:
            fail = true;
            break;
        case OPT_RATING:
            if (s_parse_u64(optarg, 5, &n) != 0 || n < 1)
                rc = s_usage("%s: --rating must be 1..5, not '%s'", cmd->name, optarg);
            act.rating = (uint32_t) n;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    const char *id = NULL;
    if ((rc = s_one_arg(cmd->name, "case ID", argc, argv, &id)) != 0
    ||  (rc = s_check_case_id(cmd->name, id)) != 0)
        return rc;
    if (act.action == GRIDNET__ACTION__ACT_VERIFY) {
        if (pass == fail)
            return s_usage("%s: give exactly one of --pass and --fail", cmd->name);
        act.ok = pass;
    }
    if (act.action == GRIDNET__ACTION__ACT_EVALUATE && act.rating == 0)
        return s_usage("%s: --rating 1..5 is required", cmd->name);
    act.case_id = (char *) id;

    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_ACT;
    req.act = &act;
    gn_api_reply_t *reply = NULL;
    rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_STATE, &reply);
    if (rc != 0)
        return rc;
    if (self->json)
        rc = s_print_message(&reply->state->base);
    else
        s_print_state_line(reply->state);
    gn_codec_free_reply(&reply);
    return rc;
}

static int s_cmd_help(gridctl_t *self, const cmd_t *cmd, int argc, char **argv);

static const cmd_t s_commands[] = {
    { "report", s_cmd_report, s_report_opts,
      "--grid G --category C --title T [--description D]\n"
      "                       [--severity general|major|emergency]\n"
      "                       [--channel terminal|wechat|app|web|hotline|patrol|sanguan]\n"
      "                       [--reporter-kind grid_worker|citizen|department|hotline]\n"
      "                       [--reporter-id X] [--reporter-name X] [--phone X]\n"
      "                       [--lat F] [--lon F] [--address X] [--actor X]",
      "take a new report; prints the case id" },
    { "show", s_cmd_show, NULL, "ID", "a case: its state, history and conflicts" },
    { "list", s_cmd_list, s_list_opts,
      "[--status S] [--grid G] [--owner NODE] [--limit N] [--after ID]", "list cases" },
    { "status", s_cmd_status, NULL, "", "the node: feed, counters and links to its peers" },
    { "accept", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]", "accept a reported case" },
    { "dispatch", s_cmd_act, s_dispatch_opts,
      "ID [--to NODE] [--assignee DEPT] [--note N] [--actor A]",
      "dispatch to a department, or down to a child node" },
    { "handle", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]", "record the case handled" },
    { "verify", s_cmd_act, s_verify_opts, "ID --pass|--fail [--note N] [--actor A]",
      "verify the handling: pass, or fail back for rework" },
    { "archive", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]", "archive a verified case" },
    { "evaluate", s_cmd_act, s_evaluate_opts, "ID --rating 1..5 [--note N] [--actor A]",
      "record the reporter's rating" },
    { "escalate", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]",
      "hand the case up to the parent node" },
    { "return", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]",
      "hand the case back down" },
    { "reject", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]", "reject a report" },
    { "supervise", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]",
      "record a supervision (督办) of the case" },
    { "help", s_cmd_help, NULL, "[COMMAND]", "this list, or one command's usage" },
};
#define COMMANDS (sizeof s_commands / sizeof s_commands[0])

static const cmd_t *
s_command(const char *name)
{
    for (size_t i = 0; i < COMMANDS; i++)
        if (strcmp(s_commands[i].name, name) == 0)
            return &s_commands[i];
    return NULL;
}

static void
s_print_help(FILE *out)
{
    fprintf(out,
        "usage: gridctl [-n ENDPOINT | -d DATADIR] [--json] [--timeout MS] COMMAND [ARGS]\n"
        "\n"
        "  -n, --node ENDPOINT  the node's API endpoint (default: $GRIDNET_NODE)\n"
        "  -d, --data DATADIR   read the endpoint from DATADIR/endpoints\n"
        "      --json           print the reply as JSON\n"
        "      --timeout MS     how long to wait for the node (default %d)\n"
        "\n"
        "commands:\n", TIMEOUT_DEFAULT);
    for (size_t i = 0; i < COMMANDS; i++)
        s_print_command(out, &s_commands[i]);
    fprintf(out,
        "\n"
        "exit: 0 ok, 1 the node refused, 2 usage error, 3 node unreachable or timed out\n");
}

static int
s_cmd_help(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        if (c == OPT_HELP)
            return 0;
        return EXIT_USAGE;
    }
    if (optind + 1 < argc)
        return s_usage("%s: unexpected argument '%s'", cmd->name, argv[optind + 1]);
    if (optind < argc) {
        const cmd_t *which = s_command(argv[optind]);
        if (!which)
            return s_usage("unknown command '%s' (try 'gridctl help')", argv[optind]);
        printf("usage:\n");
        s_print_command(stdout, which);
        return 0;
    }
    s_print_help(stdout);
    return 0;
}

//  --------------------------------------------------------------------------

//  The user's locale for character widths; C.UTF-8 if that is not UTF-8.
//  Numbers are always read and written in the C locale.
static void
s_locale(void)
{
    if (!setlocale(LC_ALL, "") || strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        (void) setlocale(LC_CTYPE, "C.UTF-8");
    (void) setlocale(LC_NUMERIC, "C");
    s_utf8_locale = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    tzset();
}

int
main(int argc, char **argv)
{
    gridctl_t self = { .timeout_ms = TIMEOUT_DEFAULT };
    s_locale();
    //  No czmq signal handler: SIGINT ends a waiting gridctl as usual
    zsys_handler_set(NULL);

    int c = s_getopt(&self, NULL, argc, argv);
    if (c == OPT_HELP) {
        s_print_help(stdout);
        return 0;
    }
    if (c != OPT_END)
        return EXIT_USAGE;
    if (optind >= argc) {
        s_print_help(stdout);
        return s_usage("no command given");
    }
    const cmd_t *cmd = s_command(argv[optind]);
    if (!cmd)
        return s_usage("unknown command '%s' (try 'gridctl help')", argv[optind]);

    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    optind = 0;                 //  GNU getopt: start over on the command's arguments
    int rc = cmd->handler(&self, cmd, cmd_argc, cmd_argv);
    if (fflush(stdout) != 0 && rc == 0) {
        s_error("cannot write output: %s", strerror(errno));
        rc = EXIT_REFUSED;
    }
    return rc;
}
