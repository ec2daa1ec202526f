/*  log.h -- one line per event on stderr: time, level, node, message.  */
#ifndef GN_LOG_H
#define GN_LOG_H
#include <stdint.h>

typedef enum { GN_LOG_ERROR = 0, GN_LOG_WARN, GN_LOG_INFO, GN_LOG_DEBUG } gn_log_level_t;

//  Set the process-wide threshold and the node id shown on each line.
void gn_log_init(gn_log_level_t level, uint64_t node);
//  Parse "error", "warn", "info" or "debug"; -1 if none of them.
int gn_log_level_parse(const char *name);
void gn_log(gn_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define gn_error(...) gn_log(GN_LOG_ERROR, __VA_ARGS__)
#define gn_warn(...)  gn_log(GN_LOG_WARN, __VA_ARGS__)
#define gn_info(...)  gn_log(GN_LOG_INFO, __VA_ARGS__)
#define gn_debug(...) gn_log(GN_LOG_DEBUG, __VA_ARGS__)

#endif
