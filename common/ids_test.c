/*  ids_test.c -- node levels, parents, subtrees, and the text and key forms
    of node codes, case ids, grid codes and op ids.  */
#include "ids.h"
#include "err.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#define DISTRICT  610403000000ULL
#define TOWN      610403001000ULL
#define VILLAGE   610403001001ULL
#define TOWN2     610403002000ULL
#define VILLAGE2  610403002017ULL
#define DISTRICT2 610404000000ULL

static void
test_levels(void **state)
{
    assert_int_equal(gn_node_level(DISTRICT), 1);
    assert_int_equal(gn_node_level(TOWN), 2);
    assert_int_equal(gn_node_level(VILLAGE), 3);
    assert_int_equal(gn_node_level(VILLAGE2), 3);
    assert_int_equal(gn_node_level(100000000000ULL), 1);   //  smallest 12-digit code
    assert_int_equal(gn_node_level(999999999999ULL), 3);   //  largest

    assert_int_equal(gn_node_level(0), 0);
    assert_int_equal(gn_node_level(99999999999ULL), 0);    //  11 digits
    assert_int_equal(gn_node_level(1000000000000ULL), 0);  //  13 digits
    assert_int_equal(gn_node_level(UINT64_MAX), 0);
}

static void
test_parents(void **state)
{
    assert_true(gn_node_parent(VILLAGE) == TOWN);
    assert_true(gn_node_parent(VILLAGE2) == TOWN2);
    assert_true(gn_node_parent(TOWN) == DISTRICT);
    assert_true(gn_node_parent(TOWN2) == DISTRICT);
    assert_true(gn_node_parent(DISTRICT) == 0);
    assert_true(gn_node_parent(0) == 0);
    assert_true(gn_node_parent(12345) == 0);
    //  Two steps up from a village is its district.
    assert_true(gn_node_parent(gn_node_parent(VILLAGE)) == DISTRICT);
}

static void
test_subtree(void **state)
{
    //  A node is in its own subtree.
    assert_true(gn_node_in_subtree(DISTRICT, DISTRICT));
    assert_true(gn_node_in_subtree(TOWN, TOWN));
    assert_true(gn_node_in_subtree(VILLAGE, VILLAGE));

    assert_true(gn_node_in_subtree(TOWN, DISTRICT));
    assert_true(gn_node_in_subtree(VILLAGE, DISTRICT));
    assert_true(gn_node_in_subtree(VILLAGE2, DISTRICT));
    assert_true(gn_node_in_subtree(VILLAGE, TOWN));

    //  Not up, not sideways, not across districts.
    assert_false(gn_node_in_subtree(DISTRICT, TOWN));
    assert_false(gn_node_in_subtree(TOWN, VILLAGE));
    assert_false(gn_node_in_subtree(VILLAGE2, TOWN));
    assert_false(gn_node_in_subtree(TOWN2, TOWN));
    assert_false(gn_node_in_subtree(VILLAGE, VILLAGE2));
    assert_false(gn_node_in_subtree(VILLAGE, DISTRICT2));
    assert_false(gn_node_in_subtree(610404001001ULL, TOWN));

    //  Invalid codes are in nothing and hold nothing.
    assert_false(gn_node_in_subtree(0, DISTRICT));
    assert_false(gn_node_in_subtree(12345, DISTRICT));
    assert_false(gn_node_in_subtree(VILLAGE, 0));
    assert_false(gn_node_in_subtree(0, 0));
}

static void
test_node_parse(void **state)
{
    static const uint64_t nodes [] = { DISTRICT, TOWN, VILLAGE, VILLAGE2, 100000000000ULL,
                                       999999999999ULL };
    for (size_t i = 0; i < sizeof nodes / sizeof nodes [0]; i++) {
        char text [GN_NODE_ID_MAX];
        snprintf(text, sizeof text, "%012llu", (unsigned long long) nodes [i]);
        uint64_t back = 0;
        assert_int_equal(gn_node_parse(text, &back), GN_OK);
        assert_true(back == nodes [i]);
    }

    static const char *bad [] = {
        "", "61040300100", "6104030010011", "61040300100x", " 10403001001",
        "+10403001001", "-10403001001", "000000000000", "061040300100", "610403001001 ",
        "６10403001001"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        uint64_t node = 42;
        if (gn_node_parse(bad [i], &node) != GN_EINVAL)
            fail_msg("'%s' parsed", bad [i]);
        assert_true(node == 42);                    //  untouched on error
    }
    uint64_t node = 42;
    assert_int_equal(gn_node_parse(NULL, &node), GN_EINVAL);
}

