/*  sse_test.c -- the pages' live events: an op as an event, what is left
    out, titles cut at a character, and the bound on streams.  */
#include "sse.h"
#include "codec.h"
#include "err.h"

#include <czmq.h>
#include <jansson.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

//  A packed case op (title given), caller frees.
static uint8_t *
s_op(const char *case_id, const char *title, size_t *len)
{
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = (char *) case_id;
    c.origin = 610403001001ULL;
    c.grid = (char *) "610403001001-001";
    c.category = (char *) "环境卫生";
    c.title = (char *) title;
    c.status = GRIDNET__STATUS__ST_ACCEPTED;
    c.owner = 610403001001ULL;
    c.level = 3;
    c.overdue = true;
    gn_op_t op = GRIDNET__OP__INIT;
    op.origin = 610403001001ULL;
    op.seq = 7;
    op.case_id = (char *) case_id;
    op.version = 2;
    op.action = GRIDNET__ACTION__ACT_ACCEPT;
    op.actor = (char *) "op-610403001001";
    op.time = 1700000000000LL;
    op.state = case_id ? &c : NULL;
    uint8_t *buf = NULL;
    assert_int_equal(gn_codec_pack(&op.base, GN_ENVELOPE_MAX, &buf, len), 0);
    return buf;
}

static void
test_event(void **state)
{
    size_t len;
    uint8_t *op = s_op("610403001001-3", "垃圾堆放", &len);
    char *text = gn_sse_event_json(op, len, false);
    assert_non_null(text);
    json_t *ev = json_loads(text, 0, NULL);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "case")), "610403001001-3");
    assert_string_equal(json_string_value(json_object_get(ev, "action")), "accept");
    assert_string_equal(json_string_value(json_object_get(ev, "status")), "accepted");
    assert_string_equal(json_string_value(json_object_get(ev, "category")), "环境卫生");
    assert_string_equal(json_string_value(json_object_get(ev, "actor")), "op-610403001001");
    assert_int_equal(json_integer_value(json_object_get(ev, "owner")), 610403001001LL);
    assert_int_equal(json_integer_value(json_object_get(ev, "time")), 1700000000000LL);
    assert_true(json_is_true(json_object_get(ev, "overdue")));
    assert_true(json_is_false(json_object_get(ev, "conflict")));
    assert_null(json_object_get(ev, "reporter"));   // nothing personal in an event
    json_decref(ev);
    free(text);
    text = gn_sse_event_json(op, len, true);
    assert_non_null(strstr(text, "\"conflict\":true"));
    free(text);
    free(op);
}

//  Reference data ops have no case; bytes that are no op are nothing.
static void
test_left_out(void **state)
{
    size_t len;
    uint8_t *op = s_op(NULL, "x", &len);
    assert_null(gn_sse_event_json(op, len, false));
    free(op);
    static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0x01, 0x02 };
    assert_null(gn_sse_event_json(junk, sizeof junk, false));
}

//  A long title is cut to at most 120 bytes, between characters.
static void
test_title_cut(void **state)
{
    char title[400] = "";
    for (int i = 0; i < 80; i++)   // 240 bytes: within a title's 256
        strcat(title, "网");   // 3 bytes each
    size_t len;
    uint8_t *op = s_op("610403001001-4", title, &len);
    char *text = gn_sse_event_json(op, len, false);
    assert_non_null(text);
    json_t *ev = json_loads(text, 0, NULL);   // jansson refuses a cut character
    assert_non_null(ev);
    const char *t = json_string_value(json_object_get(ev, "title"));
    assert_int_equal(strlen(t), 120);
    assert_int_equal(strncmp(t, title, 120), 0);
    json_decref(ev);
    free(text);
    free(op);
}

static bool
s_alive(void *arg, const char *who)
{
    return true;
}

//  At most max_streams at once; a stream's end frees its place; none once stopping.
static void
test_bound(void **state)
{
    char err[256];
    zsock_t *pub = zsock_new_pub("inproc://sse-test-pub");
    assert_non_null(pub);
    gn_sse_t *sse = gn_sse_new("inproc://sse-test-pub", 2, s_alive, NULL, err, sizeof err);
    assert_non_null(sse);
    bool full;
    struct MHD_Response *a = gn_sse_response(sse, "s1", NULL, &full);
    struct MHD_Response *b = gn_sse_response(sse, "s2", "bogus-12", &full);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(gn_sse_streams(sse), 2);
    assert_null(gn_sse_response(sse, "s3", NULL, &full));
    assert_true(full);
    MHD_destroy_response(a);   // the stream ends: its place is free again
    assert_int_equal(gn_sse_streams(sse), 1);
    a = gn_sse_response(sse, "s3", NULL, &full);
    assert_non_null(a);
    gn_sse_stop(sse);
    assert_null(gn_sse_response(sse, "s4", NULL, &full));
    assert_false(full);
    MHD_destroy_response(a);
    MHD_destroy_response(b);
    assert_int_equal(gn_sse_streams(sse), 0);
    gn_sse_destroy(&sse);
    assert_null(sse);
    zsock_destroy(&pub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event),
        cmocka_unit_test(test_left_out),
        cmocka_unit_test(test_title_cut),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
