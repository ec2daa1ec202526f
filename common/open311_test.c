/*  open311_test.c -- Open311 mapping: parameters, time, and the spec's
    examples (wiki.open311.org/GeoReport_v2) rendered in both formats.

    The XML comparisons parse both sides with libxml2 and compare their
    canonical forms (C14N), so <a/> equals <a></a> and indentation does not
    count. Where the spec's JSON example is not JSON (service_code 001 has a
    leading zero) the value is a string here, as the spec's schema says.  */
#include "open311.h"
#include "err.h"

#include <libxml/c14n.h>
#include <libxml/parser.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define V1 610403001001ULL
#define D  610403000000ULL

//  ---- helpers ----

static char *
s_c14n(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int) strlen(xml), "x.xml", NULL, XML_PARSE_NOBLANKS);
    assert_non_null(doc);
    xmlChar *out = NULL;
    assert_true(xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out) >= 0);
    xmlFreeDoc(doc);
    char *copy = strdup((const char *) out);
    xmlFree(out);
    return copy;
}

//  doc (taken) rendered as XML under root equals the spec's XML.
static void
s_xml_is(json_t *doc, const char *root, const char *spec)
{
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(gn_open311_render(doc, root, GN_O311_XML, &body, &len), GN_OK);
    assert_int_equal(strlen(body), len);
    assert_true(strncmp(body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) == 0);
    char *ours = s_c14n(body), *theirs = s_c14n(spec);
    if (strcmp(ours, theirs) != 0)
        fail_msg("XML differs:\nours:   %s\nspec's: %s", ours, theirs);
    free(ours);
    free(theirs);
    free(body);
    json_decref(doc);
}

static json_t *
s_json(const char *text)
{
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);
    if (!doc)
        fail_msg("bad JSON in the test: %s", err.text);
    return doc;
}

static void
s_add(gn_params_t *p, const char *key, const char *value)
{
    assert_int_equal(gn_params_add(p, key, value, strlen(value)), GN_OK);
}

//  ---- the spec's examples ----

static void
test_spec_errors(void **state)
{
    s_xml_is(gn_open311_error(403, "Invalid api_key received -- can't proceed with create_request."),
             "errors",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>403</code>"
             "<description>Invalid api_key received -- can't proceed with create_request."
             "</description></error></errors>");
    json_t *e = gn_open311_error(404, "service_code not found");
    char *body = NULL;
    size_t len;
    assert_int_equal(gn_open311_render(e, "errors", GN_O311_JSON, &body, &len), GN_OK);
    json_t *back = s_json(body);
    json_t *want = s_json("[{\"code\": 404, \"description\": \"service_code not found\"}]");
    assert_true(json_equal(back, want));
    json_decref(want);
    json_decref(back);
    json_decref(e);
    free(body);
}

//  The spec's service definition example, JSON to XML.
static void
test_spec_definition(void **state)
{
    s_xml_is(s_json("{\"service_code\":\"DMV66\",\"attributes\":[{\"variable\":true,"
                    "\"code\":\"WHISHETN\",\"datatype\":\"singlevaluelist\",\"required\":true,"
                    "\"datatype_description\":null,\"order\":1,"
                    "\"description\":\"What is the ticket/tag/DL number?\",\"values\":["
                    "{\"key\":123,\"name\":\"Ford\"},{\"key\":124,\"name\":\"Chrysler\"}]}]}"),
             "service_definition",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition>\n"
             "  <service_code>DMV66</service_code>\n  <attributes>\n    <attribute>\n"
             "      <variable>true</variable>\n      <code>WHISHETN</code>\n"
             "      <datatype>singlevaluelist</datatype>\n      <required>true</required>\n"
             "      <datatype_description></datatype_description>\n      <order>1</order>\n"
             "      <description>What is the ticket/tag/DL number?</description>\n"
             "      <values>\n        <value>\n          <key>123</key>\n"
             "          <name>Ford</name>\n        </value>\n        <value>\n"
             "          <key>124</key>\n          <name>Chrysler</name>\n        </value>\n"
             "      </values>\n    </attribute>\n  </attributes>\n</service_definition>\n");
}

