/*  gn-faultproxy -- a fault-injecting TCP proxy for the fault tests (tests/faults/).

    Sits between a child daemon and its parent's sync port:

        gn-faultproxy --listen tcp://127.0.0.1:PORT|*|![LO-HI] --to tcp://HOST:PORT
                      --control tcp://127.0.0.1:* --ready FILE
                      [--max-conns N] [--buffer BYTES]
        gn-faultproxy ctl ENDPOINT COMMAND [ARG] [--timeout MS]

    For every connection it accepts, it opens one to --to and copies bytes both
    ways. Once it listens it writes FILE (ZPL, like a node's endpoints file:
    keys listen, control, pid). `![LO-HI]` listens on a random free port in
    that range (as czmq's `!` does); tests/lib.sh keeps it out of the
    kernel's ephemeral range, so that while the proxy is cut a reconnecting
    child can never be handed the proxy's own port (a TCP self-connect)
    and `pass` can always listen there again. Faults are switched at run
    time by text commands on the control endpoint (a REP socket); `ctl` is
    a tiny client:

        pass            forward normally (clears delay, throttle, stall and cut)
        delay MS        hold every chunk read MS ms before forwarding it
        throttle BPS    at most BPS bytes per second each way (0: no limit)
        stall           stop reading and writing (connections stay open, the
                        peers see backpressure); peers that close are noticed
        cut             close every connection and stop listening (new
                        connections are refused) until `pass`
        resume          end a stall or a cut, keep delay and throttle
        reset           close every connection with RST (SO_LINGER 0), keep
                        listening
        stats           mode, bytes each way, connections
        quit            exit 0 (so does SIGTERM/SIGINT)

    Every reply starts with "ok" or "error:". Memory is bounded: at most
    --max-conns connections (default 16; further ones wait in the listen
    backlog), each with one --buffer bytes buffer per direction (default
    1 MiB) and a bounded queue of chunks; a full buffer stops reading from
    that side. So `delay MS` also caps a direction at about BUFFER bytes per
    MS ms, as a real link's window would.

    One thread, one poll(2) loop: the control socket joins it by its ZMQ_FD
    (edge-triggered, so ZMQ_EVENTS is checked on every turn).  */
#define _GNU_SOURCE
#include <czmq.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNKS_MAX   4096       // chunks queued per direction (delay bookkeeping)
#define CONNS_DEFAULT 16
#define BUFFER_DEFAULT (1024 * 1024)
#define CTL_TIMEOUT_DEFAULT 5000

typedef struct {
    size_t bytes;               // bytes of the chunk still to send
    int64_t ready;              // ms (monotonic) when it may be sent
} chunk_t;

//  One direction of a connection: bytes read from one socket, waiting to be
//  written to the other.
typedef struct {
    uint8_t *buf;               // buffer of cap bytes
    size_t off, len;            // data is buf[off .. off+len)
    chunk_t chunks[CHUNKS_MAX]; // ring of chunks covering the data, oldest first
    unsigned chead, nchunks;
    bool eof;                   // the source said EOF
    bool shut;                  // we shut the destination down for writing
} dir_t;

typedef struct {
    int fd[2];                  // 0: the child side (accepted), 1: the parent side
    bool connecting;            // fd[1] connect in progress
    bool gone[2];               // stall: the peer of fd[i] closed or reset
    dir_t dir[2];               // dir[0]: fd[0] -> fd[1] (up), dir[1]: fd[1] -> fd[0] (down)
} conn_t;

typedef struct {
    struct sockaddr_in listen_addr; // where we listen (port filled in once bound)
    struct sockaddr_in to_addr;     // the parent
    int listener;               // -1 while cut
    zsock_t *ctl;               // REP
    conn_t **conns;             // max_conns slots, NULL if free
    size_t max_conns, nconns;
    size_t bufsize;
    //  Faults
    bool stalled, cut;
    int64_t delay_ms;
    uint64_t rate;              // bytes/s each way, 0 = unlimited
    double tokens[2];           // token bucket per direction
    int64_t refilled;           // ms of the last refill
    //  Stats
    uint64_t bytes[2];          // forwarded up, down
    uint64_t accepted, refused_upstream, resets, cuts;
} proxy_t;

