/*  bench.h -- gn-bench: the machine's limits and gridnet side by side.

    One program, one run (see bench/README.md). Modules:
        bench_util.c    clock, percentiles, RSS, temp dirs, dying cleanly
        bench_limits.c  raw LMDB and ZeroMQ baselines, the RSS floor
        bench_nodes.c   real daemons from the build's bin/, generated configs
        bench_load.c    pipelined report driver over the client codec
        gn_bench.c      the phases (a)..(f) and the table

    Errors: every failure of the machinery is fatal (bn_die): it prints one
    line, kills every daemon the bench started and removes its temp dir.  */
#ifndef GN_BENCH_H
#define GN_BENCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <czmq.h>

// ---- bench_util.c ----

//  Monotonic clock, nanoseconds.
int64_t bn_now_ns(void);
//  Sleep ms milliseconds (dies if interrupted by SIGINT/SIGTERM).
void bn_sleep_ms(int ms);
//  Print "gn-bench: <text>" on stderr, clean up, exit 1.
void bn_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
//  A progress line on stderr.
void bn_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
//  Dies if the user asked us to stop (czmq's SIGINT/SIGTERM flag).
void bn_check_interrupt(void);
//  The p-quantile (0..1) of v[0..n) by nearest rank; sorts v. n > 0.
double bn_quantile(double *v, size_t n, double p);
//  VmRSS and RssAnon of pid in KiB from /proc/PID/status. 0 or -1.
int bn_rss_kb(pid_t pid, long *vmrss, long *anon);
//  The machine's CPU time from /proc/stat, in clock ticks: busy (not idle,
//  not iowait), steal (taken by the hypervisor), total. 0 or -1.
int bn_cpu_machine(uint64_t *busy, uint64_t *steal, uint64_t *total);
//  User + system CPU time of pid (0: this process), clock ticks. 0 or -1.
int bn_cpu_proc(pid_t pid, uint64_t *ticks);
//  Remove dir and everything under it. 0 or -1.
int bn_rmtree(const char *dir);
//  The temp dir of this run (created by bn_tmp_init; removed at exit unless keep).
void bn_tmp_init(const char *parent, bool keep);
const char *bn_tmp(void);
//  A path under the temp dir: <tmp>/<name>; returns buf. Dies if too long.
char *bn_path(char *buf, size_t len, const char *name);
//  Run fn at exit before the temp dir goes (daemons are killed there).
void bn_at_cleanup(void (*fn)(void));

// ---- bench_limits.c ----

typedef struct {
    double commit_p50_us;       // LMDB, one small put per txn, default flags
    double commit_p99_us;
    double batch_puts_s;        // LMDB, 1000 puts per txn
    double zmq_msgs_s;          // DEALER -> ROUTER, tcp loopback, 300 B
    double rtt_p50_us;          // DEALER -> ROUTER -> DEALER, 300 B
    double rtt_p99_us;
    long floor_rss_kb;          // a process holding an LMDB env and ZMQ sockets
} bn_limits_t;

void bn_limits_lmdb(const char *dir, int singles, int batches, bn_limits_t *out);
void bn_limits_zmq(int msgs, int rtts, bn_limits_t *out);
void bn_limits_floor(const char *self_exe, const char *dir, bn_limits_t *out);
//  The child side of bn_limits_floor (gn-bench --floor DIR). Exit code.
int bn_floor_main(const char *dir);

// ---- bench_nodes.c ----

typedef struct {
    char code[16];              // 12-digit division code
    const char *level;          // "village", "town", "district"
    char dir[512];              // data directory (config, log, endpoints, db)
    char parent[256];           // parent's sync endpoint ("" for the district)
    pid_t pid;                  // running daemon, 0 if none
    char api[256];              // bound endpoints from <dir>/endpoints
    char pub[256];
    char sync[256];             // towns and district only
    char sets[4][128];          // -s key=value overrides given at every start
    int nsets;
} bn_node_t;

