/*  pbjson_test.c -- messages to exact JSON text; enum names both ways.  */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "gridnet.pb-c.h"
#include "pbjson.h"

//  The message as compact JSON with sorted keys; compare to expected.
static void
s_assert_json(const ProtobufCMessage *msg, const char *expected)
{
    json_t *j = gn_pbjson_from_message(msg);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
    json_decref(j);
}

static void
test_case_full(void **state)
{
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    reporter.kind = GRIDNET__REPORTER_KIND__RK_GRID_WORKER;
    reporter.id = "W01";
    reporter.name = "王五";
    uint64_t trail[] = { 610403001001ULL, 610403001000ULL };
    Gridnet__Case c = GRIDNET__CASE__INIT;
    c.id = "610403001001-7";
    c.origin = 610403001001ULL;
    c.grid = "610403001001-003";
    c.category = "道路";
    c.title = "井盖缺失";
    c.lat = 34.25;
    c.lon = 108.5;
    c.reporter = &reporter;
    c.channel = GRIDNET__CHANNEL__CH_SANGUAN;
    c.severity = GRIDNET__SEVERITY__SEV_MAJOR;
    c.status = GRIDNET__STATUS__ST_REPORTED;
    c.owner = 610403001000ULL;
    c.epoch = 1;
    c.version = 3;
    c.created = 1714528800000LL;
    c.reward = 1500;
    c.n_trail = 2;
    c.trail = trail;
    c.level = 2;
    s_assert_json(&c.base,
        "{\"category\":\"道路\",\"channel\":\"sanguan\",\"created\":1714528800000,"
        "\"epoch\":1,\"grid\":\"610403001001-003\",\"id\":\"610403001001-7\","
        "\"lat\":34.25,\"level\":2,\"lon\":108.5,\"origin\":610403001001,"
        "\"owner\":610403001000,\"reporter\":{\"id\":\"W01\",\"kind\":\"grid_worker\","
        "\"name\":\"王五\"},\"reward\":1500,\"severity\":\"major\",\"status\":\"reported\","
        "\"title\":\"井盖缺失\",\"trail\":[610403001001,610403001000],\"version\":3}");
}

static void
test_defaults_omitted(void **state)
{
    Gridnet__Case c = GRIDNET__CASE__INIT;
    s_assert_json(&c.base, "{}");

    //  A set message is written even when all its fields are defaults
    Gridnet__Reporter reporter = GRIDNET__REPORTER__INIT;
    c.reporter = &reporter;
    c.title = "";
    c.n_trail = 0;
    s_assert_json(&c.base, "{\"reporter\":{}}");
}

static void
test_unknown_enum_is_number(void **state)
{
    Gridnet__Case c = GRIDNET__CASE__INIT;
    c.status = (Gridnet__Status) 42;
    c.severity = GRIDNET__SEVERITY__SEV_EMERGENCY;
    s_assert_json(&c.base, "{\"severity\":\"emergency\",\"status\":42}");
}

static void
test_op_bytes_and_nesting(void **state)
{
    uint8_t raw[] = { 0x00, 0xff, 0x10, 'a', 'b' };
    Gridnet__Case c = GRIDNET__CASE__INIT;
    c.id = "610403001000-12";
    c.status = GRIDNET__STATUS__ST_DISPATCHED;
    Gridnet__Op op = GRIDNET__OP__INIT;
    op.origin = 610403001000ULL;
    op.seq = 99;
    op.case_id = "610403001000-12";
    op.action = GRIDNET__ACTION__ACT_DISPATCH;
    op.time = -5;
    op.state = &c;
    op.to = 610403001002ULL;
    op.ref_value.data = raw;
    op.ref_value.len = sizeof raw;
    s_assert_json(&op.base,
        "{\"action\":\"dispatch\",\"case_id\":\"610403001000-12\",\"origin\":610403001000,"
        "\"ref_value\":\"AP8QYWI=\",\"seq\":99,\"state\":{\"id\":\"610403001000-12\","
        "\"status\":\"dispatched\"},\"time\":-5,\"to\":610403001002}");
}

static void
test_oneof_and_repeated_messages(void **state)
{
    //  A set oneof member is written even at its default
    Gridnet__ApiReply reply = GRIDNET__API_REPLY__INIT;
    reply.id = 5;
    reply.code = -1;
    reply.body_case = GRIDNET__API_REPLY__BODY_CASE_ID;
    reply.case_id = "";
    s_assert_json(&reply.base, "{\"case_id\":\"\",\"code\":-1,\"id\":5}");

    Gridnet__NodeStatus status = GRIDNET__NODE_STATUS__INIT;
    reply.code = 0;
    reply.body_case = GRIDNET__API_REPLY__BODY_STATUS;
    reply.status = &status;
    s_assert_json(&reply.base, "{\"id\":5,\"status\":{}}");

    Gridnet__LinkStatus a = GRIDNET__LINK_STATUS__INIT;
    Gridnet__LinkStatus b = GRIDNET__LINK_STATUS__INIT;
    a.peer = 610403000000ULL;
    a.role = "parent";
    a.connected = 1;
    a.sent = 10;
    b.peer = 610403001002ULL;
    b.role = "child";
    b.last_error = "timeout";
    Gridnet__LinkStatus *links[] = { &a, &b };
    status.node = 610403001000ULL;
    status.level = 2;
    status.n_links = 2;
    status.links = links;
    s_assert_json(&reply.base,
        "{\"id\":5,\"status\":{\"level\":2,\"links\":[{\"connected\":true,"
        "\"peer\":610403000000,\"role\":\"parent\",\"sent\":10},{\"last_error\":\"timeout\","
        "\"peer\":610403001002,\"role\":\"child\"}],\"node\":610403001000}}");

    Gridnet__Envelope env = GRIDNET__ENVELOPE__INIT;
    Gridnet__Ping ping = GRIDNET__PING__INIT;
    env.body_case = GRIDNET__ENVELOPE__BODY_PING;
    env.ping = &ping;
    s_assert_json(&env.base, "{\"ping\":{}}");
}