static int64_t
s_now(void)
{
    return zclock_mono();
}

//  Parse tcp://A.B.C.D:PORT; if range is not NULL, PORT may also be * or 0 (the kernel's choice)
//  or ![LO-HI] (range[0..1] set; otherwise both 0).
static int
s_parse_endpoint(const char *ep, uint16_t *range, struct sockaddr_in *out)
{
    bool any_port = range != NULL;
    const char *prefix = "tcp://";
    if (strncmp(ep, prefix, strlen(prefix)) != 0)
        return -1;
    const char *host = ep + strlen(prefix);
    const char *colon = strrchr(host, ':');
    if (!colon || colon == host || (size_t) (colon - host) >= INET_ADDRSTRLEN)
        return -1;
    char h[INET_ADDRSTRLEN];
    memcpy(h, host, (size_t) (colon - host));
    h[colon - host] = 0;
    memset(out, 0, sizeof *out);
    out->sin_family = AF_INET;
    if (inet_pton(AF_INET, h, &out->sin_addr) != 1)
        return -1;
    const char *p = colon + 1;
    long port;
    unsigned lo, hi;
    int used = 0;
    if (range)
        range[0] = range[1] = 0;
    if (strcmp(p, "*") == 0 && any_port)
        port = 0;
    else if (any_port && sscanf(p, "![%u-%u]%n", &lo, &hi, &used) == 2 && !p[used]) {
        if (lo < 1024 || lo > hi || hi > 65535)
            return -1;
        range[0] = (uint16_t) lo;
        range[1] = (uint16_t) hi;
        port = 0;
    }
    else {
        char *end;
        errno = 0;
        port = strtol(p, &end, 10);
        if (errno || end == p || *end || port < 0 || port > 65535 || (port == 0 && !any_port))
            return -1;
    }
    out->sin_port = htons((uint16_t) port);
    return 0;
}

static void
s_nodelay(int fd)
{
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        zsys_warning("faultproxy: TCP_NODELAY: %s", strerror(errno));
}

static void
s_close_fd(int *fd, bool rst)
{
    if (*fd < 0)
        return;
    if (rst) {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        if (setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
            zsys_warning("faultproxy: SO_LINGER: %s", strerror(errno));
    }
    if (close(*fd) != 0 && errno != EINTR)
        zsys_warning("faultproxy: close: %s", strerror(errno));
    *fd = -1;
}

static int
s_listen(proxy_t *self)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    socklen_t len = sizeof self->listen_addr;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
        || bind(fd, (struct sockaddr *) &self->listen_addr, sizeof self->listen_addr) != 0
        || listen(fd, 64) != 0
        || getsockname(fd, (struct sockaddr *) &self->listen_addr, &len) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    self->listener = fd;
    return 0;
}

//  The first listen: on the port asked for, or on a random free one in range[0..1].
static int
s_listen_first(proxy_t *self, const uint16_t *range)
{
    if (!range[0])
        return s_listen(self);
    uint32_t span = (uint32_t) range[1] - range[0] + 1;
    for (int tries = 0; tries < 1000; tries++) {
        self->listen_addr.sin_port = htons((uint16_t) (range[0] + randof(span)));
        if (s_listen(self) == 0)
            return 0;
        if (errno != EADDRINUSE)
            return -1;
    }
    return -1;
}

static void
s_conn_close(proxy_t *self, size_t i, bool rst)
{
    conn_t *c = self->conns[i];
    if (!c)
        return;
    s_close_fd(&c->fd[0], rst);
    s_close_fd(&c->fd[1], rst);
    free(c->dir[0].buf);
    free(c->dir[1].buf);
    free(c);
    self->conns[i] = NULL;
    self->nconns--;
}

static void
s_close_all(proxy_t *self, bool rst)
{
    for (size_t i = 0; i < self->max_conns; i++)
        s_conn_close(self, i, rst);
}