//  The spec's service list example (its first service), and its requests example.
static void
test_spec_services_requests(void **state)
{
    s_xml_is(s_json("[{\"service_code\":\"001\",\"service_name\":\"Cans left out 24x7\","
                    "\"description\":\"Garbage or recycling cans that have been left out for more "
                    "than 24 hours after collection. Violators will be cited.\",\"metadata\":true,"
                    "\"type\":\"realtime\",\"keywords\":\"lorem, ipsum, dolor\","
                    "\"group\":\"sanitation\"}]"),
             "services",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>"
             "<service_code>001</service_code><service_name>Cans left out 24x7</service_name>"
             "<description>Garbage or recycling cans that have been left out for more than 24 "
             "hours after collection. Violators will be cited.</description>"
             "<metadata>true</metadata><type>realtime</type>"
             "<keywords>lorem, ipsum, dolor</keywords><group>sanitation</group>"
             "</service></services>");
    s_xml_is(s_json("[{\"service_request_id\":638344,\"status\":\"closed\","
                    "\"status_notes\":\"Duplicate request.\",\"service_name\":\"Sidewalk and Curb "
                    "Issues\",\"service_code\":\"006\",\"description\":null,"
                    "\"agency_responsible\":null,\"service_notice\":null,"
                    "\"requested_datetime\":\"2010-04-14T06:37:38-08:00\","
                    "\"updated_datetime\":\"2010-04-14T06:37:38-08:00\","
                    "\"expected_datetime\":\"2010-04-15T06:37:38-08:00\","
                    "\"address\":\"8TH AVE and JUDAH ST\",\"address_id\":545483,"
                    "\"zipcode\":94122,\"lat\":37.762221815,\"long\":-122.4651145,"
                    "\"media_url\":\"http://city.gov.s3.amazonaws.com/requests/media/638344.jpg\"}]"),
             "service_requests",
             "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request>"
             "<service_request_id>638344</service_request_id><status>closed</status>"
             "<status_notes>Duplicate request.</status_notes>"
             "<service_name>Sidewalk and Curb Issues</service_name>"
             "<service_code>006</service_code><description></description>"
             "<agency_responsible></agency_responsible><service_notice></service_notice>"
             "<requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>"
             "<updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime>"
             "<expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>"
             "<address>8TH AVE and JUDAH ST</address><address_id>545483</address_id>"
             "<zipcode>94122</zipcode><lat>37.762221815</lat><long>-122.4651145</long>"
             "<media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>"
             "</request></service_requests>");
}

//  Our POST reply has the spec's fields, and <account_id/> when there is none.
static void
test_created(void **state)
{
    json_t *doc = gn_open311_created("610403001001-7", NULL, NULL);
    assert_non_null(doc);
    json_t *r = json_array_get(doc, 0);
    const char *keys[] = { "service_request_id", "service_notice", "account_id" };
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(r, key, value)
        assert_string_equal(key, keys[i++]);
    assert_int_equal(i, 3);
    assert_true(json_is_null(json_object_get(r, "account_id")));
    char *body = NULL;
    size_t len;
    assert_int_equal(gn_open311_render(doc, "service_requests", GN_O311_XML, &body, &len), GN_OK);
    assert_non_null(strstr(body, "<service_request_id>610403001001-7</service_request_id>"));
    assert_non_null(strstr(body, "<account_id/>"));
    free(body);
    json_decref(doc);
}

//  Text XML cannot carry is replaced; markup is escaped.
static void
test_xml_escaping(void **state)
{
    json_t *doc = s_json("{\"description\": \"a<b>&\\u0001c\\\"d\\u00e9\"}");
    char *body = NULL;
    size_t len;
    assert_int_equal(gn_open311_render(doc, "x", GN_O311_XML, &body, &len), GN_OK);
    assert_non_null(strstr(body, "<description>a&lt;b&gt;&amp;\xEF\xBF\xBD" "c&quot;d\xC3\xA9</description>"));
    xmlDocPtr parsed = xmlReadMemory(body, (int) len, "x.xml", NULL, 0);
    assert_non_null(parsed);
    xmlFreeDoc(parsed);
    free(body);
    json_decref(doc);
}

//  ---- time ----

