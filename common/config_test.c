/*  config_test.c -- defaults, file parsing, every error case, gn_config_set,
    and the example config loading back.  */
#include "config.h"
#include "err.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#define DISTRICT "610403000000"
#define TOWN     "610403001000"
#define VILLAGE  "610403001001"

//  Write text to a new temp file; returns its path (static buffer).
static const char *
s_write(const char *text)
{
    static char path [64];
    strcpy(path, "/tmp/gn_config_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    assert_true(fputs(text, file) >= 0);
    assert_int_equal(fclose(file), 0);
    return path;
}

//  Load text as a config file at level; err gets the reason.
static int
s_load(const char *text, int level, gn_config_t *cfg, char *err, size_t errlen)
{
    const char *path = s_write(text);
    int rc = gn_config_load(cfg, path, level, err, errlen);
    assert_int_equal(unlink(path), 0);
    return rc;
}

//  Expect loading text at level to fail with an error that contains want,
//  on one line.
static void
s_expect_error(const char *text, int level, const char *want)
{
    gn_config_t cfg;
    char err [256] = "";
    int rc = s_load(text, level, &cfg, err, sizeof err);
    if (rc != GN_ECONFIG)
        fail_msg("expected GN_ECONFIG, got %d for:\n%s", rc, text);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    assert_null(strchr(err, '\n'));
}

static void
test_defaults(void **state)
{
    gn_config_t cfg;
    char err [256] = "";
    assert_int_equal(s_load("node\n    id = " DISTRICT "\n", 1, &cfg, err, sizeof err), GN_OK);
    assert_string_equal(err, "");
    assert_true(cfg.node == 610403000000ULL);
    assert_string_equal(cfg.data, "./data");
    assert_string_equal(cfg.log_level, "info");
    assert_string_equal(cfg.api_bind, "tcp://127.0.0.1:*");
    assert_string_equal(cfg.pub_bind, "tcp://127.0.0.1:*");
    assert_string_equal(cfg.child_bind, "tcp://127.0.0.1:*");
    assert_string_equal(cfg.parent, "");
    assert_int_equal(cfg.batch_ops, 512);
    assert_int_equal(cfg.window, 8);
    assert_int_equal(cfg.heartbeat_ms, 1000);
    assert_int_equal(cfg.map_mb, 64);
    assert_int_equal(cfg.tick_ms, 1000);

    //  No file: defaults only, and the id is missing.
    assert_int_equal(gn_config_load(&cfg, NULL, 0, err, sizeof err), GN_ECONFIG);
    assert_string_equal(err, "node/id is required");
    assert_string_equal(cfg.api_bind, "tcp://127.0.0.1:*");
    //  err may be left out.
    assert_int_equal(gn_config_load(&cfg, NULL, 0, NULL, 0), GN_ECONFIG);
}

static void
test_file(void **state)
{
    static const char *text =
        "#   a full config, every key away from its default\n"
        "node\n"
        "    id = " VILLAGE "          # trailing comment\n"
        "    data = \"/var/lib/gridnet/v1\"\n"
        "    #   an indented comment\n"
        "    log = debug\n"
        "    tick = 250\n"
        "api\n"
        "    bind = \"tcp://0.0.0.0:7001\"\n"
        "pub\n"
        "    bind = ipc:///tmp/gn-pub\n"
        "sync\n"
        "    bind = \"tcp://*:7003\"\n"
        "    parent = \"tcp://10.0.0.2:7003\"\n"
        "    batch = 1024\n"
        "    window = 1\n"
        "    heartbeat = 300\n"
        "store\n"
        "    map = 4096\n";
    gn_config_t cfg;
    char err [256] = "";
    int rc = s_load(text, 3, &cfg, err, sizeof err);
    if (rc != GN_OK)
        fail_msg("load failed: %s", err);
    assert_true(cfg.node == 610403001001ULL);
    assert_string_equal(cfg.data, "/var/lib/gridnet/v1");
    assert_string_equal(cfg.log_level, "debug");
    assert_int_equal(cfg.tick_ms, 250);
    assert_string_equal(cfg.api_bind, "tcp://0.0.0.0:7001");
    assert_string_equal(cfg.pub_bind, "ipc:///tmp/gn-pub");
    assert_string_equal(cfg.child_bind, "tcp://*:7003");
    assert_string_equal(cfg.parent, "tcp://10.0.0.2:7003");
    assert_int_equal(cfg.batch_ops, 1024);
    assert_int_equal(cfg.window, 1);
    assert_int_equal(cfg.heartbeat_ms, 300);
    assert_int_equal(cfg.map_mb, 4096);

    //  Level 0: any level; the caller checks the parent after overrides.
    assert_int_equal(s_load("node\n    id = " TOWN "\n", 0, &cfg, err, sizeof err), GN_OK);
    //  A path written in one piece at the top works too.
    assert_int_equal(s_load("node/id = " DISTRICT "\n", 1, &cfg, err, sizeof err), GN_OK);
    assert_true(cfg.node == 610403000000ULL);
}

static void
test_errors(void **state)
{
    //  node/id
    s_expect_error("node\n    data = x\n", 0, "node/id is required");
    s_expect_error("", 0, "node/id is required");
    s_expect_error("node\n    id = \"\"\n", 1, "node/id is required");
    s_expect_error("node\n    id = 61040300100\n", 0, "node/id: '61040300100' is not a 12-digit");
    s_expect_error("node\n    id = 6104030010011\n", 0, "not a 12-digit");
    s_expect_error("node\n    id = 61040300100x\n", 0, "not a 12-digit");
    s_expect_error("node\n    id = 010403001001\n", 0, "not a 12-digit");

    //  Wrong level.
    s_expect_error("node\n    id = " VILLAGE "\nsync\n    parent = x\n", 1,
                   "node/id 610403001001 is a village code (level 3), this daemon runs a district");
    s_expect_error("node\n    id = " DISTRICT "\n", 3, "is a district code (level 1)");
    s_expect_error("node\n    id = " TOWN "\nsync\n    parent = x\n", 3, "is a town code (level 2)");

    //  Parent: required below the district, refused at it.
    s_expect_error("node\n    id = " VILLAGE "\n", 3, "sync/parent is required for a village");
    s_expect_error("node\n    id = " TOWN "\n", 2, "sync/parent is required for a town");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    parent = \"tcp://x:1\"\n", 1,
                   "sync/parent must be empty for a district");

    //  Unknown keys, at every depth, and things that are not keys.
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    windw = 8\n", 1,
                   "unknown key 'sync/windw'");
    s_expect_error("nodes\n    id = " DISTRICT "\n", 1, "unknown key 'nodes'");
    s_expect_error("node\n    id = " DISTRICT "\nwindow = 8\n", 1, "unknown key 'window'");
    s_expect_error("node\n    id = " DISTRICT "\n    extra\n        x = 1\n", 1,
                   "unknown key 'node/extra'");
    s_expect_error("node\n    id = " DISTRICT "\n        sub = 1\n", 1,
                   "node/id is a setting and cannot have keys below it");
    s_expect_error("node = " DISTRICT "\n", 1, "node is a section, not a setting");
    s_expect_error("node\n    id = " DISTRICT "\n    id = " DISTRICT "\n", 1,
                   "node/id is given twice");
    s_expect_error("node\n    id = " DISTRICT "\nnode/id = " DISTRICT "\n", 1,
                   "node/id is given twice");

    //  Numbers: bounds, named with the key; text that is not a number.
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    window = 0\n", 1,
                   "sync/window = 0 is out of bounds [1, 1024]");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    batch = 1025\n", 1,
                   "sync/batch = 1025 is out of bounds [1, 1024]");
    s_expect_error("node\n    id = " DISTRICT "\n    tick = 9\n", 1,
                   "node/tick = 9 is out of bounds [10, 60000]");
    s_expect_error("node\n    id = " DISTRICT "\nstore\n    map = 0\n", 1,
                   "store/map = 0 is out of bounds [1, 1048576]");
    s_expect_error("node\n    id = " DISTRICT "\nstore\n    map = 99999999999999999999999\n", 1,
                   "store/map = 99999999999999999999999 is out of bounds");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    heartbeat = 5s\n", 1,
                   "sync/heartbeat: '5s' is not a number");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    heartbeat = -1\n", 1,
                   "sync/heartbeat: '-1' is not a number");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    heartbeat = \"\"\n", 1,
                   "sync/heartbeat: '' is not a number");
    s_expect_error("node\n    id = " DISTRICT "\nsync\n    heartbeat = 0x10\n", 1,
                   "is not a number");

    //  Text: log level names, empty endpoints, length.
    s_expect_error("node\n    id = " DISTRICT "\n    log = verbose\n", 1,
                   "node/log: 'verbose' is not one of error, warn, info, debug");
    s_expect_error("node\n    id = " DISTRICT "\napi\n    bind = \"\"\n", 1,
                   "api/bind must not be empty");
    char long_text [700];
    char *p = long_text;
    p += sprintf(p, "node\n    id = " DISTRICT "\n    data = \"");
    memset(p, 'd', 512);
    strcpy(p + 512, "\"\n");
    s_expect_error(long_text, 1, "node/data is 512 bytes long, at most 511 allowed");

    //  The file itself.
    gn_config_t cfg;
    char err [256] = "";
    assert_int_equal(gn_config_load(&cfg, "/nonexistent/gn.cfg", 0, err, sizeof err),
                     GN_ECONFIG);
    assert_non_null(strstr(err, "cannot open config file /nonexistent/gn.cfg"));
    assert_int_equal(gn_config_load(&cfg, "/tmp", 0, err, sizeof err), GN_ECONFIG);
    assert_non_null(strstr(err, "is not a regular file"));
    s_expect_error("#   nothing but a comment\n", 0, "node/id is required");
    s_expect_error("node\n  id = " DISTRICT "\n", 1, "is not valid ZPL");
    s_expect_error("node\n    id = \"" DISTRICT "\n", 1, "is not valid ZPL");

    char path [] = "/tmp/gn_config_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char nul_text [] = "node\n    id = " DISTRICT "\n#\0x\n";
    assert_int_equal(write(fd, nul_text, sizeof nul_text - 1), sizeof nul_text - 1);
    assert_int_equal(close(fd), 0);
    assert_int_equal(gn_config_load(&cfg, path, 1, err, sizeof err), GN_ECONFIG);
    assert_non_null(strstr(err, "holds a NUL byte"));
    assert_int_equal(unlink(path), 0);

    //  A bad caller level.
    s_expect_error("node\n    id = " DISTRICT "\n", 4, "level 4 is not 1..3");
}