static void
s_accept(proxy_t *self)
{
    while (self->nconns < self->max_conns) {
        int fd = accept4(self->listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR
                && errno != ECONNABORTED)
                zsys_warning("faultproxy: accept: %s", strerror(errno));
            return;
        }
        self->accepted++;
        s_nodelay(fd);
        conn_t *c = calloc(1, sizeof *c);
        int up = -1;
        if (c) {
            c->dir[0].buf = malloc(self->bufsize);
            c->dir[1].buf = malloc(self->bufsize);
        }
        if (!c || !c->dir[0].buf || !c->dir[1].buf) {
            zsys_error("faultproxy: out of memory");
            if (c) {
                free(c->dir[0].buf);
                free(c->dir[1].buf);
                free(c);
            }
            s_close_fd(&fd, false);
            return;
        }
        c->fd[0] = fd;
        c->fd[1] = -1;
        up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (up >= 0) {
            s_nodelay(up);
            if (connect(up, (struct sockaddr *) &self->to_addr, sizeof self->to_addr) == 0)
                c->connecting = false;
            else if (errno == EINPROGRESS)
                c->connecting = true;
            else
                s_close_fd(&up, false);
        }
        c->fd[1] = up;
        size_t slot = 0;
        while (self->conns[slot])
            slot++;
        self->conns[slot] = c;
        self->nconns++;
        if (up < 0) {
            self->refused_upstream++;
            s_conn_close(self, slot, false);
        }
    }
}

//  Bytes of dir that may be written now (delay elapsed), and the ms until more may.
static size_t
s_releasable(const dir_t *d, int64_t now, int64_t *wait)
{
    size_t n = 0;
    for (unsigned k = 0; k < d->nchunks; k++) {
        const chunk_t *ch = &d->chunks[(d->chead + k) % CHUNKS_MAX];
        if (ch->ready > now) {
            int64_t w = ch->ready - now;
            if (w < *wait)
                *wait = w;
            break;
        }
        n += ch->bytes;
    }
    return n;
}

static void
s_refill(proxy_t *self, int64_t now)
{
    if (self->rate == 0) {
        self->refilled = now;
        return;
    }
    double cap = (double) self->rate / 20.0;   // 50 ms worth of burst
    if (cap < 1024)
        cap = 1024;
    if (cap > (double) self->bufsize)
        cap = (double) self->bufsize;
    double add = (double) (now - self->refilled) * (double) self->rate / 1000.0;
    self->refilled = now;
    for (int i = 0; i < 2; i++) {
        self->tokens[i] += add;
        if (self->tokens[i] > cap)
            self->tokens[i] = cap;
    }
}

//  How many bytes dir k of a connection may write now; *wait lowered to the
//  ms until it could write more.
static size_t
s_can_write(proxy_t *self, const dir_t *d, int k, int64_t now, int64_t *wait)
{
    if (d->len == 0)
        return 0;
    size_t n = s_releasable(d, now, wait);
    if (n == 0 || self->rate == 0)
        return n;
    size_t want = n < 1024 ? n : 1024;
    if (self->tokens[k] >= (double) want)
        return n < (size_t) self->tokens[k] ? n : (size_t) self->tokens[k];
    int64_t w = (int64_t) (((double) want - self->tokens[k]) * 1000.0 / (double) self->rate) + 1;
    if (w < *wait)
        *wait = w;
    return 0;
}

//  Read what fits from fd[k] into dir[k]. Returns -1 if the connection must go.
static int
s_read(proxy_t *self, conn_t *c, int k, int64_t now)
{
    dir_t *d = &c->dir[k];
    if (d->off + d->len == self->bufsize && d->off > 0) {
        memmove(d->buf, d->buf + d->off, d->len);
        d->off = 0;
    }
    size_t room = self->bufsize - d->off - d->len;
    if (room == 0 || d->nchunks == CHUNKS_MAX || d->eof)
        return 0;
    ssize_t n = recv(c->fd[k], d->buf + d->off + d->len, room, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == 0) {
        d->eof = true;
        return 0;
    }
    d->len += (size_t) n;
    chunk_t *ch = &d->chunks[(d->chead + d->nchunks++) % CHUNKS_MAX];
    ch->bytes = (size_t) n;
    ch->ready = now + self->delay_ms;
    return 0;
}