static void
test_time(void **state)
{
    int64_t a, b;
    assert_int_equal(gn_open311_time_parse("1994-11-05T08:15:30-05:00", &a), GN_OK);
    assert_int_equal(gn_open311_time_parse("1994-11-05T13:15:30Z", &b), GN_OK);
    assert_true(a == b && a == 784041330000LL);
    assert_int_equal(gn_open311_time_parse("1994-11-05T21:15:30+08:00", &b), GN_OK);
    assert_true(a == b);
    assert_int_equal(gn_open311_time_parse("1994-11-05T21:15:30 08:00", &b), GN_OK);   // '+' as decoded
    assert_true(a == b);
    assert_int_equal(gn_open311_time_parse("1994-11-05T13:15:30.25Z", &b), GN_OK);
    assert_true(b == a + 250);
    assert_int_equal(gn_open311_time_parse("1994-11-05T13:15Z", &b), GN_OK);
    assert_true(b == a - 30000);
    assert_int_equal(gn_open311_time_parse("2024-02-29T00:00:00Z", &b), GN_OK);
    const char *bad[] = { "", "1994-11-05", "1994-11-05T13:15:30", "1994-11-05T13:15:30+8:00",
                          "2023-02-29T00:00:00Z", "1994-13-05T00:00:00Z", "1994-11-05T24:00:00Z",
                          "1994-11-05T13:15:30Zjunk", "1994-11-05 13:15:30Z", "1969-12-31T00:00:00Z",
                          "1994-11-05T13:15:30.Z", "１９９４-11-05T13:15:30Z" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (gn_open311_time_parse(bad[i], &b) != GN_EINVAL)
            fail_msg("'%s' parsed", bad[i]);
    char text[32];
    gn_open311_time_format(784041330000LL, text);
    assert_string_equal(text, "1994-11-05T21:15:30+08:00");
    assert_string_equal(gn_open311_status(GRIDNET__STATUS__ST_HANDLED), "open");
    assert_string_equal(gn_open311_status(GRIDNET__STATUS__ST_REJECTED), "closed");
    assert_string_equal(gn_open311_status(GRIDNET__STATUS__ST_VERIFIED), "closed");
}

//  ---- parameters ----

static void
test_params_check(void **state)
{
    char err[256];
    gn_params_t p = { 0 };
    s_add(&p, "description", "第一行\r\n第二行\tend");
    assert_int_equal(gn_params_check(&p, err, sizeof err), GN_OK);
    assert_int_equal(gn_params_add(&p, "title", "a\0b", 3), GN_OK);
    assert_int_equal(gn_params_check(&p, err, sizeof err), 400);
    assert_non_null(strstr(err, "title"));
    gn_params_free(&p);
    const char *bad[] = { "\xff", "\xc0\xaf", "\xed\xa0\x80", "a\x07", "\x7f", "\xe4\xb8" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_add(&p, "x", bad[i]);
        assert_int_equal(gn_params_check(&p, err, sizeof err), 400);
        gn_params_free(&p);
    }
    s_add(&p, "a\n", "x");
    assert_int_equal(gn_params_check(&p, err, sizeof err), 400);
    gn_params_free(&p);
    //  Values in pieces; empty counts as absent but is counted.
    s_add(&p, "k", "ab");
    assert_int_equal(gn_params_append(&p, "cd", 2), GN_OK);
    s_add(&p, "k", "");
    size_t n;
    assert_string_equal(gn_params_get(&p, "k", &n), "abcd");
    assert_int_equal(n, 2);
    s_add(&p, "e", "");
    assert_null(gn_params_get(&p, "e", &n));
    assert_int_equal(n, 1);
    gn_params_free(&p);
}

static json_t *
s_categories(void)
{
    return s_json("{\"category/矛盾纠纷\": {\"department\": \"mediation\"},"
                  " \"category/环境卫生\": {\"department\": \"environment\"}}");
}

//  report STATUS ERR_SUBSTRING NODE key value ...: gn_open311_report's answer.
static void
s_report(int want, const char *why, uint64_t node, ...)
{
    gn_params_t p = { 0 };
    va_list ap;
    va_start(ap, node);
    for (const char *k; (k = va_arg(ap, const char *));)
        s_add(&p, k, va_arg(ap, const char *));
    va_end(ap);
    json_t *cats = s_categories();
    gn_open311_report_t rep;
    char err[256] = "";
    int rc = gn_open311_report(&p, cats, node, GRIDNET__CHANNEL__CH_WECHAT, &rep, err, sizeof err);
    if (rc != want || (why && !strstr(err, why)))
        fail_msg("expected %d '%s', got %d '%s'", want, why ? why : "", rc, err);
    json_decref(cats);
    gn_params_free(&p);
}

static void
test_report(void **state)
{
    gn_params_t p = { 0 };
    s_add(&p, "service_code", "矛盾纠纷");
    s_add(&p, "lat", "34.2723");
    s_add(&p, "long", "108.0761");
    s_add(&p, "description", "楼道堆放杂物，邻里因此争执不下，已经持续了好几天，请社区尽快处理。\n附照片");
    s_add(&p, "first_name", "敏");
    s_add(&p, "last_name", "王");
    s_add(&p, "phone", "13800000000");
    s_add(&p, "email", "a@b.org");
    s_add(&p, "media_url", "https://img.example.org/1.jpg");
    s_add(&p, "attribute[severity]", "major");
    json_t *cats = s_categories();
    gn_open311_report_t rep;
    char err[256];
    assert_int_equal(gn_open311_report(&p, cats, V1, GRIDNET__CHANNEL__CH_APP, &rep, err,
                                       sizeof err), GN_OK);
    assert_string_equal(rep.req.category, "矛盾纠纷");
    assert_string_equal(rep.req.grid, "610403001001-001");
    assert_true(rep.req.lat == 34.2723 && rep.req.lon == 108.0761);
    assert_int_equal(rep.req.severity, GRIDNET__SEVERITY__SEV_MAJOR);
    assert_int_equal(rep.req.channel, GRIDNET__CHANNEL__CH_APP);
    assert_int_equal(rep.reporter.kind, GRIDNET__REPORTER_KIND__RK_CITIZEN);
    assert_string_equal(rep.reporter.name, "王敏");
    assert_string_equal(rep.reporter.id, "a@b.org");
    assert_string_equal(rep.reporter.phone, "13800000000");
    assert_string_equal(rep.req.evidence, "https://img.example.org/1.jpg");
    //  The title: the first line, 40 characters at most, cut on a character.
    assert_true(gn_utf8_valid(rep.req.title, strlen(rep.req.title)));
    assert_true(strlen(rep.req.title) <= 40 * 3 && strchr(rep.req.title, '\n') == NULL);
    assert_true(strncmp(rep.req.title, "楼道堆放杂物", strlen("楼道堆放杂物")) == 0);
    json_decref(cats);
    gn_params_free(&p);

    s_report(0, NULL, V1, "service_code", "环境卫生", "address_string", "村口", NULL);
    s_report(0, NULL, D, "service_code", "环境卫生", "address_id", "610403001003-002", NULL);
    s_report(400, "address_id", D, "service_code", "环境卫生", "lat", "1", "long", "2", NULL);
    s_report(400, "not a grid of", V1, "service_code", "环境卫生", "address_id", "610403001003-002",
             NULL);
    s_report(400, "grid code", V1, "service_code", "环境卫生", "address_id", "610403001001", NULL);
    s_report(400, "service_code was not provided", V1, "lat", "1", "long", "2", NULL);
    s_report(404, "service_code not found", V1, "service_code", "potholes", "lat", "1", "long", "2",
             NULL);
    s_report(400, "location", V1, "service_code", "环境卫生", NULL);
    s_report(400, "together", V1, "service_code", "环境卫生", "long", "2", NULL);
    const char *lats[] = { "abc", "91", "-90.5", "1e999", "nan", "inf", "0x10", "1,5", " 1", "1 ",
                           "--1", "" };
    for (size_t i = 0; i < sizeof lats / sizeof lats[0]; i++)
        s_report(400, i == 11 ? "together" : "lat must be", V1, "service_code", "环境卫生",
                 "lat", lats[i], "long", "2", NULL);
    s_report(0, NULL, V1, "service_code", "环境卫生", "lat", "-90", "long", "180", NULL);
    s_report(0, NULL, V1, "service_code", "环境卫生", "lat", "3.4e1", "long", "-1.08E2", NULL);
    s_report(400, "long must be", V1, "service_code", "环境卫生", "lat", "3", "long", "181", NULL);
    s_report(400, "once", V1, "service_code", "环境卫生", "lat", "3", "long", "1", "lat", "4", NULL);
    s_report(400, "not an attribute", V1, "service_code", "环境卫生", "lat", "3", "long", "1",
             "attribute[x]", "1", NULL);
    s_report(400, "severity", V1, "service_code", "环境卫生", "lat", "3", "long", "1",
             "attribute[severity]", "unspecified", NULL);
    s_report(400, "one line", V1, "service_code", "环境卫生", "lat", "3", "long", "1",
             "attribute[title]", "a\nb", NULL);
    s_report(400, "media_url", V1, "service_code", "环境卫生", "lat", "3", "long", "1",
             "media_url", "ftp://x/y", NULL);
}

static void
test_query(void **state)
{
    int64_t now = 1780000000000LL;
    char err[256];
    bool none;
    Gridnet__CaseQueryReq q;
    gn_params_t p = { 0 };
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), GN_OK);
    assert_false(none);
    assert_true(q.created_to == now && q.created_from == now - 90 * GN_OPEN311_DAY_MS);
    assert_int_equal(q.n_statuses, 0);
    assert_int_equal(q.limit, GN_QUERY_MAX);
    gn_open311_query_free(&q);

    s_add(&p, "status", "open");
    s_add(&p, "service_code", "矛盾纠纷, 环境卫生,,");
    s_add(&p, "service_code", "禁毒");
    s_add(&p, "start_date", "2026-01-01T00:00:00+08:00");
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), GN_OK);
    assert_int_equal(q.n_statuses, 4);
    assert_int_equal(q.statuses[0], GRIDNET__STATUS__ST_REPORTED);
    assert_int_equal(q.statuses[3], GRIDNET__STATUS__ST_HANDLED);
    assert_int_equal(q.n_categories, 3);
    assert_string_equal(q.categories[1], "环境卫生");
    assert_string_equal(q.categories[2], "禁毒");
    assert_true(q.created_to - q.created_from == 90 * GN_OPEN311_DAY_MS);
    gn_open311_query_free(&q);
    gn_params_free(&p);

    s_add(&p, "status", "open,closed");
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), GN_OK);
    assert_int_equal(q.n_statuses, 0);
    gn_open311_query_free(&q);
    gn_params_free(&p);

    //  Ids override the rest; impossible ones are left out.
    s_add(&p, "service_request_id", "610403001001-1,garbage, 610403000000-2");
    s_add(&p, "status", "bogus");
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), GN_OK);
    assert_false(none);
    assert_int_equal(q.n_ids, 2);
    assert_string_equal(q.ids[1], "610403000000-2");
    gn_open311_query_free(&q);
    gn_params_free(&p);
    s_add(&p, "service_request_id", "garbage");
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), GN_OK);
    assert_true(none);
    gn_open311_query_free(&q);
    gn_params_free(&p);

    const char *bad[][2] = {
        { "status", "pending" }, { "start_date", "yesterday" },
        { "end_date", "2026-01-01T00:00:00" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_add(&p, bad[i][0], bad[i][1]);
        assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), 400);
        gn_open311_query_free(&q);
        gn_params_free(&p);
    }
    s_add(&p, "start_date", "2026-01-01T00:00:00Z");
    s_add(&p, "end_date", "2026-04-02T00:00:00Z");
    assert_int_equal(gn_open311_query(&p, now, &q, &none, err, sizeof err), 400);
    assert_non_null(strstr(err, "90 days"));
    gn_open311_query_free(&q);
    gn_params_free(&p);
}

