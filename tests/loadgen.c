/*  gn-loadgen -- report cases at one node as fast as it takes them, and record
    every case the node acknowledged (for the fault tests, tests/faults/).

        gn-loadgen (-d DATADIR | -n ENDPOINT) --out FILE [--threads N] [--count N]
                   [--stop FILE] [--tag TAG] [--grid G]... [--timeout MS] [--rate R]

    N threads (default 4), each with its own client (common/client.h), report
    one case after another, so the node has up to N reports to take in one
    group commit. Every report gets a title unique to this run, "TAG-<k>". For
    every report the node acknowledged (a case id came back), one line
    "<case id> TAB <title>" is appended to FILE with a single write(2), so the
    file can be read while the run goes on and a checker can later tell a case
    id that was reused (the node holds another title under it).

    The run ends when --count reports were acknowledged (default 1000), when
    the --stop file exists, or on SIGTERM/SIGINT. A report that timed out or
    met a network error is not recorded (the node may or may not have taken
    it: the checker accounts for such cases through the origin's op seqs) and
    the thread goes on with the next one; with -d the endpoint is read again
    from DATADIR/endpoints after such an error, so a node restarted on other
    ports is found again.

    --rate R paces the run at R reports per second in all (0, the default: as
    fast as the node answers), so that a long fault sequence does not pile up
    more cases than a test needs.

    Grids: --grid (repeatable); by default, for a village, <code>-001..005.

    Last line on stdout: "gn-loadgen TAG: acked A, attempts N, timeouts T,
    refused R, errors E, S s". Exit 0; 1 if the node refused any report (an
    error reply is never expected here); 2 usage; 3 the node was unreachable at
    the start.  */
#include "client.h"
#include "err.h"
#include "ids.h"

#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRIDS_MAX 64
#define THREADS_MAX 64
#define ERRORS_SHOWN 10

typedef struct {
    const char *datadir;        // -d, or NULL
    char endpoint[256];         // the API endpoint (guarded by lock once threads run)
    pthread_mutex_t lock;
    const char *stop_file;
    const char *tag;
    const char *grids[GRIDS_MAX];
    int ngrids;
    char default_grids[5][32];
    int timeout_ms;
    long long count;
    long long rate;             // reports/s in all, 0 = unpaced
    int64_t t0;                 // ms (monotonic) of the start
    int out_fd;
    atomic_llong attempts, acked, timeouts, refused, errors, shown;
} load_t;

static void
s_endpoint_get(load_t *self, char *out, size_t len)
{
    if (pthread_mutex_lock(&self->lock) != 0)
        abort();
    snprintf(out, len, "%s", self->endpoint);
    if (pthread_mutex_unlock(&self->lock) != 0)
        abort();
}

//  After an error: the node may have come back on other ports.
static void
s_endpoint_reread(load_t *self)
{
    if (!self->datadir)
        return;
    char ep[256];
    if (gn_endpoints_read(self->datadir, "api", ep, sizeof ep) != 0)
        return;
    if (pthread_mutex_lock(&self->lock) != 0)
        abort();
    snprintf(self->endpoint, sizeof self->endpoint, "%s", ep);
    if (pthread_mutex_unlock(&self->lock) != 0)
        abort();
}

static bool
s_done(load_t *self)
{
    return zsys_interrupted || atomic_load(&self->acked) >= self->count
        || (self->stop_file && access(self->stop_file, F_OK) == 0);
}