//  Write what may go from dir[k] to fd[1-k]. Returns -1 if the connection must go.
static int
s_write(proxy_t *self, conn_t *c, int k, int64_t now)
{
    dir_t *d = &c->dir[k];
    int64_t wait = INT64_MAX;
    size_t n = s_can_write(self, d, k, now, &wait);
    if (n == 0)
        return 0;
    ssize_t w = send(c->fd[1 - k], d->buf + d->off, n, MSG_NOSIGNAL);
    if (w < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    size_t done = (size_t) w;
    d->off += done;
    d->len -= done;
    if (d->len == 0)
        d->off = 0;
    self->bytes[k] += done;
    if (self->rate)
        self->tokens[k] -= (double) done;
    while (done > 0) {
        chunk_t *ch = &d->chunks[d->chead];
        size_t take = done < ch->bytes ? done : ch->bytes;
        ch->bytes -= take;
        done -= take;
        if (ch->bytes == 0) {
            d->chead = (d->chead + 1) % CHUNKS_MAX;
            d->nchunks--;
        }
    }
    return 0;
}

static void
s_reply(zsock_t *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_reply(zsock_t *ctl, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (zstr_send(ctl, text) != 0)
        zsys_warning("faultproxy: cannot send reply: %s", zmq_strerror(errno));
}

static const char *
s_mode(const proxy_t *self)
{
    return self->cut ? "cut" : self->stalled ? "stall"
         : self->delay_ms || self->rate ? "slow" : "pass";
}

//  Parse a non-negative integer argument; -1 if it is not one.
static long long
s_arg(const char *arg)
{
    if (!arg || !*arg)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    return errno || *end || v < 0 ? -1 : v;
}

//  Handle one control command. Returns false to quit.
static bool
s_control(proxy_t *self, const char *line, int64_t now)
{
    char cmd[32] = "", arg[64] = "";
    if (sscanf(line, "%31s %63s", cmd, arg) < 1) {
        s_reply(self->ctl, "error: empty command");
        return true;
    }
    if (strcmp(cmd, "pass") == 0 || strcmp(cmd, "resume") == 0) {
        self->stalled = false;
        if (strcmp(cmd, "pass") == 0) {
            self->delay_ms = 0;
            self->rate = 0;
        }
        if (self->cut) {
            if (s_listen(self) != 0) {
                s_reply(self->ctl, "error: cannot listen again on port %u: %s",
                        ntohs(self->listen_addr.sin_port), strerror(errno));
                return true;
            }
            self->cut = false;
        }
        for (size_t i = 0; i < self->max_conns; i++)
            if (self->conns[i])
                self->conns[i]->gone[0] = self->conns[i]->gone[1] = false;
    }
    else if (strcmp(cmd, "delay") == 0) {
        long long ms = s_arg(arg);
        if (ms < 0 || ms > 600000) {
            s_reply(self->ctl, "error: delay wants milliseconds 0..600000");
            return true;
        }
        self->delay_ms = ms;
    }
    else if (strcmp(cmd, "throttle") == 0) {
        long long bps = s_arg(arg);
        if (bps < 0) {
            s_reply(self->ctl, "error: throttle wants bytes per second (0: no limit)");
            return true;
        }
        self->rate = (uint64_t) bps;
        self->tokens[0] = self->tokens[1] = 0;
        self->refilled = now;
    }
    else if (strcmp(cmd, "stall") == 0)
        self->stalled = true;
    else if (strcmp(cmd, "cut") == 0) {
        s_close_all(self, false);
        s_close_fd(&self->listener, false);
        self->cut = true;
        self->cuts++;
    }
    else if (strcmp(cmd, "reset") == 0) {
        s_close_all(self, true);
        self->resets++;
    }
    else if (strcmp(cmd, "stats") == 0) {
        s_reply(self->ctl, "ok mode=%s delay=%lld throttle=%llu up=%llu down=%llu conns=%zu "
                "accepted=%llu upstream_failed=%llu resets=%llu cuts=%llu",
                s_mode(self), (long long) self->delay_ms, (unsigned long long) self->rate,
                (unsigned long long) self->bytes[0], (unsigned long long) self->bytes[1],
                self->nconns, (unsigned long long) self->accepted,
                (unsigned long long) self->refused_upstream,
                (unsigned long long) self->resets, (unsigned long long) self->cuts);
        return true;
    }
    else if (strcmp(cmd, "quit") == 0) {
        s_reply(self->ctl, "ok");
        return false;
    }
    else {
        s_reply(self->ctl, "error: unknown command '%s' (pass, delay MS, throttle BPS, stall, "
                "cut, resume, reset, stats, quit)", cmd);
        return true;
    }
    s_reply(self->ctl, "ok mode=%s", s_mode(self));
    return true;
}

//  Handle every control request waiting. Returns false to quit.
static bool
s_control_drain(proxy_t *self)
{
    while (zsock_events(self->ctl) & ZMQ_POLLIN) {
        char *line = zstr_recv(self->ctl);
        if (!line)
            return !zsys_interrupted;
        bool go_on = s_control(self, line, s_now());
        zstr_free(&line);
        if (!go_on)
            return false;
    }
    return true;
}

static int
s_write_ready(proxy_t *self, const char *path)
{
    char listen_ep[64], tmp[PATH_MAX];
    char host[INET_ADDRSTRLEN];
    if (!inet_ntop(AF_INET, &self->listen_addr.sin_addr, host, sizeof host))
        return -1;
    snprintf(listen_ep, sizeof listen_ep, "tcp://%s:%u", host, ntohs(self->listen_addr.sin_port));
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int) sizeof tmp)
        return -1;
    zconfig_t *root = zconfig_new("root", NULL);
    if (!root)
        return -1;
    zconfig_putf(root, "listen", "%s", listen_ep);
    zconfig_putf(root, "control", "%s", zsock_endpoint(self->ctl));
    zconfig_putf(root, "pid", "%d", (int) getpid());
    int rc = zconfig_save(root, tmp);
    zconfig_destroy(&root);
    if (rc != 0 || rename(tmp, path) != 0)
        return -1;
    return 0;
}