//  Where the daemons are; registers the kill-at-exit.
void bn_nodes_init(const char *bindir);
//  Run every daemon of level under a wrapper command (split at spaces), e.g.
//  "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p".
void bn_nodes_wrap(const char *level, const char *cmd);
//  A node with its data dir <tmp>/<tag>/<code>; parent may be NULL. The nodes
//  of one tag share <tmp>/<tag>/registry, the default registry of node
//  certificates (<data>/../registry): each node makes its keys at first start
//  and publishes its certificate there.
bn_node_t *bn_node_new(const char *tag, const char *level, const char *code,
                       const char *parent_sync);
//  Start the daemon, wait until it wrote <dir>/endpoints. pin: bind to the
//  endpoints of the previous run (a restart that children find again).
void bn_node_start(bn_node_t *node, bool pin);
//  Keys for a node that never runs (a parent that is absent on purpose), made
//  with `gridctl keygen` and published in <tmp>/<tag>/registry.
void bn_keygen(const char *tag, const char *code);
//  SIGTERM, wait, require exit status 0.
void bn_node_stop(bn_node_t *node);
//  SIGKILL, wait (a crash, or a machine losing power).
void bn_node_kill(bn_node_t *node);
//  Start the daemon with `-s key=value` from now on (replaces an earlier
//  value of the same key). It takes effect at the next bn_node_start.
void bn_node_set(bn_node_t *node, const char *key, const char *value);
//  VmRSS (KiB) of the running daemon; dies if it is gone.
long bn_node_rss(bn_node_t *node, long *anon);

//  CPU time (clock ticks) of every running daemon plus this process.
uint64_t bn_nodes_cpu(void);
//  CPU time (clock ticks) of one running daemon.
uint64_t bn_node_cpu(bn_node_t *node);

//  A status request to a node's API through the client library.
typedef struct {
    uint64_t feed_head;
    uint64_t cases;
    size_t links_connected;     // links with connected == true
} bn_status_t;
void bn_node_status(bn_node_t *node, bn_status_t *st);
//  The digests a and b hold of root's subtree (per origin: ops, highest seq,
//  SHA-256 over their bytes; the DIGEST request gridctl verify-tree makes).
//  true if every origin agrees. a_ops/b_ops: ops each holds of the subtree;
//  a_at (may be NULL): when a's digest came (ns; a is asked first); diff
//  (may be NULL): the first origin that differs, as text.
bool bn_digests_agree(bn_node_t *a, bn_node_t *b, uint64_t root, uint64_t *a_ops,
                      uint64_t *b_ops, int64_t *a_at, char *diff, size_t difflen);

// ---- bench_load.c ----

typedef struct {
    uint64_t sent;              // requests sent
    uint64_t ok;                // replies with code 0 and a case id
    uint64_t failed;            // replies with an error code
    uint64_t outstanding;       // sent, no reply yet
    int64_t t_start;            // ns, when the first request went out
    char first_error[256];      // text of the first refused request
} bn_drive_stats_t;

enum { BN_GO = 0, BN_STOP = 1, BN_PAUSE = 2 };
#define BN_EXTRA_MAX 4

typedef struct {
    bn_node_t **targets;        // villages to report at
    size_t ntargets;
    int conns;                  // DEALER connections per target
    int window;                 // requests outstanding per connection
    double rate;                // requests/s over all targets; 0 = as the window allows
    uint64_t count;             // stop sending after this many; 0 = no limit
    int64_t duration_ns;        // stop sending after this long; 0 = no limit
    //  Every reply with code 0: which target, the case id, when it came (ns).
    void (*on_ok)(void *arg, size_t target, const char *case_id, int64_t t);
    //  Called about every tick_ms: BN_GO, BN_STOP (stop sending) or BN_PAUSE
    //  (send nothing until the next tick).
    int (*on_tick)(void *arg, const bn_drive_stats_t *st, int64_t t);
    int tick_ms;
    //  More sockets to watch (SUBs), and what to do when one is readable.
    zsock_t *extra[BN_EXTRA_MAX];
    size_t nextra;
    void (*on_extra)(void *arg, size_t which, zsock_t *sock, int64_t t);
    void *arg;
} bn_drive_t;

//  Send reports until count/duration/on_tick says stop, then wait for every
//  outstanding reply (dies if they do not all come within 60 s).
void bn_drive(const bn_drive_t *cfg, bn_drive_stats_t *st);

#endif