static void
s_show_error(load_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_show_error(load_t *self, const char *fmt, ...)
{
    if (atomic_fetch_add(&self->shown, 1) >= ERRORS_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "gn-loadgen %s: ", self->tag);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

static int
s_record(load_t *self, const char *case_id, const char *title)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s\t%s\n", case_id, title);
    if (n < 0 || (size_t) n >= sizeof line)
        return -1;
    ssize_t w = write(self->out_fd, line, (size_t) n);
    return w == n ? 0 : -1;
}

static void *
s_worker(void *arg)
{
    load_t *self = arg;
    char ep[256];
    s_endpoint_get(self, ep, sizeof ep);
    gn_client_t *client = gn_client_new(ep, self->timeout_ms);
    if (!client) {
        s_show_error(self, "cannot make a client for %s", ep);
        atomic_fetch_add(&self->errors, 1);
        return NULL;
    }
    while (!s_done(self)) {
        long long k = atomic_fetch_add(&self->attempts, 1) + 1;
        if (self->rate > 0) {   // report k is due k/rate s after the start
            int64_t due = self->t0 + k * 1000 / self->rate, left;
            while (!s_done(self) && (left = due - zclock_mono()) > 0)
                zclock_sleep((int) (left < 100 ? left : 100));
            if (s_done(self))
                break;
        }
        char title[128];
        snprintf(title, sizeof title, "%s-%lld", self->tag, k);
        Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
        reporter.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
        reporter.id = (char *) "gw-loadgen";
        reporter.name = (char *) "网格员（负载）";
        Gridnet__ReportReq report = GRIDNET__REPORT_REQ__INIT;
        report.grid = (char *) self->grids[k % self->ngrids];
        report.category = (char *) (k % 2 ? "环境卫生" : "矛盾纠纷");
        report.title = title;
        report.description = (char *) "故障测试负载：网格员巡查发现，现场拍照留存。";
        report.severity = GRIDNET__SEVERITY__SEV_GENERAL;
        report.channel = GRIDNET__CHANNEL__CH_TERMINAL;
        report.reporter = &reporter;
        report.lat = 34.27;
        report.lon = 108.07;
        report.address = (char *) "杨陵区";
        report.actor = (char *) "gw-loadgen";
        gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
        req.body_case = GRIDNET__API_REQUEST__BODY_REPORT;
        req.report = &report;
        gn_api_reply_t *reply = NULL;
        int rc = gn_client_call(client, &req, &reply);
        if (rc == 0 && reply->code == 0 && reply->body_case == GRIDNET__API_REPLY__BODY_CASE_ID
            && reply->case_id && *reply->case_id) {
            if (s_record(self, reply->case_id, title) != 0) {
                s_show_error(self, "cannot write the output file: %s", strerror(errno));
                atomic_fetch_add(&self->errors, 1);
                gn_codec_free_reply(&reply);
                break;
            }
            atomic_fetch_add(&self->acked, 1);
        }
        else if (rc == 0) {
            atomic_fetch_add(&self->refused, 1);
            s_show_error(self, "report %s refused: code %d: %s", title, reply->code,
                         reply->error ? reply->error : "");
        }
        else {
            if (rc == GN_ETIMEOUT)
                atomic_fetch_add(&self->timeouts, 1);
            else if (!zsys_interrupted) {
                atomic_fetch_add(&self->errors, 1);
                s_show_error(self, "report %s: %s", title, gn_strerror(rc));
                zclock_sleep(50);   // a retry pause, not a wait for a condition
            }
            //  The node may be gone: look for it again, with a fresh socket
            s_endpoint_reread(self);
            s_endpoint_get(self, ep, sizeof ep);
            gn_client_t *fresh = gn_client_new(ep, self->timeout_ms);
            if (fresh) {
                gn_client_destroy(&client);
                client = fresh;
            }
        }
        gn_codec_free_reply(&reply);
    }
    gn_client_destroy(&client);
    return NULL;
}

static int
s_usage(FILE *out)
{
    fprintf(out, "usage: gn-loadgen (-d DATADIR | -n ENDPOINT) --out FILE [--threads N] "
                 "[--count N]\n                  [--stop FILE] [--tag TAG] [--grid G]... "
                 "[--timeout MS] [--rate R]\n");
    return out == stdout ? 0 : 2;
}

static long long
s_number(const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return min - 1;
    return v;
}

//  The node's id, asking it (the node must answer within the timeout).
static int
s_node_id(load_t *self, uint64_t *node)
{
    gn_client_t *client = gn_client_new(self->endpoint, self->timeout_ms);
    if (!client)
        return GN_EINVAL;
    Gridnet__StatusReq st = GRIDNET__STATUS_REQ__INIT;
    gn_api_request_t req = GRIDNET__API_REQUEST__INIT;
    req.body_case = GRIDNET__API_REQUEST__BODY_STATUS;
    req.status = &st;
    gn_api_reply_t *reply = NULL;
    int rc = gn_client_call(client, &req, &reply);
    if (rc == 0 && (reply->code != 0 || reply->body_case != GRIDNET__API_REPLY__BODY_STATUS))
        rc = reply->code ? reply->code : GN_EMALFORMED;
    if (rc == 0)
        *node = reply->status->node;
    gn_codec_free_reply(&reply);
    gn_client_destroy(&client);
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "out", required_argument, NULL, 'o' },
        { "threads", required_argument, NULL, 'j' },
        { "count", required_argument, NULL, 'N' },
        { "stop", required_argument, NULL, 'S' },
        { "tag", required_argument, NULL, 'T' },
        { "grid", required_argument, NULL, 'g' },
        { "timeout", required_argument, NULL, 't' },
        { "rate", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    load_t self = { .tag = "load", .timeout_ms = 3000, .count = 1000, .out_fd = -1 };
    const char *out = NULL, *endpoint = NULL;
    long long threads = 4;
    int o;
    while ((o = getopt_long(argc, argv, "d:n:h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': self.datadir = optarg; break;
        case 'n': endpoint = optarg; break;
        case 'o': out = optarg; break;
        case 'j': threads = s_number(optarg, 1, THREADS_MAX); break;
        case 'N': self.count = s_number(optarg, 1, LLONG_MAX / 2); break;
        case 'S': self.stop_file = optarg; break;
        case 'T': self.tag = optarg; break;
        case 'g':
            if (self.ngrids == GRIDS_MAX)
                return s_usage(stderr);
            self.grids[self.ngrids++] = optarg;
            break;
        case 't': self.timeout_ms = (int) s_number(optarg, 1, INT_MAX); break;
        case 'r': self.rate = s_number(optarg, 0, 1000000); break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    if (optind != argc || !out || !(self.datadir || endpoint) || (self.datadir && endpoint)
        || threads < 1 || self.count < 1 || self.timeout_ms < 1 || self.rate < 0 || strlen(self.tag) > 64)
        return s_usage(stderr);
    zsys_init();
    zsys_set_logstream(NULL);
    if (pthread_mutex_init(&self.lock, NULL) != 0)
        return 1;
    int rc = 3;
    if (endpoint)
        snprintf(self.endpoint, sizeof self.endpoint, "%s", endpoint);
    else if (gn_endpoints_read(self.datadir, "api", self.endpoint, sizeof self.endpoint) != 0) {
        fprintf(stderr, "gn-loadgen: no api endpoint in %s/endpoints\n", self.datadir);
        goto done;
    }
    if (self.ngrids == 0) {
        uint64_t node = 0;
        int err = s_node_id(&self, &node);
        if (err != 0) {
            fprintf(stderr, "gn-loadgen: %s: %s\n", self.endpoint, gn_strerror(err));
            goto done;
        }
        if (gn_node_level(node) != 3) {
            fprintf(stderr, "gn-loadgen: %012llu is not a village: give --grid\n",
                    (unsigned long long) node);
            rc = 2;
            goto done;
        }
        for (int i = 0; i < 5; i++) {
            snprintf(self.default_grids[i], sizeof self.default_grids[i], "%012llu-%03d",
                     (unsigned long long) node, i + 1);
            self.grids[self.ngrids++] = self.default_grids[i];
        }
    }
    self.out_fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (self.out_fd < 0) {
        fprintf(stderr, "gn-loadgen: cannot open %s: %s\n", out, strerror(errno));
        rc = 2;
        goto done;
    }
    int64_t t0 = self.t0 = zclock_mono();
    pthread_t tids[THREADS_MAX];
    int started = 0;
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, s_worker, &self) != 0) {
            fprintf(stderr, "gn-loadgen: cannot start thread %d\n", started);
            atomic_fetch_add(&self.errors, 1);
            break;
        }
    for (int i = 0; i < started; i++)
        if (pthread_join(tids[i], NULL) != 0)
            atomic_fetch_add(&self.errors, 1);
    double secs = (double) (zclock_mono() - t0) / 1000.0;
    printf("gn-loadgen %s: acked %lld, attempts %lld, timeouts %lld, refused %lld, errors %lld, "
           "%.1f s\n", self.tag, (long long) atomic_load(&self.acked),
           (long long) atomic_load(&self.attempts), (long long) atomic_load(&self.timeouts),
           (long long) atomic_load(&self.refused), (long long) atomic_load(&self.errors), secs);
    rc = atomic_load(&self.refused) > 0 ? 1 : 0;
    if (close(self.out_fd) != 0) {
        fprintf(stderr, "gn-loadgen: closing %s: %s\n", out, strerror(errno));
        rc = 1;
    }
done:
    pthread_mutex_destroy(&self.lock);
    return rc;
}