//  The loop: returns 0 on a clean stop.
static int
s_run(proxy_t *self)
{
    size_t nfds_max = 2 + 2 * self->max_conns;
    struct pollfd *pfd = calloc(nfds_max, sizeof *pfd);
    size_t *owner = calloc(nfds_max, sizeof *owner);   // conn slot of pfd[j], j >= 2
    if (!pfd || !owner) {
        free(pfd);
        free(owner);
        return 1;
    }
    int ctl_fd = zsock_fd(self->ctl);
    int rc = 0;
    while (!zsys_interrupted) {
        int64_t now = s_now();
        s_refill(self, now);
        if (!s_control_drain(self))
            break;
        //  Work first: move what can move without waiting.
        for (size_t i = 0; i < self->max_conns; i++) {
            conn_t *c = self->conns[i];
            if (!c || self->stalled || c->connecting)
                continue;
            for (int k = 0; k < 2; k++) {
                dir_t *d = &c->dir[k];
                if (d->eof && d->len == 0 && !d->shut) {
                    if (shutdown(c->fd[1 - k], SHUT_WR) != 0 && errno != ENOTCONN)
                        zsys_warning("faultproxy: shutdown: %s", strerror(errno));
                    d->shut = true;
                }
            }
            if (c->dir[0].shut && c->dir[1].shut)
                s_conn_close(self, i, false);
        }
        //  Build the poll set.
        int64_t wait = 1000;
        size_t n = 0;
        pfd[n++] = (struct pollfd) { .fd = ctl_fd, .events = POLLIN };
        bool listening = self->listener >= 0 && self->nconns < self->max_conns;
        pfd[n++] = (struct pollfd) { .fd = listening ? self->listener : -1, .events = POLLIN };
        for (size_t i = 0; i < self->max_conns; i++) {
            conn_t *c = self->conns[i];
            if (!c)
                continue;
            for (int k = 0; k < 2; k++) {
                short ev = 0;
                if (k == 1 && c->connecting)
                    ev = POLLOUT;
                else if (self->stalled)
                    ev = c->gone[k] ? 0 : POLLRDHUP;
                else {
                    dir_t *in = &c->dir[k], *out = &c->dir[1 - k];
                    if (!in->eof && in->nchunks < CHUNKS_MAX
                        && (in->len < self->bufsize) && !(k == 0 && c->connecting))
                        ev |= POLLIN;
                    if (!c->connecting && s_can_write(self, out, 1 - k, now, &wait) > 0)
                        ev |= POLLOUT;
                }
                bool skip = self->stalled && c->gone[k] && !(k == 1 && c->connecting);
                pfd[n] = (struct pollfd) { .fd = skip ? -1 : c->fd[k], .events = ev };
                owner[n++] = i;
            }
        }
        if (wait < 1)
            wait = 1;
        int nready = poll(pfd, n, (int) wait);
        if (nready < 0) {
            if (errno == EINTR)
                continue;
            zsys_error("faultproxy: poll: %s", strerror(errno));
            rc = 1;
            break;
        }
        now = s_now();
        s_refill(self, now);
        if (pfd[1].revents & POLLIN)
            s_accept(self);
        for (size_t j = 2; j < n; j += 2) {
            size_t i = owner[j];
            conn_t *c = self->conns[i];
            if (!c)
                continue;   // closed by an earlier step of this turn
            short r0 = pfd[j].revents, r1 = pfd[j + 1].revents;
            if (c->connecting && r1) {
                int err = 0;
                socklen_t len = sizeof err;
                if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
                    self->refused_upstream++;
                    s_conn_close(self, i, false);
                    continue;
                }
                c->connecting = false;
                r1 = 0;
            }
            if (self->stalled) {
                if (r0 & (POLLRDHUP | POLLHUP | POLLERR))
                    c->gone[0] = true;
                if (r1 & (POLLRDHUP | POLLHUP | POLLERR))
                    c->gone[1] = true;
                if (c->gone[0] && c->gone[1])
                    s_conn_close(self, i, false);
                continue;
            }
            bool bad = false;
            if (r0 & (POLLIN | POLLHUP | POLLERR))
                bad |= s_read(self, c, 0, now) != 0;
            if (!bad && !c->connecting && (r1 & (POLLIN | POLLHUP | POLLERR)))
                bad |= s_read(self, c, 1, now) != 0;
            if (!bad && (r1 & POLLOUT))
                bad |= s_write(self, c, 0, now) != 0;
            if (!bad && (r0 & POLLOUT))
                bad |= s_write(self, c, 1, now) != 0;
            if (bad)   // one side failed: the other sees a reset, as it would end to end
                s_conn_close(self, i, true);
        }
    }
    free(pfd);
    free(owner);
    return rc;
}