static void
test_set(void **state)
{
    gn_config_t cfg;
    char err [256] = "";
    assert_int_equal(s_load("node\n    id = " TOWN "\n", 0, &cfg, err, sizeof err), GN_OK);

    assert_int_equal(gn_config_set(&cfg, "sync/parent", "tcp://1.2.3.4:5", err, sizeof err),
                     GN_OK);
    assert_string_equal(cfg.parent, "tcp://1.2.3.4:5");
    assert_int_equal(gn_config_set(&cfg, "sync/window", "64", err, sizeof err), GN_OK);
    assert_int_equal(cfg.window, 64);
    assert_int_equal(gn_config_set(&cfg, "store/map", "1048576", err, sizeof err), GN_OK);
    assert_int_equal(cfg.map_mb, 1048576);
    assert_int_equal(gn_config_set(&cfg, "node/id", VILLAGE, err, sizeof err), GN_OK);
    assert_true(cfg.node == 610403001001ULL);

    //  Errors leave the setting as it was.
    assert_int_equal(gn_config_set(&cfg, "sync/window", "1025", err, sizeof err), GN_ECONFIG);
    assert_string_equal(err, "sync/window = 1025 is out of bounds [1, 1024]");
    assert_int_equal(cfg.window, 64);
    assert_int_equal(gn_config_set(&cfg, "sync/window", "many", err, sizeof err), GN_ECONFIG);
    assert_string_equal(err, "sync/window: 'many' is not a number (digits only)");
    assert_int_equal(gn_config_set(&cfg, "node/id", "12", err, sizeof err), GN_ECONFIG);
    assert_true(cfg.node == 610403001001ULL);
    assert_int_equal(gn_config_set(&cfg, "node/log", "loud", err, sizeof err), GN_ECONFIG);
    assert_string_equal(cfg.log_level, "info");
    assert_int_equal(gn_config_set(&cfg, "sync/windows", "8", err, sizeof err), GN_ECONFIG);
    assert_string_equal(err, "unknown key 'sync/windows'");
    assert_int_equal(gn_config_set(&cfg, "sync", "8", err, sizeof err), GN_ECONFIG);
    assert_int_equal(gn_config_set(&cfg, NULL, "8", err, sizeof err), GN_ECONFIG);
    assert_int_equal(gn_config_set(&cfg, "sync/window", NULL, err, sizeof err), GN_ECONFIG);

    //  A value with a newline still gives a one-line error.
    assert_int_equal(gn_config_set(&cfg, "sync/window", "8\nx", err, sizeof err), GN_ECONFIG);
    assert_null(strchr(err, '\n'));
    //  A short err buffer is cut, not overrun.
    char tiny [8];
    assert_int_equal(gn_config_set(&cfg, "sync/window", "0", tiny, sizeof tiny), GN_ECONFIG);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

//  Replace the first "from" in text by "to" (text has room).
static void
s_replace(char *text, size_t size, const char *from, const char *to)
{
    char *at = strstr(text, from);
    assert_non_null(at);
    size_t from_len = strlen(from), to_len = strlen(to), rest = strlen(at + from_len);
    assert_true(strlen(text) - from_len + to_len < size);
    memmove(at + to_len, at + from_len, rest + 1);
    memcpy(at, to, to_len);
}

static void
test_example(void **state)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    gn_config_print_example(out);
    assert_int_equal(fclose(out), 0);
    assert_true(size > 500);

    //  Every key is there, with its default and a comment.
    static const char *keys [] = {
        "\nnode\n", "    id = \"\"\n", "    data = \"./data\"\n", "    log = \"info\"\n",
        "    tick = 1000\n", "\napi\n", "    bind = \"tcp://127.0.0.1:*\"\n", "\npub\n",
        "\nsync\n", "    parent = \"\"\n", "    batch = 512\n", "    window = 8\n",
        "    heartbeat = 1000\n", "\nstore\n", "    map = 64\n", "batch [1, 1024]"
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++)
        if (!strstr(text, keys [i]))
            fail_msg("example lacks '%s'", keys [i]);

    //  As printed, it lacks only the id.
    gn_config_t cfg, defaults;
    char err [256] = "";
    assert_int_equal(s_load(text, 0, &cfg, err, sizeof err), GN_ECONFIG);
    assert_string_equal(err, "node/id is required");

    //  With an id it loads, and gives exactly the defaults.
    size_t room = size + 200;
    char *edited = malloc(room);
    assert_non_null(edited);
    strcpy(edited, text);
    s_replace(edited, room, "id = \"\"", "id = \"" DISTRICT "\"");
    int rc = s_load(edited, 1, &cfg, err, sizeof err);
    if (rc != GN_OK)
        fail_msg("example does not load back: %s", err);
    assert_int_equal(s_load("node\n    id = " DISTRICT "\n", 1, &defaults, err, sizeof err),
                     GN_OK);
    assert_memory_equal(&cfg, &defaults, sizeof cfg);

    //  A village needs its parent too.
    strcpy(edited, text);
    s_replace(edited, room, "id = \"\"", "id = \"" VILLAGE "\"");
    s_replace(edited, room, "parent = \"\"", "parent = \"tcp://127.0.0.1:7003\"");
    rc = s_load(edited, 3, &cfg, err, sizeof err);
    if (rc != GN_OK)
        fail_msg("example does not load back as a village: %s", err);
    assert_string_equal(cfg.parent, "tcp://127.0.0.1:7003");
    free(edited);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
