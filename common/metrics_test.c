/*  metrics_test.c -- the exposition text: its grammar, a consistent
    histogram, per-peer counters, and zeros for a node without metrics.  */
#include "metrics.h"
#include "err.h"

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define DISTRICT 610403000000ULL
#define TOWN     610403001000ULL
#define VILLAGE  610403001001ULL

//  Every line a HELP, a TYPE or a sample of the text format 0.0.4.
static void
s_grammar(const char *text)
{
    regex_t re;
    const char *name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    const char *label = "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\"";
    char pattern[1024];
    snprintf(pattern, sizeof pattern,
             "^(# HELP %s .+|# TYPE %s (counter|gauge|histogram)|%s(\\{%s(,%s)*\\})? "
             "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|\\+Inf))$",
             name, name, name, label, label);
    assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    char *copy = strdup(text), *save = NULL;
    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (regexec(&re, line, 0, NULL, 0) != 0)
            fail_msg("not the exposition format: '%s'", line);
    free(copy);
    regfree(&re);
}

static unsigned long long
s_sample(const char *text, const char *key)
{
    char needle[256];
    snprintf(needle, sizeof needle, "\n%s ", key);
    const char *at = strstr(text, needle);
    if (!at)
        fail_msg("no sample %s", key);
    return strtoull(at + strlen(needle), NULL, 10);
}

static void
test_render(void **state)
{
    gn_metrics_t *m = gn_metrics_new(TOWN);
    assert_non_null(m);
    gn_metrics_commit(m, GN_COMMIT_API, 100);        // 0.0001 s: the first bucket
    gn_metrics_commit(m, GN_COMMIT_API, 3000);       // 0.003 s
    gn_metrics_commit(m, GN_COMMIT_API, 9000000);    // 9 s: only +Inf
    gn_metrics_commit(m, GN_COMMIT_SYNC, 700);
    gn_metrics_applied(m, VILLAGE, false, 10);
    gn_metrics_applied(m, VILLAGE, false, 5);
    gn_metrics_applied(m, DISTRICT, true, 7);
    gn_metrics_reject(m, true, GRIDNET__REJECT_REASON__RJ_STALE);
    gn_metrics_reject(m, false, 99);                 // unknown: counted as unspecified

    Gridnet__LinkStatus up = GRIDNET__LINK_STATUS__INIT, down = GRIDNET__LINK_STATUS__INIT;
    up.peer = DISTRICT;
    up.role = "parent";
    up.connected = 1;
    up.lag_ops = 3;
    up.lag_ms = 1500;
    down.peer = VILLAGE;
    down.role = "child";
    Gridnet__LinkStatus *links[2] = { &up, &down };
    Gridnet__NodeStatus st = GRIDNET__NODE_STATUS__INIT;
    st.node = TOWN;
    st.level = 2;
    st.feed_head = 42;
    st.n_links = 2;
    st.links = links;
    uint64_t counts[9] = { 0, 5, 1, 0, 0, 2, 0, 0, 1 };
    char *text = NULL;
    assert_int_equal(gn_metrics_render(m, &st, counts, &text), GN_OK);
    s_grammar(text);
    assert_int_equal(s_sample(text, "gridnet_cases{status=\"reported\"}"), 5);
    assert_int_equal(s_sample(text, "gridnet_cases{status=\"rejected\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_link_up{peer=\"610403000000\",role=\"parent\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_link_up{peer=\"610403001001\",role=\"child\"}"), 0);
    assert_int_equal(s_sample(text, "gridnet_link_lag_ops{peer=\"610403000000\",role=\"parent\"}"), 3);
    assert_non_null(strstr(text, "gridnet_link_lag_seconds{peer=\"610403000000\",role=\"parent\"} 1.500\n"));
    assert_int_equal(s_sample(text, "gridnet_sync_applied_ops_total{peer=\"610403001001\",role=\"child\"}"), 15);
    assert_int_equal(s_sample(text, "gridnet_sync_batches_total{peer=\"610403001001\",role=\"child\"}"), 2);
    assert_int_equal(s_sample(text, "gridnet_sync_applied_ops_total{peer=\"610403000000\",role=\"parent\"}"), 7);
    assert_int_equal(s_sample(text, "gridnet_sync_rejects_total{direction=\"sent\",reason=\"stale\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_sync_rejects_total{direction=\"received\",reason=\"unspecified\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_bucket{source=\"api\",le=\"0.00025\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_bucket{source=\"api\",le=\"0.005\"}"), 2);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_bucket{source=\"api\",le=\"2.5\"}"), 2);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_bucket{source=\"api\",le=\"+Inf\"}"), 3);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_count{source=\"api\"}"), 3);
    assert_non_null(strstr(text, "gridnet_commit_seconds_sum{source=\"api\"} 9.003100\n"));
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_count{source=\"sync\"}"), 1);
    assert_int_equal(s_sample(text, "gridnet_feed_head"), 42);
    free(text);
    gn_metrics_destroy(&m);
    assert_null(m);

    //  No metrics (and NULL everywhere): zeros, same grammar.
    gn_metrics_commit(NULL, GN_COMMIT_API, 1);
    gn_metrics_applied(NULL, 1, false, 1);
    gn_metrics_reject(NULL, true, 1);
    st.n_links = 0;
    assert_int_equal(gn_metrics_render(NULL, &st, counts, &text), GN_OK);
    s_grammar(text);
    assert_int_equal(s_sample(text, "gridnet_commit_seconds_count{source=\"tick\"}"), 0);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