static void
test_case_ids(void **state)
{
    static const struct {
        uint64_t origin;            //  node that took the report
        uint64_t n;                 //  its case counter
    } ids [] = {
        { VILLAGE, 1 }, { TOWN, 42 }, { DISTRICT, 1000000 },
        { VILLAGE2, 999999999999999999ULL },        //  18 digits: the most
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids [0]; i++) {
        char text [GN_CASE_ID_MAX];
        gn_case_id_format(text, ids [i].origin, ids [i].n);
        uint64_t origin = 0, n = 0;
        assert_int_equal(gn_case_id_parse(text, &origin, &n), GN_OK);
        assert_true(origin == ids [i].origin);
        assert_true(n == ids [i].n);

        uint8_t key [16], key2 [16];
        gn_case_key(key, ids [i].origin, ids [i].n);
        assert_int_equal(gn_case_key_from_text(key2, text), GN_OK);
        assert_memory_equal(key, key2, 16);
    }
    char text [GN_CASE_ID_MAX];
    gn_case_id_format(text, VILLAGE, 7);
    assert_string_equal(text, "610403001001-7");

    static const char *bad [] = {
        "", "610403001001", "610403001001-", "610403001001-0", "610403001001-007",
        "610403001001-1000000000000000000",         //  19 digits
        "610403001001-99999999999999999999",
        "610403001001_1", "610403001001-1a", "610403001001--1", "610403001001- 1",
        "61040300100-1", "6104030010011-1", "000000000000-1", "x10403001001-1",
        "610403001001-1 ", " 610403001001-1"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        uint64_t origin = 42, n = 42;
        if (gn_case_id_parse(bad [i], &origin, &n) != GN_EINVAL)
            fail_msg("'%s' parsed", bad [i]);
        assert_true(origin == 42 && n == 42);
        uint8_t key [16];
        assert_int_equal(gn_case_key_from_text(key, bad [i]), GN_EINVAL);
    }
    uint64_t origin, n;
    assert_int_equal(gn_case_id_parse(NULL, &origin, &n), GN_EINVAL);
}

//  Keys sort as their numbers do: origin first, then n.
static void
test_keys(void **state)
{
    uint8_t a [16], b [16];
    gn_case_key(a, VILLAGE, 2);
    gn_case_key(b, VILLAGE, 10);
    assert_true(memcmp(a, b, 16) < 0);
    gn_case_key(b, VILLAGE2, 1);
    assert_true(memcmp(a, b, 16) < 0);
    gn_case_key(b, TOWN, 999);
    assert_true(memcmp(a, b, 16) > 0);

    static const uint8_t expect [16] = {
        0x00, 0x00, 0x00, 0x8E, 0x1E, 0xDA, 0xA2, 0xA9,     //  610403001001
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
    };
    gn_op_key(a, VILLAGE, 0x0102030405060708ULL);
    assert_memory_equal(a, expect, 16);
    uint64_t origin = 0, seq = 0;
    gn_op_key_split(a, &origin, &seq);
    assert_true(origin == VILLAGE);
    assert_true(seq == 0x0102030405060708ULL);

    uint8_t be [8];
    static const uint64_t values [] = { 0, 1, 255, 256, UINT64_MAX, 0x8000000000000000ULL };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        gn_put_be64(be, values [i]);
        assert_true(gn_get_be64(be) == values [i]);
    }
    gn_put_be64(be, 0x0102030405060708ULL);
    assert_int_equal(be [0], 0x01);
    assert_int_equal(be [7], 0x08);
}

static void
test_grids(void **state)
{
    uint64_t village = 0;
    unsigned serial = 0;
    assert_int_equal(gn_grid_parse("610403001001-001", &village, &serial), GN_OK);
    assert_true(village == VILLAGE);
    assert_int_equal(serial, 1);
    assert_int_equal(gn_grid_parse("610403002017-999", &village, &serial), GN_OK);
    assert_true(village == VILLAGE2);
    assert_int_equal(serial, 999);

    static const char *bad [] = {
        "", "610403001001", "610403001001-", "610403001001-000", "610403001001-01",
        "610403001001-0001", "610403001000-001",    //  a town, not a village
        "610403000000-001", "610403001001+001", "610403001001-00a", "61040300100a-001",
        "000000000000-001", "610403001001-001 "
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        village = 42;
        serial = 42;
        if (gn_grid_parse(bad [i], &village, &serial) != GN_EINVAL)
            fail_msg("'%s' parsed", bad [i]);
        assert_true(village == 42 && serial == 42);
    }
    assert_int_equal(gn_grid_parse(NULL, &village, &serial), GN_EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_parents),
        cmocka_unit_test(test_subtree),
        cmocka_unit_test(test_node_parse),
        cmocka_unit_test(test_case_ids),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_grids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