static int
s_usage(FILE *out)
{
    fprintf(out,
        "usage: gn-faultproxy --listen tcp://IP:PORT|* --to tcp://IP:PORT --control ENDPOINT\n"
        "                     --ready FILE [--max-conns N] [--buffer BYTES]\n"
        "       gn-faultproxy ctl ENDPOINT COMMAND [ARG] [--timeout MS]\n"
        "commands: pass | delay MS | throttle BYTES_PER_S | stall | cut | resume | reset | stats"
        " | quit\n");
    return out == stdout ? 0 : 2;
}

//  ctl mode: send one command, print the reply. 0 ok, 1 error reply, 3 no answer.
static int
s_ctl_main(int argc, char **argv)
{
    int timeout = CTL_TIMEOUT_DEFAULT;
    const char *words[3] = { NULL, NULL, NULL };
    int nwords = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            long long t = s_arg(argv[++i]);
            if (t <= 0 || t > INT_MAX)
                return s_usage(stderr);
            timeout = (int) t;
        }
        else if (nwords < 3)
            words[nwords++] = argv[i];
        else
            return s_usage(stderr);
    }
    if (nwords < 2)
        return s_usage(stderr);
    char line[128];
    if (snprintf(line, sizeof line, "%s%s%s", words[1], words[2] ? " " : "",
                 words[2] ? words[2] : "") >= (int) sizeof line)
        return s_usage(stderr);
    zsock_t *req = zsock_new(ZMQ_REQ);
    if (!req) {
        fprintf(stderr, "gn-faultproxy ctl: cannot create a socket\n");
        return 3;
    }
    zsock_set_linger(req, 0);
    zsock_set_rcvtimeo(req, timeout);
    zsock_set_sndtimeo(req, timeout);
    int rc = 3;
    if (zsock_connect(req, "%s", words[0]) != 0)
        fprintf(stderr, "gn-faultproxy ctl: bad endpoint %s\n", words[0]);
    else if (zstr_send(req, line) != 0)
        fprintf(stderr, "gn-faultproxy ctl: cannot send to %s\n", words[0]);
    else {
        char *reply = zstr_recv(req);
        if (!reply)
            fprintf(stderr, "gn-faultproxy ctl: no answer from %s within %d ms\n", words[0],
                    timeout);
        else {
            printf("%s\n", reply);
            rc = strncmp(reply, "ok", 2) == 0 ? 0 : 1;
            zstr_free(&reply);
        }
    }
    zsock_destroy(&req);
    return rc;
}

