/*  log.c -- stderr logger. Lines are written with one write() so that
    concurrent daemons sharing a terminal do not interleave mid-line.  */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static gn_log_level_t s_level = GN_LOG_INFO;
static uint64_t s_node;
static const char *s_names[] = { "ERROR", "WARN", "INFO", "DEBUG" };

void
gn_log_init(gn_log_level_t level, uint64_t node)
{
    s_level = level;
    s_node = node;
}

int
gn_log_level_parse(const char *name)
{
    static const char *lower[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++)
        if (strcmp(name, lower[i]) == 0)
            return i;
    return -1;
}

void
gn_log(gn_log_level_t level, const char *fmt, ...)
{
    if (level > s_level)
        return;
    char line[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %012llu ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long) tv.tv_usec / 1000, s_names[level],
                     (unsigned long long) s_node);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t) n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    (void) !write(STDERR_FILENO, line, len);
}