static void
test_wide_integers_and_reals(void **state)
{
    Gridnet__Hello hello = GRIDNET__HELLO__INIT;
    hello.incarnation = UINT64_MAX;
    hello.head = (uint64_t) INT64_MAX;
    s_assert_json(&hello.base,
        "{\"head\":9223372036854775807,\"incarnation\":\"18446744073709551615\"}");

    Gridnet__Case c = GRIDNET__CASE__INIT;
    c.due_accept = INT64_MIN;
    c.lat = -0.5;
    c.lon = NAN;
    s_assert_json(&c.base,
        "{\"due_accept\":-9223372036854775808,\"lat\":-0.5,\"lon\":\"NaN\"}");
}

static void
test_enum_round_trip(void **state)
{
    const ProtobufCEnumDescriptor *all[] = {
        &gridnet__severity__descriptor, &gridnet__status__descriptor,
        &gridnet__action__descriptor, &gridnet__channel__descriptor,
        &gridnet__reporter_kind__descriptor, &gridnet__reject_reason__descriptor,
    };
    for (size_t e = 0; e < sizeof all / sizeof all[0]; e++) {
        const ProtobufCEnumDescriptor *d = all[e];
        for (unsigned i = 0; i < d->n_values; i++) {
            char name[32];
            int value = -1;
            assert_ptr_equal(gn_pbjson_enum_name(d, d->values[i].value, name, sizeof name),
                             name);
            assert_int_equal(gn_pbjson_enum_parse(d, name, &value), GN_OK);
            assert_int_equal(value, d->values[i].value);
            //  Case does not matter on input
            for (char *p = name; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char) (*p - 'a' + 'A');
            value = -1;
            assert_int_equal(gn_pbjson_enum_parse(d, name, &value), GN_OK);
            assert_int_equal(value, d->values[i].value);
        }
    }
    char name[32];
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__status__descriptor, 1, name, sizeof name), "reported");
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__severity__descriptor, 2, name, sizeof name), "major");
    assert_string_equal(gn_pbjson_enum_name(&gridnet__reporter_kind__descriptor, 1, name,
                                            sizeof name), "grid_worker");
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__channel__descriptor, 7, name, sizeof name), "sanguan");
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__status__descriptor, 0, name, sizeof name), "unspecified");
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__status__descriptor, 42, name, sizeof name), "42");
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__status__descriptor, -3, name, sizeof name), "-3");
    //  Truncated, still terminated
    char small[5];
    assert_string_equal(
        gn_pbjson_enum_name(&gridnet__status__descriptor, 1, small, sizeof small), "repo");

    int value = 0;
    assert_int_equal(gn_pbjson_enum_parse(&gridnet__reporter_kind__descriptor, "Grid_Worker",
                                          &value), GN_OK);
    assert_int_equal(value, GRIDNET__REPORTER_KIND__RK_GRID_WORKER);
    assert_int_equal(gn_pbjson_enum_parse(&gridnet__action__descriptor, "return", &value),
                     GN_OK);
    assert_int_equal(value, GRIDNET__ACTION__ACT_RETURN);
}

static void
test_enum_unknown_rejected(void **state)
{
    const char *bad[] = { "", "report", "reportedx", " reported", "st_reported",
                          "ST_REPORTED", "reported ", "1", "major" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int value = 77;
        assert_int_equal(gn_pbjson_enum_parse(&gridnet__status__descriptor, bad[i], &value),
                         GN_EINVAL);
        assert_int_equal(value, 77);
    }
    int value = 77;
    assert_int_equal(gn_pbjson_enum_parse(&gridnet__status__descriptor, NULL, &value),
                     GN_EINVAL);
    assert_int_equal(value, 77);
    //  A name of another enum is not a value of this one
    assert_int_equal(gn_pbjson_enum_parse(&gridnet__severity__descriptor, "sanguan", &value),
                     GN_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_full),
        cmocka_unit_test(test_defaults_omitted),
        cmocka_unit_test(test_unknown_enum_is_number),
        cmocka_unit_test(test_op_bytes_and_nesting),
        cmocka_unit_test(test_oneof_and_repeated_messages),
        cmocka_unit_test(test_wide_integers_and_reals),
        cmocka_unit_test(test_enum_round_trip),
        cmocka_unit_test(test_enum_unknown_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
