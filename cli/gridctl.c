/*  gridctl.c -- command-line client of a gridnet node (docs/interfaces.md).

        gridctl [-n ENDPOINT | -d DATADIR] [--json] [--timeout MS] COMMAND [ARGS]

    Each command checks its arguments, builds one ApiRequest, makes one call
    through the client library and prints the reply: for people as fields and
    tables, with --json as the reply body in JSON (common/pbjson, keys sorted,
    so the answers of two nodes can be compared with diff). Two make more
    calls on one connection: list --all (one per page) and ref load (one per
    key). Replies that are JSON documents (ref, meeting, ledger) are read
    leniently for tables and printed as they are with --json. ref and meeting
    have sub-commands ("ref set"), each a cmd_t of its own.

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
#include "keys.h"
#include "pbjson.h"
#include "report.h"
#include "report_fmt.h"
#include "watch.h"

#include <czmq.h>       // zsys_handler_set only: let Ctrl-C end gridctl at once
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <libgen.h>
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
    OPT_ASSIGNEE, OPT_PASS, OPT_FAIL, OPT_RATING, OPT_EVIDENCE, OPT_DUPLICATE_OF, OPT_DUE,
    OPT_DUE_IN, OPT_URGENCY, OPT_COMMENT, OPT_OVERDUE, OPT_ALL, OPT_DATE, OPT_CHAIR,
    OPT_ATTEND, OPT_CASE, OPT_TEXT, OPT_TASK, OPT_WORKER, OPT_FROM, OPT_DIR, OPT_NODE_CODE,
    OPT_REGISTRY, OPT_FORCE, OPT_USER, OPT_CHILD, OPT_PII,
    OPT_MONTH, OPT_BY, OPT_FORMAT, OPT_SVG, OPT_TREND, OPT_TOP, OPT_AREA, OPT_UNIT,
    OPT_ALLOWANCE, OPT_TOWN, OPT_COUNT, OPT_PUB,
};

typedef struct {
    const char *node;           // -n: API endpoint from the command line, or NULL
    const char *data;           // -d: data directory holding the endpoints file, or NULL
    bool json;                  // --json: print the reply body as JSON
    int timeout_ms;             // --timeout: deadline of the call, ms
    char endpoint[512];         // endpoint of the call, once resolved
    const char *context;        // prefix of the error a call prints ("" for none)
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

//  Now, unix ms.
static int64_t
s_now_ms(void)
{
    struct timespec ts;
    (void) clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  A number from the digits text[0..n), all of them digits. -1 if not.
static int
s_digits(const char *text, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

//  What a date without a time stands for
typedef enum {
    DAY_START,              // its first second, 00:00:00
    DAY_LAST,               // its last second, 23:59:59 (a deadline on that day)
    DAY_AFTER,              // the next day's 00:00:00 (the end of a range that includes it)
} day_t;

//  Local time (of this machine) "YYYY-MM-DD", or with with_time also
//  "YYYY-MM-DD HH:MM", as unix ms; a date alone as `day` says. GN_EINVAL for
//  anything else, including a day the month does not have.
static int
s_parse_local_time(const char *text, bool with_time, day_t day, int64_t *ms)
{
    size_t len = strlen(text);
    if (len != 10 && !(with_time && len == 16))
        return GN_EINVAL;
    int year = s_digits(text, 4), month = s_digits(text + 5, 2), mday = s_digits(text + 8, 2);
    if (year < 1971 || text[4] != '-' || month < 1 || month > 12 || text[7] != '-'
    ||  mday < 1 || mday > 31)
        return GN_EINVAL;
    struct tm tm = {
        .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = mday, .tm_isdst = -1
    };
    if (len == 16) {
        tm.tm_hour = s_digits(text + 11, 2);
        tm.tm_min = s_digits(text + 14, 2);
        if (text[10] != ' ' || tm.tm_hour < 0 || tm.tm_hour > 23 || text[13] != ':'
        ||  tm.tm_min < 0 || tm.tm_min > 59)
            return GN_EINVAL;
    }
    else
    if (day == DAY_LAST) {
        tm.tm_hour = 23;
        tm.tm_min = 59;
        tm.tm_sec = 59;
    }
    struct tm given = tm;
    time_t t = mktime(&tm);
    //  mktime normalizes 2026-02-30 to March: refuse what it had to move
    if (t == (time_t) -1 || tm.tm_year != given.tm_year || tm.tm_mon != given.tm_mon
    ||  tm.tm_mday != given.tm_mday)
        return GN_EINVAL;
    if (len == 10 && day == DAY_AFTER) {
        given.tm_mday++;
        given.tm_isdst = -1;
        if ((t = mktime(&given)) == (time_t) -1)
            return GN_EINVAL;
    }
    *ms = (int64_t) t * 1000;
    return GN_OK;
}

#define DUE_IN_MAX_H  87600.0           // hours: ten years

//  A deadline HOURS from now (fractions allowed, above 0). GN_EINVAL if not.
static int
s_parse_due_in(const char *text, int64_t *ms)
{
    double hours = 0;
    if (s_parse_double(text, 0, DUE_IN_MAX_H, &hours) != 0 || hours <= 0)
        return GN_EINVAL;
    int64_t delta = (int64_t) (hours * 3600000.0 + 0.5);     //  hours > 0: rounded
    *ms = s_now_ms() + (delta > 0 ? delta : 1);
    return GN_OK;
}

//  A deadline for --due. Returns 0 or EXIT_USAGE.
static int
s_check_due(const char *cmd, const char *opt, const char *text, int64_t *ms)
{
    if (s_parse_local_time(text, true, DAY_LAST, ms) != 0)
        return s_usage("%s: %s must be 'YYYY-MM-DD HH:MM' or YYYY-MM-DD (local time), not '%s'",
                       cmd, opt, text);
    return 0;
}

static int
s_check_due_in(const char *cmd, const char *opt, const char *text, int64_t *ms)
{
    if (s_parse_due_in(text, ms) != 0)
        return s_usage("%s: %s must be a number of hours in (0, %.0f], not '%s'", cmd, opt,
                       DUE_IN_MAX_H, text);
    return 0;
}

//  A required text option: present, not empty. Returns 0 or EXIT_USAGE.
static int
s_required(const char *cmd, const char *opt, const char *value)
{
    if (!value || !*value)
        return s_usage("%s: %s is required", cmd, opt);
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

//  True if the reply carries a body of the kind asked for; any reply will do
//  for GRIDNET__API_REPLY__BODY__NOT_SET.
static bool
s_body_ok(const gn_api_reply_t *reply, Gridnet__ApiReply__BodyCase want)
{
    if (want == GRIDNET__API_REPLY__BODY__NOT_SET)
        return true;
    if (reply->body_case != want)
        return false;
    switch (want) {
    case GRIDNET__API_REPLY__BODY_CASE_ID: return reply->case_id && *reply->case_id;
    case GRIDNET__API_REPLY__BODY_VIEW:    return reply->view && reply->view->state;
    case GRIDNET__API_REPLY__BODY_LIST:    return reply->list != NULL;
    case GRIDNET__API_REPLY__BODY_STATE:   return reply->state != NULL;
    case GRIDNET__API_REPLY__BODY_STATUS:  return reply->status != NULL;
    case GRIDNET__API_REPLY__BODY_JSON:    return reply->json && *reply->json;
    case GRIDNET__API_REPLY__BODY_DIGEST:  return reply->digest != NULL;
    default:                               return false;
    }
}

//  A client for the node the options name. Returns 0 with *client_p (caller
//  destroys), or prints the error and returns the exit code.
static int
s_connect(gridctl_t *self, gn_client_t **client_p)
{
    int rc = s_resolve(self);
    if (rc != 0)
        return rc;
    *client_p = gn_client_new(self->endpoint, self->timeout_ms);
    if (!*client_p)
        return s_usage("cannot use node endpoint '%s'", self->endpoint);
    return 0;
}

//  Send req through client and wait for its reply. Returns 0 with *reply_p a
//  successful reply carrying the body `want` (caller frees), or prints the
//  error (after self->context) and returns the exit code.
static int
s_call_on(gridctl_t *self, gn_client_t *client, gn_api_request_t *req,
          Gridnet__ApiReply__BodyCase want, gn_api_reply_t **reply_p)
{
    const char *ctx = self->context;
    gn_api_reply_t *reply = NULL;
    const char *token = getenv("GRIDNET_TOKEN");   // a session from gridctl login
    if (token && *token && (!req->token || !*req->token))
        req->token = (char *) token;
    int err = gn_client_call(client, req, &reply);
    int rc = 0;
    switch (err) {
    case GN_OK:
        break;
    case GN_ETIMEOUT:
        s_error("%snode at %s did not answer within %d ms", ctx, self->endpoint,
                self->timeout_ms);
        return EXIT_UNREACHABLE;
    case GN_ENET:
    case GN_EMALFORMED:
        s_error("%snode at %s: %s", ctx, self->endpoint,
                err == GN_EMALFORMED ? "malformed reply" : gn_strerror(err));
        return EXIT_UNREACHABLE;
    case GN_ETOOBIG:
        return s_usage("%srequest is too large", ctx);
    default:
        s_error("%s%s", ctx, gn_strerror(err));
        return EXIT_REFUSED;
    }
    if (reply->code != 0) {
        s_error("%s%s", ctx,
                reply->error && *reply->error ? reply->error : gn_strerror(reply->code));
        rc = EXIT_REFUSED;
    }
    else
    if (!s_body_ok(reply, want)) {
        s_error("%snode at %s: reply without the expected body", ctx, self->endpoint);
        rc = EXIT_UNREACHABLE;
    }
    if (rc != 0)
        gn_codec_free_reply(&reply);
    *reply_p = reply;
    return rc;
}

//  One request, one reply, on a client of its own (see s_call_on).
static int
s_call(gridctl_t *self, gn_api_request_t *req, Gridnet__ApiReply__BodyCase want,
       gn_api_reply_t **reply_p)
{
    gn_client_t *client = NULL;
    int rc = s_connect(self, &client);
    if (rc == 0)
        rc = s_call_on(self, client, req, want, reply_p);
    gn_client_destroy(&client);
    return rc;
}

//  The JSON document of a reply (body json), which must be an object.
//  Returns 0 with *json_p (caller decrefs), or prints and returns the exit code.
static int
s_reply_json(gridctl_t *self, const gn_api_reply_t *reply, json_t **json_p)
{
    json_error_t error;
    json_t *json = json_loads(reply->json, 0, &error);
    if (!json || !json_is_object(json)) {
        s_error("node at %s: reply is not a JSON object%s%s", self->endpoint,
                json ? "" : ": ", json ? "" : error.text);
        json_decref(json);
        return EXIT_UNREACHABLE;
    }
    *json_p = json;
    return 0;
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

//  Fen (0.01 yuan) as yuan with two decimals: "-12.05".
static const char *
s_yuan(int64_t fen, char buf[NUM_TEXT_MAX + 2])
{
    uint64_t mag = fen < 0 ? 0 - (uint64_t) fen : (uint64_t) fen;
    (void) snprintf(buf, NUM_TEXT_MAX + 2, "%s%llu.%02llu", fen < 0 ? "-" : "",
                    (unsigned long long) (mag / 100), (unsigned long long) (mag % 100));
    return buf;
}

//  Supervision urgency 0..2 by name.
static const char *
s_urgency_name(uint32_t urgency)
{
    switch (urgency) {
    case 0: return "normal";
    case 1: return "urgent";
    case 2: return "very urgent";
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

//  "label:" padded to one column after indent spaces, then the value;
//  continuation lines of a multi-line value are indented to the value column.
//  "-" for an empty one.
static void
s_field_at(int indent, const char *label, const char *value)
{
    char *clean = s_clean(value && *value ? value : "-", true);
    const char *v = clean ? clean : "?";
    printf("%*s%-15s ", indent, "", label);
    for (const char *p = v; *p; p++) {
        putchar(*p);
        if (*p == '\n')
            printf("%*s%-15s ", indent, "", "");
    }
    putchar('\n');
    free(clean);
}

static void
s_field(const char *label, const char *value)
{
    s_field_at(0, label, value);
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

//  JSON replies: the node's documents are read leniently, a member missing
//  or of an unexpected type shows as "-".

//  An integer member (a JSON integer, a whole real, or a decimal string, as
//  pbjson writes a uint64 above INT64_MAX). False if there is none.
static bool
s_json_int(const json_t *obj, const char *key, int64_t *value)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v)) {
        *value = (int64_t) json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) > -9e18 && json_real_value(v) < 9e18) {
        *value = (int64_t) json_real_value(v);
        return true;
    }
    uint64_t u;
    if (json_is_string(v) && s_parse_u64(json_string_value(v), INT64_MAX, &u) == 0) {
        *value = (int64_t) u;
        return true;
    }
    return false;
}

//  A JSON value as text: strings as they are, numbers in decimal, booleans
//  as true/false; "-" when missing, null, empty or a container.
static const char *
s_json_value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        return *json_string_value(v) ? json_string_value(v) : "-";
    if (json_is_integer(v))
        (void) snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
    if (json_is_real(v))
        (void) snprintf(buf, len, "%g", json_real_value(v));
    else
    if (json_is_boolean(v))
        (void) snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
    else
        return "-";
    return buf;
}

//  A member as text (s_json_value_text).
static const char *
s_json_text(const json_t *obj, const char *key, char *buf, size_t len)
{
    return s_json_value_text(json_object_get(obj, key), buf, len);
}

//  A member holding unix ms, as local time.
static const char *
s_json_time(const json_t *obj, const char *key, char buf[32])
{
    int64_t ms;
    if (s_json_int(obj, key, &ms))
        return s_time(ms, buf);
    return s_json_text(obj, key, buf, 32);
}

//  A member holding a node code.
static const char *
s_json_node(const json_t *obj, const char *key, char buf[NUM_TEXT_MAX])
{
    int64_t node;
    if (s_json_int(obj, key, &node) && node >= 0)
        return s_node((uint64_t) node, buf);
    return s_json_text(obj, key, buf, NUM_TEXT_MAX);
}

//  The elements of an array member as text joined by ", ". Caller frees;
//  NULL if memory ran out.
static char *
s_json_join(const json_t *obj, const char *key)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return NULL;
    const json_t *array = json_object_get(obj, key);
    size_t i;
    const json_t *item;
    json_array_foreach(array, i, item) {
        char buf[NUM_TEXT_MAX + 8];
        fprintf(out, "%s%s", i ? ", " : "", s_json_value_text(item, buf, sizeof buf));
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

//  True if the member is JSON true.
static bool
s_json_true(const json_t *obj, const char *key)
{
    return json_is_true(json_object_get(obj, key));
}

//  A table whose columns are sized to their content.
typedef struct {
    size_t cols;            // cells in every row
    size_t rows;            // rows held, the header first
    size_t cap;             // rows allocated
    char **cells;           // rows * cols cleaned copies, owned
    const char *align;      // per column 'l' (left) or 'r' (right, numbers)
    int indent;             // spaces before every line
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
        printf("%*s", self->indent, "");
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

//  Ops as VER EPOCH TIME ACTION NODE ACTOR TO NOTE; TO is the target of a
//  transfer, and evidence recorded with the op follows its note. 0 or GN_ENOMEM.
static int
s_print_ops(Gridnet__Op **ops, size_t n)
{
    static const char *const header[] = {
        "VER", "EPOCH", "TIME", "ACTION", "NODE", "ACTOR", "TO", "NOTE"
    };
    table_t *table = s_table_new("rrllllll", header);
    if (!table)
        return GN_ENOMEM;
    int rc = GN_OK;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Gridnet__Op *op = ops[i];
        char ver[NUM_TEXT_MAX], epoch[NUM_TEXT_MAX], when[32], action[ENUM_NAME_MAX];
        char node[NUM_TEXT_MAX], to[NUM_TEXT_MAX];
        char *note = NULL;
        const char *text = op->note ? op->note : "";
        if (op->evidence && *op->evidence) {
            if (asprintf(&note, "%s%s(evidence: %s)", text, *text ? " " : "", op->evidence) < 0)
                note = NULL;
            if (!note) {
                rc = GN_ENOMEM;
                break;
            }
            text = note;
        }
        const char *row[] = {
            s_u64(op->version, ver), s_u64(op->epoch, epoch), s_time(op->time, when),
            s_enum_name(&gridnet__action__descriptor, (int) op->action, action),
            s_node(op->origin, node), op->actor && *op->actor ? op->actor : "-",
            s_node(op->to, to), text,
        };
        rc = s_table_add(table, row);
        free(note);
    }
    if (rc == 0)
        s_table_print(table);
    s_table_destroy(&table);
    return rc;
}

//  Supervisions as TIME NODE ACTOR DUE URGENCY NOTE (NODE: where it was
//  written), in the node's order: oldest first (apply.c keeps them sorted).
//  0 or GN_ENOMEM.
static int
s_print_supervisions(Gridnet__Supervision **list, size_t n)
{
    static const char *const header[] = { "TIME", "NODE", "ACTOR", "DUE", "URGENCY", "NOTE" };
    table_t *table = s_table_new("llllll", header);
    int rc = table ? GN_OK : GN_ENOMEM;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const Gridnet__Supervision *sv = list[i];
        char when[32], node[NUM_TEXT_MAX], due[32];
        const char *row[] = {
            s_time(sv->time, when), s_node(sv->origin, node),
            sv->actor && *sv->actor ? sv->actor : "-", s_time(sv->due, due),
            s_urgency_name(sv->urgency), sv->note ? sv->note : "",
        };
        rc = s_table_add(table, row);
    }
    if (rc == 0)
        s_table_print(table);
    s_table_destroy(&table);
    return rc;
}

//  Node codes joined with sep into buf (truncated to fit).
static const char *
s_nodes(const uint64_t *nodes, size_t n, const char *sep, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char node[NUM_TEXT_MAX];
        int k = snprintf(buf + used, len - used, "%s%s", i ? sep : "", s_node(nodes[i], node));
        if (k < 0 || (size_t) k >= len - used)
            break;
        used += (size_t) k;
    }
    return buf;
}

//  A case's fields, those at their default left out past the first few.
static void
s_print_case(const Gridnet__Case *c)
{
    char a[64];
    s_field("id:", c->id);
    s_field("status:", s_enum_name(&gridnet__status__descriptor, (int) c->status, a));
    if (c->overdue)
        s_field("overdue:", "OVERDUE (its current deadline has passed)");
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

    char nodes[GN_TRAIL_MAX * (NUM_TEXT_MAX + 8)];
    s_field("trail:", s_nodes(c->trail, c->n_trail, s_utf8_locale ? " → " : " -> ", nodes,
                              sizeof nodes));
    if (c->n_dispatchers)
        s_fieldf("dispatchers:", "%s (top last)",
                 s_nodes(c->dispatchers, c->n_dispatchers, ", ", nodes, sizeof nodes));
    if (c->handler)
        s_field("handler:", s_node(c->handler, a));
    if (c->feedback && *c->feedback)
        s_field("feedback:", c->feedback);
    if (c->evidence && *c->evidence)
        s_field("evidence:", c->evidence);
    if (c->reason && *c->reason)
        s_field("reason:", c->reason);
    if (c->duplicate_of && *c->duplicate_of)
        s_field("duplicate of:", c->duplicate_of);
    s_field("created:", s_time(c->created, a));
    s_field("updated:", s_time(c->updated, a));
    if (c->due_accept)
        s_field("due accept:", s_time(c->due_accept, a));
    if (c->due_handle)
        s_field("due handle:", s_time(c->due_handle, a));
    if (c->supervised_due)
        s_field("supervised due:", s_time(c->supervised_due, a));
    if (c->urgency)
        s_fieldf("urgency:", "%u (%s)", c->urgency, s_urgency_name(c->urgency));
    if (c->escalations)
        s_fieldf("escalations:", "%u", c->escalations);
    if (c->reworks)
        s_fieldf("reworks:", "%u", c->reworks);
    if (c->supervisions)
        s_fieldf("supervisions:", "%u", c->supervisions);
    if (c->meeting_id && *c->meeting_id)
        s_field("meeting:", c->meeting_id);
    if (c->parent_case && *c->parent_case)
        s_field("parent case:", c->parent_case);
    if (c->n_tasks) {
        char tasks[GN_TASKS_MAX * (GN_CASE_ID_MAX + 2)] = "";
        size_t used = 0;
        for (size_t i = 0; i < c->n_tasks; i++) {
            int n = snprintf(tasks + used, sizeof tasks - used, "%s%s", i ? ", " : "",
                             c->tasks[i]);
            if (n < 0 || (size_t) n >= sizeof tasks - used)
                break;
            used += (size_t) n;
        }
        s_field("tasks:", tasks);
    }
    if (c->rating)
        s_fieldf("rating:", "%u", c->rating);
    if (c->comment && *c->comment)
        s_field("comment:", c->comment);
    if (c->reward)
        s_fieldf("reward:", "%s yuan", s_yuan(c->reward, a));
    if (c->closed)
        s_field("closed:", s_time(c->closed, a));
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
        const Gridnet__Case *state = view->state;
        s_print_case(state);
        if (state->n_supervision > 0) {
            printf("\nsupervisions:\n");
            if (s_print_supervisions(state->supervision, state->n_supervision) != 0)
                rc = EXIT_REFUSED;
        }
        printf("\nhistory:\n");
        if (rc == 0 && s_print_ops(view->history, view->n_history) != 0)
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
    { "overdue", no_argument, NULL, OPT_OVERDUE },
    { "all", no_argument, NULL, OPT_ALL },
    { NULL, 0, NULL, 0 }
};

//  The cases of a list, as ID STATUS OVERDUE SEV OWNER GRID CATEGORY TITLE.
//  0 or GN_ENOMEM.
static int
s_print_cases(Gridnet__Case **cases, size_t n)
{
    static const char *const header[] = {
        "ID", "STATUS", "OVERDUE", "SEV", "OWNER", "GRID", "CATEGORY", "TITLE"
    };
    table_t *table = s_table_new("llllllll", header);
    int err = table ? 0 : GN_ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++) {
        const Gridnet__Case *k = cases[i];
        char status[ENUM_NAME_MAX], sev[ENUM_NAME_MAX], owner[NUM_TEXT_MAX];
        const char *row[] = {
            k->id, s_enum_name(&gridnet__status__descriptor, (int) k->status, status),
            k->overdue ? "yes" : "-",
            s_enum_name(&gridnet__severity__descriptor, (int) k->severity, sev),
            s_node(k->owner, owner), k->grid, k->category, k->title,
        };
        err = s_table_add(table, row);
    }
    if (err == 0)
        s_table_print(table);
    s_table_destroy(&table);
    return err;
}

//  list: one page, or with --all every page from --after on (ListReq.after =
//  the last reply's next). --overdue keeps only the cases whose state says
//  overdue: a filter here in the client, over the pages fetched.
static int
s_cmd_list(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ListReq list = GRIDNET__LIST_REQ__INIT;
    bool overdue = false, all = false;
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
        case OPT_OVERDUE:
            overdue = true;
            break;
        case OPT_ALL:
            all = true;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;

    gn_client_t *client = NULL;
    if ((rc = s_connect(self, &client)) != 0)
        return rc;
    //  The replies stay alive until the end: kept points at their cases
    gn_api_reply_t **pages = NULL;
    size_t n_pages = 0;
    Gridnet__Case **kept = NULL;
    size_t n_kept = 0;
    const char *next = "";
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LIST;
    req.list = &list;
    while (true) {
        gn_api_reply_t *reply = NULL;
        if ((rc = s_call_on(self, client, &req, GRIDNET__API_REPLY__BODY_LIST, &reply)) != 0)
            break;
        gn_api_reply_t **more = realloc(pages, (n_pages + 1) * sizeof *pages);
        const Gridnet__CaseList *page = reply->list;
        Gridnet__Case **grown = more ? realloc(kept, (n_kept + page->n_cases + 1) * sizeof *kept)
                                     : NULL;
        if (more)
            pages = more;
        if (grown)
            kept = grown;
        if (!more || !grown) {
            gn_codec_free_reply(&reply);
            s_error("out of memory");
            rc = EXIT_REFUSED;
            break;
        }
        pages[n_pages++] = reply;
        for (size_t i = 0; i < page->n_cases; i++)
            if (!overdue || page->cases[i]->overdue)
                kept[n_kept++] = page->cases[i];
        next = page->next ? page->next : "";
        if (!all || !*next)
            break;
        if (page->n_cases == 0 || strcmp(next, list.after) == 0) {
            s_error("node at %s: list paging does not advance past '%s'", self->endpoint, next);
            rc = EXIT_UNREACHABLE;
            break;
        }
        list.after = (char *) next;
    }
    gn_client_destroy(&client);

    if (rc == 0) {
        Gridnet__CaseList out = GRIDNET__CASE_LIST__INIT;
        out.cases = kept;
        out.n_cases = n_kept;
        out.next = (char *) (all ? "" : next);
        if (self->json)
            rc = s_print_message(&out.base);
        else
        if (s_print_cases(kept, n_kept) == 0) {
            if (*out.next)
                printf("(more: --after %s)\n", out.next);
        }
        else {
            s_error("out of memory");
            rc = EXIT_REFUSED;
        }
    }
    for (size_t i = 0; i < n_pages; i++)
        gn_codec_free_reply(&pages[i]);
    free(pages);
    free(kept);
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
            "PEER", "ROLE", "UP/DOWN", "SENT", "ACKED", "APPLIED", "PEER HEAD", "LAG OPS",
            "LAG S", "LAST SEEN", "LAST ERROR"
        };
        table_t *table = s_table_new("lllrrrrrrll", header);
        int err = table ? 0 : GN_ENOMEM;
        for (size_t i = 0; i < st->n_links && err == 0; i++) {
            const Gridnet__LinkStatus *l = st->links[i];
            char peer[NUM_TEXT_MAX], sent[NUM_TEXT_MAX], acked[NUM_TEXT_MAX];
            char applied[NUM_TEXT_MAX], head[NUM_TEXT_MAX], seen[32], lag[NUM_TEXT_MAX];
            char lags[32];
            snprintf(lags, sizeof lags, "%.1f", (double) l->lag_ms / 1000.0);
            const char *row[] = {
                s_node(l->peer, peer), l->role && *l->role ? l->role : "-",
                l->connected ? "up" : "down", s_u64(l->sent, sent), s_u64(l->acked, acked),
                s_u64(l->applied, applied), s_u64(l->peer_head, head), s_u64(l->lag_ops, lag),
                lags, s_time(l->last_seen, seen),
                l->last_error && *l->last_error ? l->last_error : "-",
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
static const struct option s_handle_opts[] = {
    ACT_COMMON_OPTS,
    { "evidence", required_argument, NULL, OPT_EVIDENCE },
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
    { "comment", required_argument, NULL, OPT_COMMENT },
    { NULL, 0, NULL, 0 }
};
static const struct option s_reject_opts[] = {
    ACT_COMMON_OPTS,
    { "duplicate-of", required_argument, NULL, OPT_DUPLICATE_OF },
    { NULL, 0, NULL, 0 }
};
static const struct option s_return_opts[] = {
    ACT_COMMON_OPTS,
    { "to", required_argument, NULL, OPT_TO },
    { NULL, 0, NULL, 0 }
};
static const struct option s_supervise_opts[] = {
    ACT_COMMON_OPTS,
    { "due", required_argument, NULL, OPT_DUE },
    { "due-in", required_argument, NULL, OPT_DUE_IN },
    { "urgency", required_argument, NULL, OPT_URGENCY },
    { NULL, 0, NULL, 0 }
};

//  Every workflow action: the Action is the command's name; a command's
//  option table says which ActReq fields it may set.
static int
s_cmd_act(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ActReq act = GRIDNET__ACT_REQ__INIT;
    int action = 0;
    int rc = gn_pbjson_enum_parse(&gridnet__action__descriptor, cmd->name, &action);
    assert(rc == 0 && action != 0);
    act.action = (Gridnet__Action) action;
    bool pass = false, fail = false;
    const char *due = NULL, *due_in = NULL;
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
        case OPT_COMMENT:
            rc = s_check_text(cmd->name, "--comment", optarg, GN_TEXT_MAX);
            act.comment = optarg;
            break;
        case OPT_EVIDENCE:
            rc = s_check_text(cmd->name, "--evidence", optarg, GN_FIELD_MAX);
            act.evidence = optarg;
            break;
        case OPT_DUPLICATE_OF:
            rc = s_check_case_id(cmd->name, optarg);
            act.duplicate_of = optarg;
            break;
        case OPT_DUE:
            rc = s_check_due(cmd->name, "--due", optarg, &act.due);
            due = optarg;
            break;
        case OPT_DUE_IN:
            rc = s_check_due_in(cmd->name, "--due-in", optarg, &act.due);
            due_in = optarg;
            break;
        case OPT_URGENCY:
            if (s_parse_u64(optarg, 2, &n) != 0)
                rc = s_usage("%s: --urgency must be 0, 1 or 2, not '%s'", cmd->name, optarg);
            act.urgency = (uint32_t) n;
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
    switch (act.action) {
    case GRIDNET__ACTION__ACT_HANDLE:
        if (!*act.note)
            return s_usage("%s: --note RESULT (the handling result) is required", cmd->name);
        break;
    case GRIDNET__ACTION__ACT_VERIFY:
        if (pass == fail)
            return s_usage("%s: give exactly one of --pass and --fail", cmd->name);
        act.ok = pass;
        break;
    case GRIDNET__ACTION__ACT_EVALUATE:
        if (act.rating == 0)
            return s_usage("%s: --rating 1..5 is required", cmd->name);
        break;
    case GRIDNET__ACTION__ACT_REJECT:
        if (!*act.note)
            return s_usage("%s: --note REASON is required", cmd->name);
        if (strcmp(act.duplicate_of, id) == 0)
            return s_usage("%s: a case cannot be a duplicate of itself", cmd->name);
        break;
    case GRIDNET__ACTION__ACT_RETURN:
        if (!*act.note)
            return s_usage("%s: --note REASON is required", cmd->name);
        break;
    case GRIDNET__ACTION__ACT_SUPERVISE:
        if (!*act.note)
            return s_usage("%s: --note TEXT is required", cmd->name);
        if (due && due_in)
            return s_usage("%s: give --due or --due-in, not both", cmd->name);
        if (due_in)
            (void) s_parse_due_in(due_in, &act.due);   //  checked above; counted from now
        break;
    default:
        break;
    }
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

//  --------------------------------------------------------------------------
//  Commands with sub-commands: "ref set", "meeting create", ...

//  Run the sub-command argv[1] of cmd from subs. Returns the exit code.
static int
s_subcommand(gridctl_t *self, const cmd_t *cmd, int argc, char **argv, const cmd_t *subs,
             size_t n_subs)
{
    char names[128] = "";
    size_t used = 0;
    for (size_t i = 0; i < n_subs; i++) {
        const char *word = strchr(subs[i].name, ' ') + 1;
        int n = snprintf(names + used, sizeof names - used, "%s%s", i ? "|" : "", word);
        if (n < 0 || (size_t) n >= sizeof names - used)
            break;
        used += (size_t) n;
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage:\n");
        s_print_command(stdout, cmd);
        return 0;
    }
    if (argc < 2)
        return s_usage("%s: missing sub-command (%s)", cmd->name, names);
    for (size_t i = 0; i < n_subs; i++)
        if (strcmp(strchr(subs[i].name, ' ') + 1, argv[1]) == 0) {
            optind = 0;
            return subs[i].handler(self, &subs[i], argc - 1, argv + 1);
        }
    return s_usage("%s: unknown sub-command '%s' (%s)", cmd->name, argv[1], names);
}

//  Exactly n positional arguments after the options. Returns 0 or EXIT_USAGE.
static int
s_args(const char *cmd, int argc, char **argv, int n, const char *const *what,
       const char **args)
{
    for (int i = 0; i < n; i++) {
        if (optind + i >= argc)
            return s_usage("%s: missing %s", cmd, what[i]);
        args[i] = argv[optind + i];
    }
    if (optind + n < argc)
        return s_usage("%s: unexpected argument '%s'", cmd, argv[optind + n]);
    return 0;
}

//  The options of a command that takes none but the common ones and --actor
//  (actor NULL: not even that). Returns 0, EXIT_USAGE, or -1 after -h.
static int
s_simple_opts(gridctl_t *self, const cmd_t *cmd, int argc, char **argv, const char **actor)
{
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return -1;
        case OPT_ACTOR:
            assert(actor);
            rc = s_check_text(cmd->name, "--actor", optarg, GN_FIELD_MAX);
            *actor = optarg;
            break;
        default:
            assert(false);
        }
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Reference data: JSON values by key, set at the district, replicated down

static const struct option s_actor_opts[] = {
    { "actor", required_argument, NULL, OPT_ACTOR },
    { NULL, 0, NULL, 0 }
};

static int
s_check_ref_key(const char *cmd, const char *key)
{
    if (!*key)
        return s_usage("%s: the key is empty", cmd);
    return s_check_text(cmd, "the key", key, GN_FIELD_MAX);
}

//  Send one RefSetReq through client. Returns the exit code.
static int
s_ref_set(gridctl_t *self, gn_client_t *client, const char *key, const char *value,
          const char *actor)
{
    Gridnet__RefSetReq set = GRIDNET__REF_SET_REQ__INIT;
    set.key = (char *) key;
    set.value = (char *) value;
    set.actor = (char *) actor;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_REF_SET;
    req.ref_set = &set;
    gn_api_reply_t *reply = NULL;
    int rc = s_call_on(self, client, &req, GRIDNET__API_REPLY__BODY__NOT_SET, &reply);
    gn_codec_free_reply(&reply);
    return rc;
}

//  ref set KEY JSON: the value is checked here (valid JSON, any type, within
//  GN_REF_VALUE_MAX) and sent as given.
static int
s_cmd_ref_set(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    const char *actor = "";
    int rc = s_simple_opts(self, cmd, argc, argv, &actor);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    static const char *const what[] = { "KEY", "JSON value" };
    const char *args[2] = { NULL, NULL };
    if ((rc = s_args(cmd->name, argc, argv, 2, what, args)) != 0
    ||  (rc = s_check_ref_key(cmd->name, args[0])) != 0)
        return rc;
    if (strlen(args[1]) > GN_REF_VALUE_MAX)
        return s_usage("%s: the value is longer than %u bytes", cmd->name, GN_REF_VALUE_MAX);
    json_error_t error;
    json_t *value = json_loads(args[1], JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &error);
    if (!value)
        return s_usage("%s: the value is not valid JSON: %s (column %d)", cmd->name, error.text,
                       error.column);
    json_decref(value);

    gn_client_t *client = NULL;
    if ((rc = s_connect(self, &client)) == 0)
        rc = s_ref_set(self, client, args[0], args[1], actor);
    gn_client_destroy(&client);
    if (rc == 0) {
        if (self->json) {
            json_t *j = json_pack("{s:s}", "key", args[0]);
            rc = s_print_json(j);
            json_decref(j);
        }
        else
            printf("set %s\n", args[0]);
    }
    return rc;
}

//  ref get [PREFIX]: the reply is a JSON object key -> value; printed as
//  JSON with or without --json.
static int
s_cmd_ref_get(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int rc = s_simple_opts(self, cmd, argc, argv, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (optind + 1 < argc)
        return s_usage("%s: unexpected argument '%s'", cmd->name, argv[optind + 1]);
    const char *prefix = optind < argc ? argv[optind] : "";
    if ((rc = s_check_text(cmd->name, "PREFIX", prefix, GN_FIELD_MAX)) != 0)
        return rc;

    Gridnet__RefGetReq get = GRIDNET__REF_GET_REQ__INIT;
    get.prefix = (char *) prefix;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_REF_GET;
    req.ref_get = &get;
    gn_api_reply_t *reply = NULL;
    if ((rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_JSON, &reply)) != 0)
        return rc;
    json_t *json = NULL;
    if ((rc = s_reply_json(self, reply, &json)) == 0)
        rc = s_print_json(json);
    json_decref(json);
    gn_codec_free_reply(&reply);
    return rc;
}

//  A value as compact JSON text that parses back to the same value: reals
//  with 15 significant digits when that is enough, else 17. Caller frees.
static char *
s_json_compact(const json_t *value)
{
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    char *text = json_dumps(value, flags | JSON_REAL_PRECISION(15));
    json_t *back = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (text && !json_equal(back, (json_t *) value)) {
        free(text);
        text = json_dumps(value, flags | JSON_REAL_PRECISION(17));
    }
    json_decref(back);
    return text;
}

//  ref load FILE ("-": stdin): a JSON object of key -> value, every pair
//  checked first, then one RefSetReq per key in the file's order; stops at
//  the first the node refuses.
static int
s_cmd_ref_load(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    const char *actor = "";
    int rc = s_simple_opts(self, cmd, argc, argv, &actor);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    const char *path = NULL;
    if ((rc = s_one_arg(cmd->name, "FILE", argc, argv, &path)) != 0)
        return rc;
    json_error_t error;
    json_t *all = strcmp(path, "-") == 0 ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &error)
                                         : json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (!all && error.line > 0)
        return s_usage("%s: %s: %s (line %d)", cmd->name, path, error.text, error.line);
    if (!all)
        return s_usage("%s: %s: %s", cmd->name, path, error.text);
    if (!json_is_object(all)) {
        json_decref(all);
        return s_usage("%s: %s: not a JSON object of key -> value", cmd->name, path);
    }
    //  Every pair as text, checked before anything is sent
    size_t n = json_object_size(all);
    char **values = calloc(n ? n : 1, sizeof *values);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    size_t i = 0;
    const char *key;
    json_t *value;
    if (!values || !keys) {
        s_error("out of memory");
        rc = EXIT_REFUSED;
    }
    if (rc == 0) {
        json_object_foreach(all, key, value) {
            keys[i] = key;
            if ((rc = s_check_ref_key(cmd->name, key)) != 0)
                break;
            values[i] = s_json_compact(value);
            if (!values[i]) {
                s_error("out of memory");
                rc = EXIT_REFUSED;
                break;
            }
            if (strlen(values[i++]) > GN_REF_VALUE_MAX) {
                rc = s_usage("%s: key '%s': the value is longer than %u bytes", cmd->name, key,
                             GN_REF_VALUE_MAX);
                break;
            }
        }
    }
    size_t loaded = 0;
    gn_client_t *client = NULL;
    if (rc == 0 && n > 0)
        rc = s_connect(self, &client);
    for (; rc == 0 && loaded < n; loaded++) {
        char context[GN_FIELD_MAX + 128];
        (void) snprintf(context, sizeof context, "%s: key '%s' (%zu of %zu loaded before it): ",
                        cmd->name, keys[loaded], loaded, n);
        self->context = context;
        rc = s_ref_set(self, client, keys[loaded], values[loaded], actor);
        self->context = "";
        if (rc != 0)
            break;
    }
    gn_client_destroy(&client);
    if (rc == 0) {
        if (self->json) {
            json_t *j = json_pack("{s:I}", "loaded", (json_int_t) loaded);
            rc = s_print_json(j);
            json_decref(j);
        }
        else
            printf("loaded %zu keys\n", loaded);
    }
    for (size_t k = 0; values && k < n; k++)
        free(values[k]);
    free(values);
    free(keys);
    json_decref(all);
    return rc;
}

static const cmd_t s_ref_commands[] = {
    { "ref set", s_cmd_ref_set, s_actor_opts, "KEY JSON [--actor A]",
      "set one key's value (checked as JSON here)" },
    { "ref get", s_cmd_ref_get, NULL, "[PREFIX]", "every key with PREFIX, as a JSON object" },
    { "ref load", s_cmd_ref_load, s_actor_opts, "FILE [--actor A]",
      "set each key of a JSON object file, in order" },
};

static int
s_cmd_ref(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    return s_subcommand(self, cmd, argc, argv, s_ref_commands,
                        sizeof s_ref_commands / sizeof s_ref_commands[0]);
}

//  --------------------------------------------------------------------------
//  Joint meetings (联席会议): cases discussed together, resolutions, tasks

//  Call with a request whose reply is a JSON object; print it with --json,
//  else hand it back. Returns 0 with *json_p set (NULL once printed), or the
//  exit code.
static int
s_call_json(gridctl_t *self, gn_api_request_t *req, json_t **json_p)
{
    *json_p = NULL;
    gn_api_reply_t *reply = NULL;
    int rc = s_call(self, req, GRIDNET__API_REPLY__BODY_JSON, &reply);
    if (rc != 0)
        return rc;
    json_t *json = NULL;
    rc = s_reply_json(self, reply, &json);
    gn_codec_free_reply(&reply);
    if (rc == 0 && self->json) {
        rc = s_print_json(json);
        json_decref(json);
        json = NULL;
    }
    *json_p = json;
    return rc;
}

static const struct option s_meeting_create_opts[] = {
    { "title", required_argument, NULL, OPT_TITLE },
    { "date", required_argument, NULL, OPT_DATE },
    { "chair", required_argument, NULL, OPT_CHAIR },
    { "attend", required_argument, NULL, OPT_ATTEND },
    { "case", required_argument, NULL, OPT_CASE },
    { "actor", required_argument, NULL, OPT_ACTOR },
    { NULL, 0, NULL, 0 }
};

//  meeting create: prints the new meeting's id (reply member "id").
static int
s_cmd_meeting_create(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__MeetingReq meeting = GRIDNET__MEETING_REQ__INIT;
    char *attendees[GN_TASKS_MAX], *cases[GN_TASKS_MAX];
    int64_t ms = 0;
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_TITLE:
            rc = s_check_text(cmd->name, "--title", optarg, GN_FIELD_MAX);
            meeting.title = optarg;
            break;
        case OPT_DATE:
            if (s_parse_local_time(optarg, false, DAY_START, &ms) != 0)
                rc = s_usage("%s: --date must be a date YYYY-MM-DD, not '%s'", cmd->name,
                             optarg);
            meeting.date = optarg;
            break;
        case OPT_CHAIR:
            rc = s_check_text(cmd->name, "--chair", optarg, GN_FIELD_MAX);
            meeting.chair = optarg;
            break;
        case OPT_ATTEND:
            if (meeting.n_attendees == GN_TASKS_MAX)
                rc = s_usage("%s: more than %d --attend", cmd->name, GN_TASKS_MAX);
            else
            if ((rc = s_check_text(cmd->name, "--attend", optarg, GN_FIELD_MAX)) == 0) {
                if (!*optarg)
                    rc = s_usage("%s: --attend is empty", cmd->name);
                attendees[meeting.n_attendees++] = optarg;
            }
            break;
        case OPT_CASE:
            if (meeting.n_cases == GN_TASKS_MAX)
                rc = s_usage("%s: more than %d --case", cmd->name, GN_TASKS_MAX);
            else
            if ((rc = s_check_case_id(cmd->name, optarg)) == 0) {
                for (size_t i = 0; i < meeting.n_cases && rc == 0; i++)
                    if (strcmp(cases[i], optarg) == 0)
                        rc = s_usage("%s: case %s given twice", cmd->name, optarg);
                cases[meeting.n_cases++] = optarg;
            }
            break;
        case OPT_ACTOR:
            rc = s_check_text(cmd->name, "--actor", optarg, GN_FIELD_MAX);
            meeting.actor = optarg;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0
    ||  (rc = s_required(cmd->name, "--title", meeting.title)) != 0
    ||  (rc = s_required(cmd->name, "--date", meeting.date)) != 0
    ||  (rc = s_required(cmd->name, "--chair", meeting.chair)) != 0)
        return rc;
    if (meeting.n_cases == 0)
        return s_usage("%s: give at least one --case", cmd->name);
    meeting.attendees = attendees;
    meeting.cases = cases;

    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_MEETING;
    req.meeting = &meeting;
    json_t *json = NULL;
    if ((rc = s_call_json(self, &req, &json)) != 0 || !json)
        return rc;
    char buf[NUM_TEXT_MAX];
    const char *id = s_json_text(json, "id", buf, sizeof buf);
    if (strcmp(id, "-") == 0) {
        s_error("node at %s: reply without the meeting id", self->endpoint);
        rc = EXIT_UNREACHABLE;
    }
    else
        printf("%s\n", id);
    json_decref(json);
    return rc;
}

//  The keys of a --task spec; "dept" fills TaskSpec.assignee.
enum { TASK_DEPT, TASK_TO, TASK_DUE, TASK_DUE_IN, TASK_TITLE, TASK_KEYS };
static const char *const s_task_keys[TASK_KEYS] = { "dept", "to", "due", "due-in", "title" };

//  The task key text starts with (after blanks), with *value_p just past its
//  '='; -1 if it starts with none.
static int
s_task_key(char *text, char **value_p)
{
    while (*text == ' ')
        text++;
    for (int k = 0; k < TASK_KEYS; k++) {
        size_t len = strlen(s_task_keys[k]);
        if (strncmp(text, s_task_keys[k], len) == 0 && text[len] == '=') {
            *value_p = text + len + 1;
            return k;
        }
    }
    return -1;
}

//  A --task spec into *task, its strings pointing into spec (a copy this
//  function cuts up). Pieces are split at commas; one that does not start
//  with a key continues the value before it, so a title may hold commas.
//  Returns 0 or EXIT_USAGE.
static int
s_parse_task(const char *cmd, const char *orig, char *spec, Gridnet__TaskSpec *task)
{
    char *values[TASK_KEYS] = { NULL };
    char *p = spec;
    while (*p) {
        char *value = NULL;
        int k = s_task_key(p, &value);
        if (k < 0)
            return s_usage("%s: --task '%s': expected dept=, to=, due=, due-in= or title= at '%s'",
                           cmd, orig, p);
        if (values[k])
            return s_usage("%s: --task '%s': %s= given twice", cmd, orig, s_task_keys[k]);
        values[k] = value;
        char *comma = value;
        char *ignored;
        while ((comma = strchr(comma, ',')) && s_task_key(comma + 1, &ignored) < 0)
            comma++;
        if (comma) {
            *comma = '\0';
            p = comma + 1;
        }
        else
            p = value + strlen(value);
        for (char *end = value + strlen(value); end > value && end[-1] == ' '; )
            *--end = '\0';
    }
    if (!values[TASK_DEPT] == !values[TASK_TO])
        return s_usage("%s: --task '%s': give dept=CODE or to=NODE, one of them", cmd, orig);
    if (values[TASK_DEPT]) {
        if (!*values[TASK_DEPT])
            return s_usage("%s: --task '%s': dept= is empty", cmd, orig);
        task->assignee = values[TASK_DEPT];
    }
    else
    if (gn_node_parse(values[TASK_TO], &task->to) != 0)
        return s_usage("%s: --task '%s': to='%s' is not a 12-digit node code", cmd, orig,
                       values[TASK_TO]);
    if (!values[TASK_DUE] == !values[TASK_DUE_IN])
        return s_usage("%s: --task '%s': give due=YYYY-MM-DD[ HH:MM] or due-in=HOURS, one of them",
                       cmd, orig);
    if (values[TASK_DUE] && s_parse_local_time(values[TASK_DUE], true, DAY_LAST, &task->due) != 0)
        return s_usage("%s: --task '%s': due='%s' is not YYYY-MM-DD[ HH:MM] (local time)", cmd,
                       orig, values[TASK_DUE]);
    if (values[TASK_DUE_IN] && s_parse_due_in(values[TASK_DUE_IN], &task->due) != 0)
        return s_usage("%s: --task '%s': due-in='%s' is not a number of hours in (0, %.0f]",
                       cmd, orig, values[TASK_DUE_IN], DUE_IN_MAX_H);
    if (!values[TASK_TITLE] || !*values[TASK_TITLE])
        return s_usage("%s: --task '%s': title= is required", cmd, orig);
    task->title = values[TASK_TITLE];
    int rc = s_check_text(cmd, "--task title", task->title, GN_FIELD_MAX);
    if (rc == 0 && values[TASK_DEPT])
        rc = s_check_text(cmd, "--task dept", task->assignee, GN_FIELD_MAX);
    return rc;
}

static const struct option s_meeting_resolve_opts[] = {
    { "case", required_argument, NULL, OPT_CASE },
    { "text", required_argument, NULL, OPT_TEXT },
    { "task", required_argument, NULL, OPT_TASK },
    { "actor", required_argument, NULL, OPT_ACTOR },
    { NULL, 0, NULL, 0 }
};

//  meeting resolve MID: prints the ids of the task cases created (reply
//  member "tasks"), one a line.
static int
s_cmd_meeting_resolve(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__ResolveReq resolve = GRIDNET__RESOLVE_REQ__INIT;
    Gridnet__TaskSpec specs[GN_TASKS_MAX];
    Gridnet__TaskSpec *tasks[GN_TASKS_MAX];
    char *copies[GN_TASKS_MAX];             //  cut-up copies of the specs, freed at the end
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: rc = EXIT_USAGE; break;
        case OPT_HELP: rc = -1; break;
        case OPT_CASE:
            rc = s_check_case_id(cmd->name, optarg);
            resolve.case_id = optarg;
            break;
        case OPT_TEXT:
            rc = s_check_text(cmd->name, "--text", optarg, GN_TEXT_MAX);
            resolve.text = optarg;
            break;
        case OPT_TASK: {
            if (resolve.n_tasks == GN_TASKS_MAX) {
                rc = s_usage("%s: more than %d --task", cmd->name, GN_TASKS_MAX);
                break;
            }
            size_t i = resolve.n_tasks;
            copies[i] = strdup(optarg);
            if (!copies[i]) {
                s_error("out of memory");
                rc = EXIT_REFUSED;
                break;
            }
            resolve.n_tasks++;
            specs[i] = (Gridnet__TaskSpec) GRIDNET__TASK_SPEC__INIT;
            tasks[i] = &specs[i];
            rc = s_parse_task(cmd->name, optarg, copies[i], &specs[i]);
            break;
        }
        case OPT_ACTOR:
            rc = s_check_text(cmd->name, "--actor", optarg, GN_FIELD_MAX);
            resolve.actor = optarg;
            break;
        default:
            assert(false);
        }
    }
    const char *mid = NULL;
    if (rc == 0
    &&  (rc = s_one_arg(cmd->name, "meeting ID", argc, argv, &mid)) == 0
    &&  (rc = s_check_text(cmd->name, "the meeting ID", mid, GN_FIELD_MAX)) == 0
    &&  (rc = s_required(cmd->name, "--case", resolve.case_id)) == 0
    &&  (rc = s_required(cmd->name, "--text", resolve.text)) == 0) {
        resolve.meeting_id = (char *) mid;
        resolve.tasks = tasks;
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_RESOLVE;
        req.resolve = &resolve;
        json_t *json = NULL;
        rc = s_call_json(self, &req, &json);
        if (json) {
            const json_t *ids = json_object_get(json, "tasks");
            size_t i;
            const json_t *item;
            if (ids && !json_is_array(ids)) {
                s_error("node at %s: reply member \"tasks\" is not an array", self->endpoint);
                rc = EXIT_UNREACHABLE;
            }
            json_array_foreach(ids, i, item) {
                char buf[NUM_TEXT_MAX];
                printf("%s\n", s_json_value_text(item, buf, sizeof buf));
            }
        }
        json_decref(json);
    }
    for (size_t i = 0; i < resolve.n_tasks; i++)
        free(copies[i]);
    return rc < 0 ? 0 : rc;
}

static const struct option s_meeting_list_opts[] = {
    { "overdue", no_argument, NULL, OPT_OVERDUE },
    { NULL, 0, NULL, 0 }
};

//  Overdue tasks of a meeting of the list.
static size_t
s_meeting_overdue(const json_t *meeting)
{
    size_t n = 0, i, j;
    const json_t *resolution, *task;
    json_array_foreach(json_object_get(meeting, "resolutions"), i, resolution)
        json_array_foreach(json_object_get(resolution, "tasks"), j, task)
            n += s_json_true(task, "overdue");
    return n;
}

//  One meeting of the list: its fields, then each resolution with a table of
//  its tasks. 0 or GN_ENOMEM.
static int
s_print_meeting(const json_t *m)
{
    char a[64], b[64];
    size_t overdue = s_meeting_overdue(m);
    if (overdue)
        s_fieldf("meeting:", "%s  OVERDUE: %zu task%s", s_json_text(m, "id", a, sizeof a),
                 overdue, overdue == 1 ? "" : "s");
    else
        s_field("meeting:", s_json_text(m, "id", a, sizeof a));
    s_field("title:", s_json_text(m, "title", a, sizeof a));
    s_field("date:", s_json_text(m, "date", a, sizeof a));
    s_field("chair:", s_json_text(m, "chair", a, sizeof a));
    char *attendees = s_json_join(m, "attendees");
    char *cases = s_json_join(m, "cases");
    int rc = attendees && cases ? 0 : GN_ENOMEM;
    if (rc == 0) {
        s_field("attendees:", attendees);
        s_field("cases:", cases);
    }
    free(attendees);
    free(cases);
    size_t i;
    const json_t *resolution;
    json_array_foreach(json_object_get(m, "resolutions"), i, resolution) {
        if (rc != 0)
            break;
        const char *text = s_json_text(resolution, "text", b, sizeof b);
        char *line = NULL;
        if (asprintf(&line, "on %s: %s", s_json_text(resolution, "case", a, sizeof a),
                     text) < 0)
            line = NULL;
        if (!line) {
            rc = GN_ENOMEM;
            break;
        }
        s_field("resolution:", line);
        free(line);
        const json_t *tasks = json_object_get(resolution, "tasks");
        if (json_array_size(tasks) == 0)
            continue;
        static const char *const header[] = {
            "TASK", "STATUS", "OWNER", "ASSIGNEE", "DUE", "OVERDUE"
        };
        table_t *table = s_table_new("llllll", header);
        if (!table) {
            rc = GN_ENOMEM;
            break;
        }
        table->indent = 4;
        size_t j;
        const json_t *t;
        json_array_foreach(tasks, j, t) {
            char id[64], status[ENUM_NAME_MAX], owner[NUM_TEXT_MAX], assignee[64], due[32];
            int64_t st;
            const char *row[] = {
                s_json_text(t, "id", id, sizeof id),
                json_is_integer(json_object_get(t, "status")) && s_json_int(t, "status", &st)
                    ? s_enum_name(&gridnet__status__descriptor, (int) st, status)
                    : s_json_text(t, "status", status, sizeof status),
                s_json_node(t, "owner", owner), s_json_text(t, "assignee", assignee, sizeof assignee),
                s_json_time(t, "due", due), s_json_true(t, "overdue") ? "yes" : "-",
            };
            if ((rc = s_table_add(table, row)) != 0)
                break;
        }
        if (rc == 0)
            s_table_print(table);
        s_table_destroy(&table);
    }
    return rc;
}

//  meeting list [--overdue]: one block per meeting; --overdue keeps the
//  meetings with an overdue task (here, from the tasks' "overdue").
static int
s_cmd_meeting_list(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    bool overdue = false;
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_OVERDUE:
            overdue = true;
            break;
        default:
            assert(false);
        }
    }
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;

    Gridnet__MeetingListReq meetings_req = GRIDNET__MEETING_LIST_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_MEETINGS;
    req.meetings = &meetings_req;
    gn_api_reply_t *reply = NULL;
    if ((rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_JSON, &reply)) != 0)
        return rc;
    json_t *json = NULL;
    rc = s_reply_json(self, reply, &json);
    gn_codec_free_reply(&reply);
    if (rc != 0)
        return rc;
    json_t *meetings = json_object_get(json, "meetings");
    if (meetings && !json_is_array(meetings)) {
        s_error("node at %s: reply member \"meetings\" is not an array", self->endpoint);
        json_decref(json);
        return EXIT_UNREACHABLE;
    }
    json_t *shown = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(meetings, i, m) {
        if (shown && (!overdue || s_meeting_overdue(m) > 0) && json_array_append(shown, m) != 0) {
            json_decref(shown);
            shown = NULL;
        }
    }
    if (!shown || json_object_set(json, "meetings", shown) != 0) {
        s_error("out of memory");
        rc = EXIT_REFUSED;
    }
    else
    if (self->json)
        rc = s_print_json(json);
    else {
        json_array_foreach(shown, i, m) {
            if (i)
                putchar('\n');
            if (s_print_meeting(m) != 0) {
                s_error("out of memory");
                rc = EXIT_REFUSED;
                break;
            }
        }
        if (rc == 0 && json_array_size(shown) == 0)
            printf(overdue ? "no meeting has an overdue task\n" : "no meetings\n");
    }
    json_decref(shown);
    json_decref(json);
    return rc;
}

static const cmd_t s_meeting_commands[] = {
    { "meeting create", s_cmd_meeting_create, s_meeting_create_opts,
      "--title T --date YYYY-MM-DD --chair NAME [--attend X]... --case ID [--case ID]...\n"
      "                       [--actor A]",
      "hold a joint meeting on cases; prints its id" },
    { "meeting resolve", s_cmd_meeting_resolve, s_meeting_resolve_opts,
      "MID --case ID --text TEXT [--task SPEC]... [--actor A]\n"
      "                       SPEC: dept=CODE|to=NODE,due=YYYY-MM-DD[ HH:MM]|due-in=HOURS,title=T",
      "record a resolution on a case; prints the task case ids" },
    { "meeting list", s_cmd_meeting_list, s_meeting_list_opts, "[--overdue]",
      "meetings, resolutions and their tasks" },
};

static int
s_cmd_meeting(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    return s_subcommand(self, cmd, argc, argv, s_meeting_commands,
                        sizeof s_meeting_commands / sizeof s_meeting_commands[0]);
}

//  --------------------------------------------------------------------------
//  The reward ledger

static const struct option s_ledger_opts[] = {
    { "worker", required_argument, NULL, OPT_WORKER },
    { "from", required_argument, NULL, OPT_FROM },
    { "to", required_argument, NULL, OPT_TO },
    { NULL, 0, NULL, 0 }
};

//  ledger: entries as a table and their total in yuan. Days are local, both
//  included: LedgerReq.from = --from's 00:00, .to = the 00:00 after --to
//  (the node takes entries with from <= time < to).
static int
s_cmd_ledger(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__LedgerReq ledger = GRIDNET__LEDGER_REQ__INIT;
    int rc = 0;
    int c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_WORKER:
            rc = s_check_text(cmd->name, "--worker", optarg, GN_FIELD_MAX);
            ledger.worker = optarg;
            break;
        case OPT_FROM:
            if (s_parse_local_time(optarg, false, DAY_START, &ledger.from) != 0)
                rc = s_usage("%s: --from must be a date YYYY-MM-DD, not '%s'", cmd->name, optarg);
            break;
        case OPT_TO:
            //  The node counts entries before `to`: send the next day's start
            if (s_parse_local_time(optarg, false, DAY_AFTER, &ledger.to) != 0)
                rc = s_usage("%s: --to must be a date YYYY-MM-DD, not '%s'", cmd->name, optarg);
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0)
        return rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    if (ledger.from && ledger.to && ledger.from >= ledger.to)
        return s_usage("%s: --from is after --to", cmd->name);

    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LEDGER;
    req.ledger = &ledger;
    json_t *json = NULL;
    if ((rc = s_call_json(self, &req, &json)) != 0 || !json)
        return rc;
    static const char *const header[] = {
        "TIME", "NODE", "WORKER", "NAME", "CASE", "RULE", "YUAN"
    };
    table_t *table = s_table_new("llllllr", header);
    int err = table ? 0 : GN_ENOMEM;
    int64_t sum = 0;
    size_t i;
    const json_t *e;
    json_array_foreach(json_object_get(json, "entries"), i, e) {
        char when[32], node[NUM_TEXT_MAX], worker[64], name[64], kase[64], rule[64];
        char yuan[NUM_TEXT_MAX + 2];
        int64_t fen = 0;
        bool has_fen = s_json_int(e, "fen", &fen);
        if (__builtin_add_overflow(sum, fen, &sum))
            sum = fen < 0 ? INT64_MIN : INT64_MAX;
        const char *row[] = {
            s_json_time(e, "time", when), s_json_node(e, "node", node),
            s_json_text(e, "worker", worker, sizeof worker),
            s_json_text(e, "name", name, sizeof name), s_json_text(e, "case", kase, sizeof kase),
            s_json_text(e, "rule", rule, sizeof rule), has_fen ? s_yuan(fen, yuan) : "-",
        };
        if ((err = s_table_add(table, row)) != 0)
            break;
    }
    if (err == 0) {
        int64_t total = sum;
        (void) s_json_int(json, "total_fen", &total);
        char yuan[NUM_TEXT_MAX + 2];
        s_table_print(table);
        printf("total: %s yuan in %zu entr%s\n", s_yuan(total, yuan),
               json_array_size(json_object_get(json, "entries")),
               json_array_size(json_object_get(json, "entries")) == 1 ? "y" : "ies");
    }
    else {
        s_error("out of memory");
        rc = EXIT_REFUSED;
    }
    s_table_destroy(&table);
    json_decref(json);
    return rc;
}

static int s_cmd_help(gridctl_t *self, const cmd_t *cmd, int argc, char **argv);

//  --------------------------------------------------------------------------
//  Sessions: log in to a node that requires it (api/auth = 1).

//  The password: $GRIDNET_PASSWORD, else one line on standard input.
static int
s_read_password(char *buf, size_t size)
{
    const char *env = getenv("GRIDNET_PASSWORD");
    if (env) {
        if (strlen(env) >= size)
            return s_usage("the password is too long");
        snprintf(buf, size, "%s", env);
        return 0;
    }
    if (!fgets(buf, (int) size, stdin))
        return s_usage("give the password on standard input or in $GRIDNET_PASSWORD");
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

static const struct option s_login_opts[] = {
    { "user", required_argument, NULL, OPT_USER },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_login(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    const char *user = NULL;
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_USER: user = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    if (!user)
        return s_usage("login needs --user ID");
    char password[256];
    int rc = s_read_password(password, sizeof password);
    if (rc != 0)
        return rc;
    Gridnet__LoginReq login = GRIDNET__LOGIN_REQ__INIT;
    login.user = (char *) user;
    login.password = password;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LOGIN;
    req.login = &login;
    json_t *json = NULL;
    rc = s_call_json(self, &req, &json);
    memset(password, 0, sizeof password);
    if (rc == 0 && json) {   // the plain form is ready for eval in a shell
        printf("export GRIDNET_TOKEN=%s\n",
               json_string_value(json_object_get(json, "token")));
        json_decref(json);
    }
    return rc;
}

//  End the session in $GRIDNET_TOKEN at the node: the token is refused from now on.
static int
s_cmd_logout(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int rc = s_simple_opts(self, cmd, argc, argv, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    Gridnet__LogoutReq logout = GRIDNET__LOGOUT_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_LOGOUT;
    req.logout = &logout;
    json_t *json = NULL;
    rc = s_call_json(self, &req, &json);
    if (rc == 0 && json) {
        printf("logged out %s; unset GRIDNET_TOKEN\n",
               json_string_value(json_object_get(json, "logged_out")));
        json_decref(json);
    }
    return rc;
}

//  A password hash for reference data staff/<id>.password; no node is asked.
static int
s_cmd_hash_password(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int rc = s_simple_opts(self, cmd, argc, argv, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char password[256], hash[GN_PW_ENCODED_MAX];
    if ((rc = s_read_password(password, sizeof password)) != 0)
        return rc;
    rc = gn_pw_hash(password, NULL, hash);
    memset(password, 0, sizeof password);
    if (rc != 0)
        return s_error("hash-password: %s", gn_strerror(rc)), EXIT_REFUSED;
    printf("%s\n", hash);
    return 0;
}

//  --------------------------------------------------------------------------
//  Verify: a node's digest of each child's subtree against the child's own.

static const struct option s_verify_tree_opts[] = {
    { "child", required_argument, NULL, OPT_CHILD },
    { NULL, 0, NULL, 0 }
};

//  One call to the node at endpoint (not the one the options name).
static int
s_call_at(gridctl_t *self, const char *endpoint, gn_api_request_t *req,
          Gridnet__ApiReply__BodyCase want, gn_api_reply_t **reply)
{
    char saved[sizeof self->endpoint];
    gn_client_t *client = gn_client_new(endpoint, self->timeout_ms);
    if (!client)
        return s_usage("cannot use node endpoint '%s'", endpoint);
    snprintf(saved, sizeof saved, "%s", self->endpoint);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", endpoint);
    int rc = s_call_on(self, client, req, want, reply);
    snprintf(self->endpoint, sizeof self->endpoint, "%s", saved);
    gn_client_destroy(&client);
    return rc;
}

//  The digest a node at endpoint holds of root's subtree (caller frees reply).
static int
s_digest_of(gridctl_t *self, const char *endpoint, uint64_t root, gn_api_reply_t **reply)
{
    Gridnet__DigestReq dr = GRIDNET__DIGEST_REQ__INIT;
    dr.root = root;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_DIGEST;
    req.digest = &dr;
    return s_call_at(self, endpoint, &req, GRIDNET__API_REPLY__BODY_DIGEST, reply);
}

static const Gridnet__DigestItem *
s_digest_find(const Gridnet__Digest *d, uint64_t origin)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (d->items[i]->origin == origin)
            return d->items[i];
    return NULL;
}

//  Compare two digests; print one line per origin that differs.
static size_t
s_digest_diff(uint64_t child, const Gridnet__Digest *parent, const Gridnet__Digest *mine)
{
    size_t diffs = 0;
    char a[32], b[32];
    for (int side = 0; side < 2; side++) {
        const Gridnet__Digest *x = side ? mine : parent, *y = side ? parent : mine;
        for (size_t i = 0; i < x->n_items; i++) {
            const Gridnet__DigestItem *p = x->items[i], *q = s_digest_find(y, p->origin);
            if (side && q)
                continue;   // compared in the first pass
            if (q && q->count == p->count && q->max_seq == p->max_seq
                && q->hash.len == p->hash.len && memcmp(q->hash.data, p->hash.data, p->hash.len) == 0)
                continue;
            diffs++;
            if (!q)
                printf("  %s: origin %s: only the %s holds it (%llu ops, max seq %llu)\n",
                       s_node(child, a), s_node(p->origin, b), side ? "child" : "parent",
                       (unsigned long long) p->count, (unsigned long long) p->max_seq);
            else
                printf("  %s: origin %s: parent %llu ops (max %llu), child %llu ops (max %llu)%s\n",
                       s_node(child, a), s_node(p->origin, b), (unsigned long long) p->count,
                       (unsigned long long) p->max_seq, (unsigned long long) q->count,
                       (unsigned long long) q->max_seq,
                       q->count == p->count ? ": same count, different bytes" : "");
        }
    }
    return diffs;
}

static int
s_cmd_verify_tree(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    const char *children[64];
    size_t n = 0;
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_CHILD:
            if (n == 64)
                return s_usage("verify: at most 64 --child");
            children[n++] = optarg;
            break;
        default: return EXIT_USAGE;
        }
    }
    if (n == 0)
        return s_usage("verify needs --child DATADIR|ENDPOINT for each child to compare");
    int rc = s_resolve(self);
    if (rc != 0)
        return rc;
    char parent[sizeof self->endpoint];
    snprintf(parent, sizeof parent, "%s", self->endpoint);
    size_t diffs = 0, origins = 0;
    for (size_t i = 0; i < n; i++) {
        char endpoint[512];
        if (strncmp(children[i], "tcp://", 6) == 0 || strncmp(children[i], "ipc://", 6) == 0)
            snprintf(endpoint, sizeof endpoint, "%s", children[i]);
        else if (gn_endpoints_read(children[i], "api", endpoint, sizeof endpoint) != 0)
            return s_error("verify: no endpoints file in %s", children[i]), EXIT_UNREACHABLE;
        //  The child's own digest first: it says who the child is.
        gn_api_reply_t *mine = NULL, *theirs = NULL, *st = NULL;
        Gridnet__StatusReq sreq = GRIDNET__STATUS_REQ__INIT;
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_STATUS;
        req.status = &sreq;
        if ((rc = s_call_at(self, endpoint, &req, GRIDNET__API_REPLY__BODY_STATUS, &st)) != 0)
            return rc;
        uint64_t child = st->status->node;
        gn_codec_free_reply(&st);
        if ((rc = s_digest_of(self, endpoint, child, &mine)) != 0)
            return rc;
        if ((rc = s_digest_of(self, parent, child, &theirs)) != 0) {
            gn_codec_free_reply(&mine);
            return rc;
        }
        origins += mine->digest->n_items;
        diffs += s_digest_diff(child, theirs->digest, mine->digest);
        gn_codec_free_reply(&mine);
        gn_codec_free_reply(&theirs);
    }
    if (diffs) {
        s_error("verify: %zu origin(s) differ between the node and its children", diffs);
        return EXIT_REFUSED;
    }
    printf("verify ok: %zu child subtree(s), %zu origin(s), digests equal\n", n, origins);
    return 0;
}

//  --------------------------------------------------------------------------
//  Audit: the node recomputes its chains and checks its seals.

static int
s_cmd_audit(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    int rc = s_simple_opts(self, cmd, argc, argv, NULL);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if ((rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    Gridnet__AuditReq audit = GRIDNET__AUDIT_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_AUDIT;
    req.audit = &audit;
    gn_api_reply_t *reply = NULL;
    if ((rc = s_call(self, &req, GRIDNET__API_REPLY__BODY_JSON, &reply)) != 0)
        return rc;
    json_t *json = NULL;
    rc = s_reply_json(self, reply, &json);
    gn_codec_free_reply(&reply);
    if (rc != 0)
        return rc;
    bool ok = json_is_true(json_object_get(json, "ok"));
    if (self->json)
        rc = s_print_json(json);
    else {
        printf("audit %s: %lld feed records, %lld ops, %lld seals verified, %lld cases\n",
               ok ? "ok" : "FAILED",
               (long long) json_integer_value(json_object_get(json, "feed_records")),
               (long long) json_integer_value(json_object_get(json, "ops_checked")),
               (long long) json_integer_value(json_object_get(json, "seals_verified")),
               (long long) json_integer_value(json_object_get(json, "cases_checked")));
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(json, "problems"), i, p)
            printf("  %s: %s\n", json_string_value(json_object_get(p, "where")),
                   json_string_value(json_object_get(p, "why")));
    }
    json_decref(json);
    if (rc == 0 && !ok) {
        s_error("audit found altered records (listed above)");
        return EXIT_REFUSED;
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Keys: made here, on the node's host; no node is asked.

static const struct option s_keygen_opts[] = {
    { "dir", required_argument, NULL, OPT_DIR },
    { "node", required_argument, NULL, OPT_NODE_CODE },
    { "registry", required_argument, NULL, OPT_REGISTRY },
    { "force", no_argument, NULL, OPT_FORCE },
    { "pii", required_argument, NULL, OPT_PII },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_keygen(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    const char *dir = NULL, *registry = NULL, *pii = NULL;
    uint64_t node = 0;
    bool force = false;
    int c;
    while ((c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_DIR: dir = optarg; break;
        case OPT_REGISTRY: registry = optarg; break;
        case OPT_FORCE: force = true; break;
        case OPT_PII: pii = optarg; break;
        case OPT_NODE_CODE:
            if (gn_node_parse(optarg, &node) != 0)
                return s_usage("keygen: --node wants a 12-digit division code, got '%s'", optarg);
            break;
        default: return EXIT_USAGE;
        }
    }
    if (!dir || !node)
        return s_usage("keygen needs --dir DIR and --node CODE");
    if (zsys_dir_create("%s", dir) != 0)
        return s_error("keygen: cannot create %s", dir), EXIT_REFUSED;
    if (pii) {   // the district's personal-data key, made once and copied to every host
        char a[4096], b[4096];
        uint8_t key[32];
        snprintf(a, sizeof a, "%s", pii);
        snprintf(b, sizeof b, "%s", pii);
        int prc = gn_keys_shared(dirname(a), basename(b), true, key);
        memset(key, 0, sizeof key);
        if (prc != 0)
            return s_error("keygen: personal-data key %s: %s", pii, gn_strerror(prc)),
                   EXIT_REFUSED;
    }
    int rc = gn_keys_generate(dir, node, force);
    if (rc == GN_EEXIST)
        return s_error("keygen: %s already holds keys (use --force to replace them)", dir),
               EXIT_REFUSED;
    if (rc != 0)
        return s_error("keygen: %s", gn_strerror(rc)), EXIT_REFUSED;
    if (registry) {   // publish the public certificate where the other nodes look
        char src[4096], dst[4096];
        snprintf(src, sizeof src, "%s/%012llu", dir, (unsigned long long) node);
        snprintf(dst, sizeof dst, "%s/%012llu", registry, (unsigned long long) node);
        zcert_t *cert = zcert_load(src);
        if (zsys_dir_create("%s", registry) != 0 || !cert || zcert_save_public(cert, dst) != 0) {
            zcert_destroy(&cert);
            return s_error("keygen: cannot write %s", dst), EXIT_REFUSED;
        }
        zcert_destroy(&cert);
    }
    if (self->json) {
        json_t *j = json_pack("{s:s, s:I}", "dir", dir, "node", (json_int_t) node);
        rc = s_print_json(j);
        json_decref(j);
        return rc;
    }
    printf("keys for %012llu in %s (secret files 0600)%s%s\n", (unsigned long long) node, dir,
           registry ? "; certificate published in " : "", registry ? registry : "");
    return 0;
}

//  --------------------------------------------------------------------------
//  Analytics (issue 7): monthly report, evaluation, live monitoring.
//  Months are those of China Standard Time (UTC+8), whatever the local zone.

//  YYYY-MM as YYYYMM. Returns 0 or EXIT_USAGE.
static int
s_check_month(const char *cmd, const char *opt, const char *text, uint32_t *month)
{
    int y = strlen(text) == 7 && text[4] == '-' ? s_digits(text, 4) : -1;
    int m = y >= 0 ? s_digits(text + 5, 2) : -1;
    if (y < 1970 || m < 1 || m > 12)
        return s_usage("%s: %s must be a month YYYY-MM, not '%s'", cmd, opt, text);
    *month = (uint32_t) (y * 100 + m);
    return 0;
}

//  --format table|csv|json (--json means json). Returns 0 or EXIT_USAGE.
static int
s_check_format(const char *cmd, const char *text, char *format)
{
    if (strcmp(text, "table") == 0 || strcmp(text, "csv") == 0 || strcmp(text, "json") == 0) {
        *format = text[0];
        return 0;
    }
    return s_usage("%s: --format must be table, csv or json, not '%s'", cmd, text);
}

//  One analytics call on client; *json_p the reply's document (caller decrefs).
static int
s_analytics_call(gridctl_t *self, gn_client_t *client, gn_api_request_t *req, json_t **json_p)
{
    gn_api_reply_t *reply = NULL;
    int rc = s_call_on(self, client, req, GRIDNET__API_REPLY__BODY_JSON, &reply);
    if (rc == 0)
        rc = s_reply_json(self, reply, json_p);
    gn_codec_free_reply(&reply);
    return rc;
}

static int
s_print_doc(const json_t *doc, char format, int (*fmt)(FILE *, const json_t *, bool))
{
    if (format == 'j')
        return s_print_json(doc);
    if (fmt(stdout, doc, format == 'c') != 0) {
        s_error("cannot write output");
        return EXIT_REFUSED;
    }
    return 0;
}

static const struct option s_monthly_opts[] = {
    { "month", required_argument, NULL, OPT_MONTH },
    { "from", required_argument, NULL, OPT_FROM },
    { "to", required_argument, NULL, OPT_TO },
    { "by", required_argument, NULL, OPT_BY },
    { "area", required_argument, NULL, OPT_AREA },
    { "format", required_argument, NULL, OPT_FORMAT },
    { "trend", required_argument, NULL, OPT_TREND },
    { "top", required_argument, NULL, OPT_TOP },
    { "svg", required_argument, NULL, OPT_SVG },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_monthly(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__MonthlyReq mr = GRIDNET__MONTHLY_REQ__INIT;
    const char *svg = NULL;
    char format = 't';
    bool month = false, range = false, trend = false;
    int rc = 0, c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        uint64_t n;
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_MONTH:
            month = true;
            rc = s_check_month(cmd->name, "--month", optarg, &mr.from_month);
            break;
        case OPT_FROM:
            range = true;
            rc = s_check_month(cmd->name, "--from", optarg, &mr.from_month);
            break;
        case OPT_TO:
            range = true;
            rc = s_check_month(cmd->name, "--to", optarg, &mr.to_month);
            break;
        case OPT_BY:
            if (strcmp(optarg, "category") && strcmp(optarg, "department")
                && strcmp(optarg, "town") && strcmp(optarg, "village") && strcmp(optarg, "grid"))
                rc = s_usage("%s: --by must be category, department, town, village or grid, "
                             "not '%s'", cmd->name, optarg);
            mr.by = optarg;
            break;
        case OPT_AREA:
            rc = s_check_node(cmd->name, "--area", optarg, &mr.area);
            break;
        case OPT_FORMAT:
            rc = s_check_format(cmd->name, optarg, &format);
            break;
        case OPT_TREND:
            if (s_parse_u64(optarg, 60, &n) != 0)
                rc = s_usage("%s: --trend must be 0..60 months, not '%s'", cmd->name, optarg);
            mr.trend = (uint32_t) n;
            trend = true;
            break;
        case OPT_TOP:
            if (s_parse_u64(optarg, 1000, &n) != 0 || n == 0)
                rc = s_usage("%s: --top must be 1..1000, not '%s'", cmd->name, optarg);
            mr.top = (uint32_t) n;
            break;
        case OPT_SVG:
            svg = optarg;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0 || (rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    if (month && range)
        return s_usage("%s: give --month, or --from and --to, not both", cmd->name);
    if (range && (!mr.from_month || !mr.to_month))
        return s_usage("%s: a range needs both --from and --to", cmd->name);
    if (range && mr.to_month < mr.from_month)
        return s_usage("%s: --from is after --to", cmd->name);
    if (!month && !range)
        mr.from_month = gn_month_of(s_now_ms());   // this month, in China Standard Time
    if (self->json)
        format = 'j';
    if (svg && !trend)
        mr.trend = 11;   // a chart of the year up to the period
    if (svg && zsys_dir_create("%s", svg) != 0)
        return s_error("%s: cannot create %s", cmd->name, svg), EXIT_REFUSED;

    gn_client_t *client = NULL;
    if ((rc = s_connect(self, &client)) != 0)
        return rc;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_MONTHLY;
    req.monthly = &mr;
    json_t *doc = NULL, *bycat = NULL;
    rc = s_analytics_call(self, client, &req, &doc);
    bool by_category = !mr.by || !*mr.by || strcmp(mr.by, "category") == 0;
    if (rc == 0 && svg && !by_category) {   // the bars want the categories
        Gridnet__MonthlyReq cr = mr;
        cr.by = (char *) "category";
        req.monthly = &cr;
        rc = s_analytics_call(self, client, &req, &bycat);
    }
    gn_client_destroy(&client);
    if (rc == 0)
        rc = s_print_doc(doc, format, gn_fmt_monthly);
    if (rc == 0 && svg) {
        char err[512];
        if (gn_fmt_monthly_svg(svg, doc, bycat ? bycat : doc, err, sizeof err) != 0) {
            s_error("%s: %s", cmd->name, err);
            rc = EXIT_REFUSED;
        }
        else if (format == 't')
            printf("\ncharts: %s/categories.svg %s/trend.svg\n", svg, svg);
    }
    json_decref(doc);
    json_decref(bycat);
    return rc;
}

static const struct option s_eval_opts[] = {
    { "month", required_argument, NULL, OPT_MONTH },
    { "unit", required_argument, NULL, OPT_UNIT },
    { "area", required_argument, NULL, OPT_AREA },
    { "allowance", no_argument, NULL, OPT_ALLOWANCE },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_eval(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    Gridnet__EvalReq er = GRIDNET__EVAL_REQ__INIT;
    char format = 't';
    int rc = 0, c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_MONTH:
            rc = s_check_month(cmd->name, "--month", optarg, &er.month);
            break;
        case OPT_UNIT:
            if (strcmp(optarg, "worker") && strcmp(optarg, "village") && strcmp(optarg, "town")
                && strcmp(optarg, "department"))
                rc = s_usage("%s: --unit must be worker, village, town or department, not '%s'",
                             cmd->name, optarg);
            er.unit = optarg;
            break;
        case OPT_AREA:
            rc = s_check_node(cmd->name, "--area", optarg, &er.area);
            break;
        case OPT_ALLOWANCE:
            er.allowance = true;
            break;
        case OPT_FORMAT:
            rc = s_check_format(cmd->name, optarg, &format);
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0 || (rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    if (er.allowance && er.unit && *er.unit && strcmp(er.unit, "worker") != 0)
        return s_usage("%s: --allowance is paid to grid workers: use it with --unit worker",
                       cmd->name);
    if (!er.month)
        er.month = gn_month_of(s_now_ms());
    if (self->json)
        format = 'j';
    gn_client_t *client = NULL;
    if ((rc = s_connect(self, &client)) != 0)
        return rc;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_EVAL;
    req.eval = &er;
    json_t *doc = NULL;
    rc = s_analytics_call(self, client, &req, &doc);
    gn_client_destroy(&client);
    if (rc == 0)
        rc = s_print_doc(doc, format, gn_fmt_eval);
    json_decref(doc);
    return rc;
}

static const struct option s_watch_opts[] = {
    { "town", required_argument, NULL, OPT_TOWN },
    { "category", required_argument, NULL, OPT_CATEGORY },
    { "severity", required_argument, NULL, OPT_SEVERITY },
    { "overdue", no_argument, NULL, OPT_OVERDUE },
    { "count", required_argument, NULL, OPT_COUNT },
    { "pub", required_argument, NULL, OPT_PUB },
    { NULL, 0, NULL, 0 }
};

static int
s_cmd_watch(gridctl_t *self, const cmd_t *cmd, int argc, char **argv)
{
    gn_watch_opts_t w = { 0 };
    const char *pub = NULL;
    int rc = 0, c;
    while (rc == 0 && (c = s_getopt(self, cmd, argc, argv)) != OPT_END) {
        int value = 0;
        switch (c) {
        case OPT_FAILED: return EXIT_USAGE;
        case OPT_HELP: return 0;
        case OPT_TOWN:
            rc = s_check_node(cmd->name, "--town", optarg, &w.town);
            if (rc == 0 && gn_node_level(w.town) != 2)
                rc = s_usage("%s: --town %s is not a town's code", cmd->name, optarg);
            break;
        case OPT_CATEGORY:
            rc = s_check_text(cmd->name, "--category", optarg, GN_FIELD_MAX);
            w.category = optarg;
            break;
        case OPT_SEVERITY:
            rc = s_check_enum(cmd->name, "--severity", &gridnet__severity__descriptor, optarg,
                              &value);
            w.severity = value;
            break;
        case OPT_OVERDUE:
            w.overdue = true;
            break;
        case OPT_COUNT:
            if (s_parse_u64(optarg, UINT32_MAX, &w.count) != 0 || w.count == 0)
                rc = s_usage("%s: --count must be a whole number above 0, not '%s'",
                             cmd->name, optarg);
            break;
        case OPT_PUB:
            pub = optarg;
            break;
        default:
            assert(false);
        }
    }
    if (rc != 0 || (rc = s_no_args(cmd->name, argc, argv)) != 0)
        return rc;
    w.json = self->json;
    char endpoint[512];
    if (pub)
        snprintf(endpoint, sizeof endpoint, "%s", pub);
    else if (self->data) {
        rc = gn_endpoints_read(self->data, "pub", endpoint, sizeof endpoint);
        if (rc != 0)
            return s_error("%s: no pub endpoint in %s/endpoints (is the node running?)",
                           cmd->name, self->data), EXIT_UNREACHABLE;
    }
    else
        return s_usage("%s: name the node's change stream: -d DATADIR or --pub ENDPOINT",
                       cmd->name);
    return gn_watch_run(endpoint, &w) == 0 ? 0 : EXIT_UNREACHABLE;
}

static const cmd_t s_commands[] = {
    { "report", s_cmd_report, s_report_opts,
      "--grid G --category C --title T [--description D]\n"
      "                       [--severity general|major|emergency]\n"
      "                       [--channel terminal|wechat|app|web|hotline|patrol|sanguan]\n"
      "                       [--reporter-kind grid_worker|citizen|department|hotline]\n"
      "                       [--reporter-id X] [--reporter-name X] [--phone X]\n"
      "                       [--lat F] [--lon F] [--address X] [--actor X]",
      "take a new report; prints the case id" },
    { "show", s_cmd_show, NULL, "ID", "a case: its state, supervisions, history and conflicts" },
    { "list", s_cmd_list, s_list_opts,
      "[--status S] [--grid G] [--owner NODE] [--limit N] [--after ID]\n"
      "                       [--overdue] [--all]",
      "list cases (--all: every page; --overdue: only overdue ones, filtered here)" },
    { "status", s_cmd_status, NULL, "", "the node: feed, counters and links to its peers" },
    { "login", s_cmd_login, s_login_opts, "--user ID   (password: $GRIDNET_PASSWORD or stdin)",
      "open a session; prints export GRIDNET_TOKEN=..., which later commands send" },
    { "logout", s_cmd_logout, NULL, "", "end the session in $GRIDNET_TOKEN at the node" },
    { "hash-password", s_cmd_hash_password, NULL, "   (password: $GRIDNET_PASSWORD or stdin)",
      "an scrypt hash for staff/<id>.password in reference data; no node is asked" },
    { "verify-tree", s_cmd_verify_tree, s_verify_tree_opts, "--child DATADIR|ENDPOINT ...",
      "compare the node's digest of each child's subtree with the child's own (I5)" },
    { "audit", s_cmd_audit, NULL, "",
      "check the node's feed and op chains, seals and case states; names the first bad record" },
    { "keygen", s_cmd_keygen, s_keygen_opts,
      "--dir DIR --node CODE [--registry DIR] [--pii FILE] [--force]",
      "create a node's keys (CURVE, Ed25519, data key); no node is asked" },
    { "accept", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]", "accept a reported case" },
    { "dispatch", s_cmd_act, s_dispatch_opts,
      "ID [--to NODE] [--assignee DEPT] [--note N] [--actor A]",
      "dispatch to a department, or down to a child node" },
    { "handle", s_cmd_act, s_handle_opts, "ID --note RESULT [--evidence REF] [--actor A]",
      "record the handling result (处置反馈)" },
    { "verify", s_cmd_act, s_verify_opts, "ID --pass|--fail [--note N] [--actor A]",
      "verify the handling: pass, or fail back for rework" },
    { "archive", s_cmd_act, s_act_opts, "ID [--actor A]", "archive a verified case" },
    { "evaluate", s_cmd_act, s_evaluate_opts,
      "ID --rating 1..5 [--comment TEXT] [--note N] [--actor A]",
      "record the reporter's rating and comment" },
    { "escalate", s_cmd_act, s_act_opts, "ID [--note N] [--actor A]",
      "hand the case up to the parent node" },
    { "return", s_cmd_act, s_return_opts, "ID --note REASON [--to NODE] [--actor A]",
      "hand the case back down, with the reason" },
    { "reject", s_cmd_act, s_reject_opts, "ID --note REASON [--duplicate-of ID] [--actor A]",
      "reject a report: invalid, or a duplicate of another case" },
    { "supervise", s_cmd_act, s_supervise_opts,
      "ID --note TEXT [--due 'YYYY-MM-DD HH:MM' | --due-in HOURS]\n"
      "                       [--urgency 0..2] [--actor A]",
      "record a supervision (督办), maybe with a new deadline (local time)" },
    { "ref", s_cmd_ref, NULL,
      "set KEY JSON [--actor A]\n"
      "             gridctl ref get [PREFIX]\n"
      "             gridctl ref load FILE [--actor A]",
      "reference data: set a key, get keys as JSON, load a JSON object file" },
    { "meeting", s_cmd_meeting, NULL,
      "create --title T --date YYYY-MM-DD --chair NAME [--attend X]...\n"
      "                       --case ID [--case ID]... [--actor A]\n"
      "             gridctl meeting resolve MID --case ID --text TEXT [--task SPEC]... [--actor A]\n"
      "                       SPEC: dept=CODE|to=NODE,due=YYYY-MM-DD[ HH:MM]|due-in=HOURS,title=T\n"
      "             gridctl meeting list [--overdue]",
      "joint meetings (联席会议): create, resolve with tasks, list" },
    { "ledger", s_cmd_ledger, s_ledger_opts,
      "[--worker ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
      "reward ledger entries and their total in yuan" },
    { "monthly", s_cmd_monthly, s_monthly_opts,
      "[--month YYYY-MM | --from YYYY-MM --to YYYY-MM]\n"
      "                       [--by category|department|town|village|grid] [--area NODE]\n"
      "                       [--format table|csv|json] [--trend N] [--top N] [--svg DIR]",
      "monthly report 月度分析 (months of UTC+8; default this month; --svg: charts)" },
    { "eval", s_cmd_eval, s_eval_opts,
      "[--month YYYY-MM] [--unit worker|village|town|department] [--area NODE]\n"
      "                       [--allowance] [--format table|csv|json]",
      "evaluation 考核 per unit or grid worker; --allowance: 200 + 300 x score yuan" },
    { "watch", s_cmd_watch, s_watch_opts,
      "[--town CODE] [--category C] [--severity general|major|emergency] [--overdue]\n"
      "                       [--count N] [--pub ENDPOINT]",
      "live monitoring 实时监控: one line per change in the subtree (Ctrl-C ends)" },
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
    gridctl_t self = { .timeout_ms = TIMEOUT_DEFAULT, .context = "" };
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
