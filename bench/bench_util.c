/*  bench_util.c -- clock, percentiles, RSS, the run's temp dir, dying cleanly.  */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLEANUPS_MAX 8

static char s_tmp[PATH_MAX];                // this run's temp dir, "" before init
static bool s_keep;                         // keep it at exit
static void (*s_cleanups[CLEANUPS_MAX])(void);
static int s_ncleanups;
static bool s_cleaning;                     // inside the exit handler

int64_t
bn_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        bn_die("clock_gettime: %s", strerror(errno));
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
bn_check_interrupt(void)
{
    if (zsys_interrupted)
        bn_die("interrupted");
}

void
bn_sleep_ms(int ms)
{
    int64_t until = bn_now_ns() + (int64_t) ms * 1000000;
    while (true) {
        bn_check_interrupt();
        int64_t left = until - bn_now_ns();
        if (left <= 0)
            return;
        struct timespec ts = { .tv_sec = left / 1000000000, .tv_nsec = left % 1000000000 };
        nanosleep(&ts, NULL);   // EINTR: look at the flag and go on
    }
}

void
bn_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gn-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (s_cleaning)
        _exit(1);
    exit(1);
}

void
bn_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("gn-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

double
bn_quantile(double *v, size_t n, double p)
{
    if (n == 0)
        bn_die("quantile of no samples");
    qsort(v, n, sizeof *v, s_cmp_double);
    size_t rank = (size_t) (p * (double) n + 0.999999);   // nearest rank, 1-based
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

int
bn_rss_kb(pid_t pid, long *vmrss, long *anon)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long rss = -1, an = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            rss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "RssAnon:", 8) == 0)
            an = strtol(line + 8, NULL, 10);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rss < 0 || an < 0)
        return -1;
    *vmrss = rss;
    if (anon)
        *anon = an;
    return 0;
}

int
bn_cpu_machine(uint64_t *busy, uint64_t *steal, uint64_t *total)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    if (fclose(f) != 0 || n != 8)
        return -1;
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum += v[i];
    *total = sum;
    *busy = sum - v[3] - v[4];      // idle, iowait
    *steal = v[7];
    return 0;
}

int
bn_cpu_proc(pid_t pid, uint64_t *ticks)
{
    char path[64], line[1024];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    else
        snprintf(path, sizeof path, "/proc/self/stat");
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *got = fgets(line, sizeof line, f);
    if (fclose(f) != 0 || !got)
        return -1;
    //  After the command in parentheses: state is field 3, utime 14, stime 15.
    char *p = strrchr(line, ')');
    if (!p)
        return -1;
    unsigned long long utime, stime;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
               &stime) != 2)
        return -1;
    *ticks = utime + stime;
    return 0;
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (remove(path) != 0 && errno != ENOENT) {
        fprintf(stderr, "gn-bench: cannot remove %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

int
bn_rmtree(const char *dir)
{
    return nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
s_exit_handler(void)
{
    s_cleaning = true;
    for (int i = s_ncleanups - 1; i >= 0; i--)
        s_cleanups[i]();
    if (!s_tmp[0])
        return;
    if (s_keep)
        fprintf(stderr, "gn-bench: kept %s\n", s_tmp);
    else if (bn_rmtree(s_tmp) != 0)
        fprintf(stderr, "gn-bench: could not remove all of %s\n", s_tmp);
}

void
bn_at_cleanup(void (*fn)(void))
{
    if (s_ncleanups == CLEANUPS_MAX)
        bn_die("too many cleanup handlers");
    s_cleanups[s_ncleanups++] = fn;
}

void
bn_tmp_init(const char *parent, bool keep)
{
    int n = snprintf(s_tmp, sizeof s_tmp, "%s/gn-bench.XXXXXX", parent);
    if (n < 0 || (size_t) n >= sizeof s_tmp - 64)
        bn_die("temp dir parent too long: %s", parent);
    if (!mkdtemp(s_tmp)) {
        int err = errno;
        s_tmp[0] = 0;
        bn_die("cannot create a temp dir under %s: %s", parent, strerror(err));
    }
    s_keep = keep;
    if (atexit(s_exit_handler) != 0)
        bn_die("atexit failed");
}

const char *
bn_tmp(void)
{
    return s_tmp;
}

char *
bn_path(char *buf, size_t len, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", s_tmp, name);
    if (n < 0 || (size_t) n >= len)
        bn_die("path too long: %s/%s", s_tmp, name);
    return buf;
}