//  A case as a request: status mapping, notes and extensions.
static void
test_request(void **state)
{
    json_t *ref = s_json("{\"category/矛盾纠纷\": {\"department\": \"mediation\"},"
                         " \"department/mediation\": {\"name\": \"区司法局(人民调解)\"}}");
    gn_case_t c = GRIDNET__CASE__INIT;
    c.id = "610403001001-9";
    c.origin = V1;
    c.owner = V1;
    c.category = "矛盾纠纷";
    c.title = "标题";
    c.grid = "610403001001-001";
    c.status = GRIDNET__STATUS__ST_VERIFIED;
    c.feedback = "已调解";
    c.created = 784041330000LL;
    c.updated = 784041340000LL;
    c.closed = 784041335000LL;
    Gridnet__Op op = GRIDNET__OP__INIT;
    op.action = GRIDNET__ACTION__ACT_REPORT;
    op.origin = V1;
    op.time = c.created;
    Gridnet__Op *ops[1] = { &op };
    Gridnet__CaseView view = GRIDNET__CASE_VIEW__INIT;
    view.state = &c;
    view.n_history = 1;
    view.history = ops;
    json_t *r = gn_open311_request(&c, ref, &view, true);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "status")), "closed");
    assert_string_equal(json_string_value(json_object_get(r, "status_notes")), "已调解");
    assert_string_equal(json_string_value(json_object_get(r, "description")), "标题");
    assert_string_equal(json_string_value(json_object_get(r, "agency_responsible")),
                        "区司法局(人民调解)");
    assert_string_equal(json_string_value(json_object_get(r, "updated_datetime")),
                        "1994-11-05T21:15:35+08:00");
    assert_true(json_is_null(json_object_get(r, "lat")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(r,
                        "extended_attributes"), "status")), "verified");
    json_t *note = json_array_get(json_object_get(r, "notes"), 0);
    assert_string_equal(json_string_value(json_object_get(note, "type")), "report");
    json_decref(r);
    r = gn_open311_request(&c, ref, NULL, false);
    assert_null(json_object_get(r, "notes"));
    assert_null(json_object_get(r, "extended_attributes"));
    assert_int_equal(json_object_size(r), 17);
    json_decref(r);
    json_decref(ref);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_definition),
        cmocka_unit_test(test_spec_services_requests),
        cmocka_unit_test(test_created),
        cmocka_unit_test(test_xml_escaping),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_params_check),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_request),
    };
    xmlInitParser();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