int
main(int argc, char **argv)
{
    zsys_init();
    zsys_set_logstream(NULL);
    zsys_set_logsender(NULL);
    if (argc >= 2 && strcmp(argv[1], "ctl") == 0)
        return s_ctl_main(argc - 2, argv + 2);
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "to", required_argument, NULL, 't' },
        { "control", required_argument, NULL, 'c' },
        { "ready", required_argument, NULL, 'r' },
        { "max-conns", required_argument, NULL, 'm' },
        { "buffer", required_argument, NULL, 'b' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *listen_ep = NULL, *to_ep = NULL, *control = NULL, *ready = NULL;
    long long max_conns = CONNS_DEFAULT, bufsize = BUFFER_DEFAULT;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'l': listen_ep = optarg; break;
        case 't': to_ep = optarg; break;
        case 'c': control = optarg; break;
        case 'r': ready = optarg; break;
        case 'm': max_conns = s_arg(optarg); break;
        case 'b': bufsize = s_arg(optarg); break;
        case 'h': return s_usage(stdout);
        default: return s_usage(stderr);
        }
    }
    if (optind != argc || !listen_ep || !to_ep || !control || !ready
        || max_conns < 1 || max_conns > 1024 || bufsize < 1024 || bufsize > (64 << 20))
        return s_usage(stderr);

    proxy_t self = { .listener = -1, .max_conns = (size_t) max_conns,
                     .bufsize = (size_t) bufsize, .refilled = s_now() };
    uint16_t range[2];
    if (s_parse_endpoint(listen_ep, range, &self.listen_addr) != 0
        || s_parse_endpoint(to_ep, NULL, &self.to_addr) != 0) {
        fprintf(stderr, "gn-faultproxy: --listen wants tcp://A.B.C.D:PORT|*|![LO-HI], "
                        "--to tcp://A.B.C.D:PORT\n");
        return 2;
    }
    int rc = 1;
    self.conns = calloc(self.max_conns, sizeof *self.conns);
    self.ctl = zsock_new(ZMQ_REP);
    if (!self.conns || !self.ctl) {
        fprintf(stderr, "gn-faultproxy: out of memory\n");
        goto done;
    }
    zsock_set_linger(self.ctl, 0);
    zsock_set_sndtimeo(self.ctl, 1000);
    if (zsock_bind(self.ctl, "%s", control) < 0) {
        fprintf(stderr, "gn-faultproxy: cannot bind --control %s: %s\n", control,
                zmq_strerror(errno));
        goto done;
    }
    srandom((unsigned) (getpid() ^ zclock_usecs()));
    if (s_listen_first(&self, range) != 0) {
        fprintf(stderr, "gn-faultproxy: cannot listen on %s: %s\n", listen_ep, strerror(errno));
        goto done;
    }
    if (s_write_ready(&self, ready) != 0) {
        fprintf(stderr, "gn-faultproxy: cannot write %s: %s\n", ready, strerror(errno));
        goto done;
    }
    rc = s_run(&self);
done:
    if (self.conns)
        s_close_all(&self, false);
    free(self.conns);
    s_close_fd(&self.listener, false);
    zsock_destroy(&self.ctl);
    return rc;
}
