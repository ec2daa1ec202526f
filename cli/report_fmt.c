/*  report_fmt.c -- tables, CSV and SVG charts of the analytics documents.  */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "report_fmt.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define CELL_MAX 512            // bytes of one table cell

// ---------------------------------------------------------------------------
//  Reading the documents leniently

static bool
s_int(const json_t *obj, const char *key, int64_t *v)
{
    const json_t *x = json_object_get(obj, key);
    if (json_is_integer(x)) {
        *v = (int64_t) json_integer_value(x);
        return true;
    }
    if (json_is_real(x)) {
        *v = (int64_t) json_real_value(x);
        return true;
    }
    return false;
}

static bool
s_real(const json_t *obj, const char *key, double *v)
{
    const json_t *x = json_object_get(obj, key);
    if (json_is_number(x)) {
        *v = json_number_value(x);
        return true;
    }
    return false;
}

static const char *
s_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && *s ? s : "-";
}

//  An integer member as text, "-" if missing.
static const char *
s_num(const json_t *obj, const char *key, char buf[32])
{
    int64_t v;
    if (!s_int(obj, key, &v))
        return "-";
    snprintf(buf, 32, "%lld", (long long) v);
    return buf;
}

//  A rate member (0..1) as a percentage with one decimal, "-" if null.
static const char *
s_pct(const json_t *obj, const char *key, char buf[32])
{
    double v;
    if (!s_real(obj, key, &v))
        return "-";
    snprintf(buf, 32, "%.1f%%", 100.0 * v);
    return buf;
}

//  A real member with two decimals, "-" if null.
static const char *
s_dec(const json_t *obj, const char *key, char buf[32])
{
    double v;
    if (!s_real(obj, key, &v))
        return "-";
    snprintf(buf, 32, "%.2f", v);
    return buf;
}

//  Fen as yuan with two decimals.
static const char *
s_yuan(const json_t *obj, const char *key, char buf[32])
{
    int64_t fen;
    if (!s_int(obj, key, &fen))
        return "-";
    uint64_t mag = fen < 0 ? 0 - (uint64_t) fen : (uint64_t) fen;
    snprintf(buf, 32, "%s%llu.%02llu", fen < 0 ? "-" : "", (unsigned long long) (mag / 100),
             (unsigned long long) (mag % 100));
    return buf;
}

const char *
gn_fmt_duration(double ms, char buf[32])
{
    if (!(ms >= 0))
        return "-";
    long long s = (long long) (ms / 1000.0 + 0.5);
    if (ms < 10000)
        snprintf(buf, 32, "%.1fs", ms / 1000.0);
    else if (s < 60)
        snprintf(buf, 32, "%llds", s);
    else if (s < 3600)
        snprintf(buf, 32, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, 32, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, 32, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
    return buf;
}

// ---------------------------------------------------------------------------
//  Tables sized to their content (terminal columns, not bytes)

typedef struct {
    size_t cols, rows, cap;
    char **cells;               // rows * cols, owned
    const char *align;          // 'l' or 'r' per column
} table_t;

static size_t
s_width(const char *s)
{
    size_t bytes = strlen(s);
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t width = 0;
    const char *p = s;
    while (*p) {
        wchar_t wc;
        size_t n = mbrtowc(&wc, p, (size_t) (s + bytes - p), &st);
        if (n == (size_t) -1 || n == (size_t) -2)
            return bytes;
        int w = wcwidth(wc);
        width += w < 0 ? 1 : (size_t) w;
        p += n ? n : 1;
    }
    return width;
}

static table_t *
s_table_new(const char *align)
{
    table_t *t = calloc(1, sizeof *t);
    if (t) {
        t->cols = strlen(align);
        t->align = align;
    }
    return t;
}

static void
s_table_destroy(table_t **t_p)
{
    table_t *t = *t_p;
    if (!t)
        return;
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
    *t_p = NULL;
}

//  Add a row of t->cols cells (copied; control characters blanked).
static int
s_table_add(table_t *t, const char *const *row)
{
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **cells = realloc(t->cells, cap * t->cols * sizeof *cells);
        if (!cells)
            return -1;
        t->cells = cells;
        t->cap = cap;
    }
    char **dst = t->cells + t->rows * t->cols;
    for (size_t c = 0; c < t->cols; c++) {
        dst[c] = strndup(row[c] ? row[c] : "-", CELL_MAX);
        if (!dst[c]) {
            while (c > 0)
                free(dst[--c]);
            return -1;
        }
        for (unsigned char *p = (unsigned char *) dst[c]; *p; p++)
            if (*p < 0x20 || *p == 0x7f)
                *p = ' ';
    }
    t->rows++;
    return 0;
}

static void
s_table_print(FILE *out, const table_t *t)
{
    size_t *w = calloc(t->cols, sizeof *w);
    if (!w)
        return;
    for (size_t r = 0; r < t->rows; r++)
        for (size_t c = 0; c < t->cols; c++) {
            size_t x = s_width(t->cells[r * t->cols + c]);
            if (x > w[c])
                w[c] = x;
        }
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++) {
            const char *cell = t->cells[r * t->cols + c];
            int pad = (int) (w[c] - s_width(cell));
            bool last = c + 1 == t->cols;
            if (t->align[c] == 'r' && r > 0)
                fprintf(out, "%*s%s", pad, "", cell);
            else
                fprintf(out, "%s%*s", cell, last ? 0 : pad, "");
            if (!last)
                fputs("  ", out);
        }
        fputc('\n', out);
    }
    free(w);
}

// ---------------------------------------------------------------------------
//  CSV (RFC 4180)

static void
s_csv_cell(FILE *out, const char *v, bool last)
{
    if (strpbrk(v, ",\"\r\n")) {
        fputc('"', out);
        for (const char *p = v; *p; p++) {
            if (*p == '"')
                fputc('"', out);
            fputc(*p, out);
        }
        fputc('"', out);
    }
    else
        fputs(v, out);
    fputs(last ? "\r\n" : ",", out);
}

//  A numeric member as CSV text: integers as they are, reals with six
//  decimals, "" when missing or null.
static const char *
s_csv_num(const json_t *obj, const char *key, char buf[40])
{
    const json_t *x = json_object_get(obj, key);
    if (json_is_integer(x))
        snprintf(buf, 40, "%lld", (long long) json_integer_value(x));
    else if (json_is_real(x))
        snprintf(buf, 40, "%.6f", json_real_value(x));
    else
        return "";
    return buf;
}

// ---------------------------------------------------------------------------
//  The monthly report

static const char *const s_steps[] = {
    "accept", "dispatch", "handle", "verify", "archive", "evaluate", "total"
};
#define STEPS (sizeof s_steps / sizeof s_steps[0])

//  The figures every CSV row carries, in order.
static const char *const s_monthly_cols[] = {
    "reported", "rejected", "closed", "closure_rate", "closed_in_period", "due", "on_time",
    "on_time_rate", "reworked", "reworks", "rework_rate", "supervised", "supervisions",
    "escalated", "escalations", "open", "overdue_now", "overdue_all", "rated", "rating_avg",
    "satisfied", "satisfaction_rate"
};
#define MONTHLY_COLS (sizeof s_monthly_cols / sizeof s_monthly_cols[0])

static void
s_csv_monthly_row(FILE *out, const char *section, const char *key, const json_t *fig)
{
    char buf[40];
    s_csv_cell(out, section, false);
    s_csv_cell(out, key, false);
    for (size_t i = 0; i < MONTHLY_COLS; i++)
        s_csv_cell(out, s_csv_num(fig, s_monthly_cols[i], buf), false);
    const json_t *steps = json_object_get(fig, "steps");
    for (size_t i = 0; i < STEPS; i++) {
        const json_t *st = json_object_get(steps, s_steps[i]);
        s_csv_cell(out, s_csv_num(st, "n", buf), false);
        s_csv_cell(out, s_csv_num(st, "avg_ms", buf), false);
        s_csv_cell(out, s_csv_num(st, "p90_ms", buf), i + 1 == STEPS);
    }
}

static int
s_monthly_csv(FILE *out, const json_t *doc)
{
    s_csv_cell(out, "section", false);
    s_csv_cell(out, "key", false);
    for (size_t i = 0; i < MONTHLY_COLS; i++)
        s_csv_cell(out, s_monthly_cols[i], false);
    for (size_t i = 0; i < STEPS; i++) {
        char h[48];
        snprintf(h, sizeof h, "%s_n", s_steps[i]);
        s_csv_cell(out, h, false);
        snprintf(h, sizeof h, "%s_avg_ms", s_steps[i]);
        s_csv_cell(out, h, false);
        snprintf(h, sizeof h, "%s_p90_ms", s_steps[i]);
        s_csv_cell(out, h, i + 1 == STEPS);
    }
    s_csv_monthly_row(out, "total", "total", json_object_get(doc, "totals"));
    const char *by = s_str(doc, "by");
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(doc, "groups"), i, g)
        s_csv_monthly_row(out, by, s_str(g, "key"), g);
    json_array_foreach(json_object_get(doc, "months"), i, g)
        s_csv_monthly_row(out, "month", s_str(g, "month"), g);
    return ferror(out) ? -1 : 0;
}

static int
s_monthly_table(FILE *out, const json_t *doc)
{
    const json_t *tot = json_object_get(doc, "totals");
    char a[64], b[64], c[64], d[64];
    int64_t area = 0, node = 0;
    (void) s_int(doc, "area", &area);
    (void) s_int(doc, "node", &node);
    const char *from = s_str(doc, "from"), *to = s_str(doc, "to");
    fprintf(out, "Monthly report %s%s%s, months in UTC+08:00 (China Standard Time)\n", from,
            strcmp(from, to) ? " to " : "", strcmp(from, to) ? to : "");
    fprintf(out, "node %012lld, cases located in %012lld's area\n\n", (long long) node,
            (long long) area);
    fprintf(out, "reported             %s (rejected %s)\n", s_num(tot, "reported", a),
            s_num(tot, "rejected", b));
    fprintf(out, "closed               %s   closure rate 结案率 %s   (closed / (reported - "
                 "rejected))\n", s_num(tot, "closed", a), s_pct(tot, "closure_rate", b));
    fprintf(out, "closed in the period %s   (whenever reported)\n",
            s_num(tot, "closed_in_period", a));
    fprintf(out, "due in the period    %s   on time %s   on-time rate 按期结案率 %s\n",
            s_num(tot, "due", a), s_num(tot, "on_time", b), s_pct(tot, "on_time_rate", c));
    fprintf(out, "reworked             %s (failed verifications: %s)   rework rate 返工率 %s\n",
            s_num(tot, "reworked", a), s_num(tot, "reworks", b), s_pct(tot, "rework_rate", c));
    fprintf(out, "supervisions 督办    %s on %s cases\n", s_num(tot, "supervisions", a),
            s_num(tot, "supervised", b));
    fprintf(out, "escalations          %s on %s cases\n", s_num(tot, "escalations", a),
            s_num(tot, "escalated", b));
    fprintf(out, "open now             %s, overdue now %s   (all overdue in the area: %s)\n",
            s_num(tot, "open", a), s_num(tot, "overdue_now", b), s_num(tot, "overdue_all", c));
    fprintf(out, "satisfaction 满意率  %s   (%s of %s rated 4-5; average rating %s)\n",
            s_pct(tot, "satisfaction_rate", a), s_num(tot, "satisfied", b),
            s_num(tot, "rated", c), s_dec(tot, "rating_avg", d));

    //  Time per step
    fprintf(out, "\n");
    table_t *t = s_table_new("lrrr");
    int rc = t ? 0 : -1;
    static const char *const sh[] = { "STEP", "CASES", "AVERAGE", "P90" };
    if (rc == 0)
        rc = s_table_add(t, sh);
    const json_t *steps = json_object_get(tot, "steps");
    for (size_t i = 0; rc == 0 && i < STEPS; i++) {
        const json_t *st = json_object_get(steps, s_steps[i]);
        double avg = -1, p90 = -1;
        (void) s_real(st, "avg_ms", &avg);
        (void) s_real(st, "p90_ms", &p90);
        const char *row[] = { s_steps[i], s_num(st, "n", a), gn_fmt_duration(avg, b),
                              gn_fmt_duration(p90, c) };
        rc = s_table_add(t, row);
    }
    if (rc == 0)
        s_table_print(out, t);
    s_table_destroy(&t);

    //  The breakdown
    if (rc == 0) {
        char head[64];
        snprintf(head, sizeof head, "BY %s", s_str(doc, "by"));
        for (char *p = head; *p; p++)
            *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        const char *gh[] = { head, "REPORTED", "CLOSED", "CLOSURE", "DUE", "ON TIME",
                             "ON-TIME", "REWORK", "SUPERVISED", "ESCALATED", "OVERDUE NOW",
                             "SATISFIED", "NAME" };
        //  Names (of departments) only when the document has them
        t = s_table_new(strcmp(s_str(doc, "by"), "department") == 0 ? "lrrrrrrrrrrrl"
                                                                     : "lrrrrrrrrrrr");
        rc = t ? s_table_add(t, gh) : -1;
        size_t i;
        const json_t *g;
        json_array_foreach(json_object_get(doc, "groups"), i, g) {
            char n1[32], n2[32], n3[32], n4[32], p1[32], p2[32], p3[32], p4[32], n5[32],
                 n6[32], n7[32];
            const char *row[] = {
                s_str(g, "key"), s_num(g, "reported", n1), s_num(g, "closed", n2),
                s_pct(g, "closure_rate", p1), s_num(g, "due", n3), s_num(g, "on_time", n4),
                s_pct(g, "on_time_rate", p2), s_pct(g, "rework_rate", p3),
                s_num(g, "supervised", n5), s_num(g, "escalated", n6),
                s_num(g, "overdue_all", n7), s_pct(g, "satisfaction_rate", p4),
                json_is_string(json_object_get(g, "name")) ? s_str(g, "name") : ""
            };
            if (rc == 0)
                rc = s_table_add(t, row);
        }
        if (rc == 0) {
            fprintf(out, "\n");
            s_table_print(out, t);
        }
        s_table_destroy(&t);
    }

    //  Hotspots
    const json_t *hot = json_object_get(doc, "hotspots");
    static const char *const kinds[] = { "grids", "categories" };
    static const char *const heads[] = { "HOTSPOT GRID", "HOTSPOT CATEGORY" };
    for (int k = 0; rc == 0 && k < 2; k++) {
        char prev[64];
        const char *pf = s_str(hot, "previous_from"), *pt = s_str(hot, "previous_to");
        if (strcmp(pf, pt) == 0)
            snprintf(prev, sizeof prev, "%s", pf);
        else
            snprintf(prev, sizeof prev, "%s to %s", pf, pt);
        const char *hh[] = { heads[k], "REPORTED", "BEFORE", "CHANGE", "CHANGE %" };
        t = s_table_new("lrrrr");
        rc = t ? s_table_add(t, hh) : -1;
        size_t i;
        const json_t *h;
        json_array_foreach(json_object_get(hot, kinds[k]), i, h) {
            char n1[32], n2[32], n3[32], p1[32];
            int64_t ch = 0;
            (void) s_int(h, "change", &ch);
            snprintf(n3, sizeof n3, "%+lld", (long long) ch);
            double cr;
            if (s_real(h, "change_rate", &cr))
                snprintf(p1, sizeof p1, "%+.1f%%", 100.0 * cr);
            else
                snprintf(p1, sizeof p1, "-");
            const char *row[] = { s_str(h, "key"), s_num(h, "reported", n1),
                                  s_num(h, "previous", n2), n3, p1 };
            if (rc == 0)
                rc = s_table_add(t, row);
        }
        if (rc == 0) {
            fprintf(out, "\n");
            if (k == 0)
                fprintf(out, "hotspots: top by cases reported; BEFORE = the same in %s\n",
                        prev);
            s_table_print(out, t);
        }
        s_table_destroy(&t);
    }

    //  Trend
    if (rc == 0) {
        const char *th[] = { "MONTH", "REPORTED", "CLOSED", "CLOSURE", "CLOSED IN MONTH",
                             "DUE", "ON TIME", "ON-TIME", "REWORK", "SUPERVISIONS",
                             "ESCALATIONS", "SATISFIED" };
        t = s_table_new("lrrrrrrrrrrr");
        rc = t ? s_table_add(t, th) : -1;
        size_t i;
        const json_t *m;
        json_array_foreach(json_object_get(doc, "months"), i, m) {
            char n1[32], n2[32], n3[32], n4[32], n5[32], n6[32], n7[32], p1[32], p2[32],
                 p3[32], p4[32];
            const char *row[] = {
                s_str(m, "month"), s_num(m, "reported", n1), s_num(m, "closed", n2),
                s_pct(m, "closure_rate", p1), s_num(m, "closed_in_period", n3),
                s_num(m, "due", n4), s_num(m, "on_time", n5), s_pct(m, "on_time_rate", p2),
                s_pct(m, "rework_rate", p3), s_num(m, "supervisions", n6),
                s_num(m, "escalations", n7), s_pct(m, "satisfaction_rate", p4)
            };
            if (rc == 0)
                rc = s_table_add(t, row);
        }
        if (rc == 0) {
            fprintf(out, "\n");
            s_table_print(out, t);
        }
        s_table_destroy(&t);
    }
    return rc != 0 || ferror(out) ? -1 : 0;
}

int
gn_fmt_monthly(FILE *out, const json_t *doc, bool csv)
{
    return csv ? s_monthly_csv(out, doc) : s_monthly_table(out, doc);
}

// ---------------------------------------------------------------------------
//  The evaluation

static const char *const s_eval_cols[] = {
    "reported", "rejected", "closed", "closure_rate", "due", "on_time", "timeliness",
    "quality_reports", "reward_fen", "rated", "rating_avg", "score", "allowance_fen"
};
#define EVAL_COLS (sizeof s_eval_cols / sizeof s_eval_cols[0])

int
gn_fmt_eval(FILE *out, const json_t *doc, bool csv)
{
    bool allowance = json_object_get(doc, "allowance") != NULL;
    const json_t *units = json_object_get(doc, "units"), *tot = json_object_get(doc, "totals");
    size_t i;
    const json_t *u;
    if (csv) {
        char buf[40];
        s_csv_cell(out, "unit", false);
        s_csv_cell(out, "key", false);
        s_csv_cell(out, "name", false);
        for (size_t c = 0; c < EVAL_COLS; c++)
            s_csv_cell(out, s_eval_cols[c], c + 1 == EVAL_COLS);
        json_array_foreach(units, i, u) {
            s_csv_cell(out, s_str(doc, "unit"), false);
            s_csv_cell(out, s_str(u, "key"), false);
            s_csv_cell(out, json_is_string(json_object_get(u, "name")) ? s_str(u, "name") : "",
                       false);
            for (size_t c = 0; c < EVAL_COLS; c++)
                s_csv_cell(out, s_csv_num(u, s_eval_cols[c], buf), c + 1 == EVAL_COLS);
        }
        s_csv_cell(out, "total", false);
        s_csv_cell(out, "total", false);
        s_csv_cell(out, "", false);
        for (size_t c = 0; c < EVAL_COLS; c++)
            s_csv_cell(out, s_csv_num(tot, s_eval_cols[c], buf), c + 1 == EVAL_COLS);
        return ferror(out) ? -1 : 0;
    }
    int64_t area = 0;
    (void) s_int(doc, "area", &area);
    fprintf(out, "Evaluation 考核 %s (UTC+08:00), per %s, area %012lld\n", s_str(doc, "month"),
            s_str(doc, "unit"), (long long) area);
    fprintf(out, "timeliness = cases due in the month closed and never overdue / cases due; "
                 "score = timeliness (1 when none was due)\n");
    if (allowance)
        fprintf(out, "allowance = 200 yuan base + 300 yuan x score (of 500 yuan a month: "
                     "40%% base, 60%% by evaluation)\n");
    fprintf(out, "\n");
    const char *h[] = { "UNIT", "NAME", "REPORTED", "REJECTED", "CLOSED", "DUE", "ON TIME",
                        "TIMELINESS", "QUALITY", "REWARD", "RATING", "SCORE", "ALLOWANCE" };
    table_t *t = s_table_new(allowance ? "llrrrrrrrrrrr" : "llrrrrrrrrrr");
    int rc = t ? s_table_add(t, h) : -1;
    for (size_t pass = 0; pass < 2 && rc == 0; pass++) {
        size_t n = pass ? 1 : json_array_size(units);
        for (i = 0; i < n && rc == 0; i++) {
            u = pass ? tot : json_array_get(units, i);
            char n1[32], n2[32], n3[32], n4[32], n5[32], n6[32], p1[32], y1[32], y2[32],
                 d1[32], d2[32];
            double score;
            if (s_real(u, "score", &score))
                snprintf(d2, sizeof d2, "%.3f", score);
            else
                snprintf(d2, sizeof d2, "-");
            const char *row[] = {
                pass ? "total" : s_str(u, "key"),
                json_is_string(json_object_get(u, "name")) ? s_str(u, "name") : "",
                s_num(u, "reported", n1), s_num(u, "rejected", n2), s_num(u, "closed", n3),
                s_num(u, "due", n4), s_num(u, "on_time", n5), s_pct(u, "timeliness", p1),
                s_num(u, "quality_reports", n6), s_yuan(u, "reward_fen", y1),
                s_dec(u, "rating_avg", d1), pass ? "" : d2,
                pass ? "" : s_yuan(u, "allowance_fen", y2)
            };
            rc = s_table_add(t, row);
        }
    }
    if (rc == 0)
        s_table_print(out, t);
    s_table_destroy(&t);
    return rc != 0 || ferror(out) ? -1 : 0;
}

// ---------------------------------------------------------------------------
//  SVG charts (written as text; no library)

static void
s_xml(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char) *s >= 0x20 || *s == '\t')
                fputc(*s, out);
        }
    }
}

static FILE *
s_svg_open(const char *dir, const char *name, char *path, size_t plen, char *err, size_t errlen)
{
    if (snprintf(path, plen, "%s/%s", dir, name) >= (int) plen) {
        snprintf(err, errlen, "path too long: %s/%s", dir, name);
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    return f;
}

static int
s_svg_close(FILE *f, const char *path, char *err, size_t errlen)
{
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "cannot write %s", path);
        return -1;
    }
    return 0;
}

#define SVG_HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " \
    "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n" \
    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"

//  Horizontal bars, one per category: reported (light) and closed (dark).
static int
s_svg_categories(const char *dir, const json_t *bycat, const char *period, char *err,
                 size_t errlen)
{
    char path[4096];
    FILE *f = s_svg_open(dir, "categories.svg", path, sizeof path, err, errlen);
    if (!f)
        return -1;
    const json_t *groups = json_object_get(bycat, "groups");
    size_t n = json_array_size(groups), i;
    int64_t max = 1;
    const json_t *g;
    json_array_foreach(groups, i, g) {
        int64_t v;
        if (s_int(g, "reported", &v) && v > max)
            max = v;
    }
    const int label = 160, bar = 440, row = 26, top = 60;
    int width = label + bar + 150, height = top + (int) n * row + 40;
    fprintf(f, SVG_HEAD, width, height, width, height);
    fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">Cases by "
               "category, ");
    s_xml(f, period);
    fprintf(f, "</text>\n<text x=\"10\" y=\"42\" fill=\"#555\">reported (light), closed "
               "(dark), closure rate; months in UTC+08:00</text>\n");
    json_array_foreach(groups, i, g) {
        int64_t rep = 0, clo = 0;
        (void) s_int(g, "reported", &rep);
        (void) s_int(g, "closed", &clo);
        int y = top + (int) i * row;
        int wr = (int) ((double) bar * (double) rep / (double) max);
        int wc = (int) ((double) bar * (double) clo / (double) max);
        char pct[32];
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", label - 8, y + 15);
        s_xml(f, s_str(g, "key"));
        fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" "
                   "fill=\"#9ecae1\"><title>reported %lld</title></rect>\n",
                label, y + 2, wr, (long long) rep);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" fill=\"#3182bd\">"
                   "<title>closed %lld</title></rect>\n", label, y + 2, wc, (long long) clo);
        fprintf(f, "<text x=\"%d\" y=\"%d\">%lld / %lld  %s</text>\n", label + wr + 6, y + 15,
                (long long) clo, (long long) rep, s_pct(g, "closure_rate", pct));
    }
    fprintf(f, "</svg>\n");
    return s_svg_close(f, path, err, errlen);
}

//  Bars per month (reported, closed) and a line of the on-time rate.
static int
s_svg_trend(const char *dir, const json_t *doc, char *err, size_t errlen)
{
    char path[4096];
    FILE *f = s_svg_open(dir, "trend.svg", path, sizeof path, err, errlen);
    if (!f)
        return -1;
    const json_t *months = json_object_get(doc, "months");
    size_t n = json_array_size(months), i;
    int64_t max = 1;
    const json_t *m;
    json_array_foreach(months, i, m) {
        int64_t v;
        if (s_int(m, "reported", &v) && v > max)
            max = v;
    }
    const int left = 60, top = 60, plot_h = 260, slot = n > 24 ? 30 : 56;
    int width = left + (int) n * slot + 80, height = top + plot_h + 60;
    int base = top + plot_h;
    fprintf(f, SVG_HEAD, width, height, width, height);
    fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">Trend by "
               "month</text>\n<text x=\"10\" y=\"42\" fill=\"#555\">cases reported (light), "
               "of them closed (dark); on-time rate 按期结案率 (line, right axis); UTC+08:00"
               "</text>\n");
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", left, base,
            left + (int) n * slot, base);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n", left - 6, top + 4,
            (long long) max);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", left - 6, base);
    fprintf(f, "<text x=\"%d\" y=\"%d\">100%%</text>\n", left + (int) n * slot + 6, top + 4);
    fprintf(f, "<text x=\"%d\" y=\"%d\">0%%</text>\n", left + (int) n * slot + 6, base);
    char points[16384] = "";
    size_t plen = 0;
    json_array_foreach(months, i, m) {
        int64_t rep = 0, clo = 0;
        (void) s_int(m, "reported", &rep);
        (void) s_int(m, "closed", &clo);
        int x = left + (int) i * slot;
        int hr = (int) ((double) plot_h * (double) rep / (double) max);
        int hc = (int) ((double) plot_h * (double) clo / (double) max);
        int bw = slot - 10;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#9ecae1\">"
                   "<title>reported %lld</title></rect>\n", x + 5, base - hr, bw, hr,
                (long long) rep);
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#3182bd\">"
                   "<title>closed %lld</title></rect>\n", x + 5, base - hc, bw, hc,
                (long long) clo);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" transform=\"rotate(-45 %d %d)\">",
                x + slot / 2, base + 16, x + slot / 2, base + 16);
        s_xml(f, s_str(m, "month"));
        fprintf(f, "</text>\n");
        double r;
        if (s_real(m, "on_time_rate", &r)) {
            int cy = base - (int) ((double) plot_h * r);
            fprintf(f, "<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"#e6550d\"><title>"
                       "on time %.1f%%</title></circle>\n", x + slot / 2, cy, 100.0 * r);
            if (plen < sizeof points - 32)
                plen += (size_t) snprintf(points + plen, sizeof points - plen, "%s%d,%d",
                                          plen ? " " : "", x + slot / 2, cy);
        }
    }
    if (plen)
        fprintf(f, "<polyline points=\"%s\" fill=\"none\" stroke=\"#e6550d\" "
                   "stroke-width=\"2\"/>\n", points);
    fprintf(f, "</svg>\n");
    return s_svg_close(f, path, err, errlen);
}

int
gn_fmt_monthly_svg(const char *dir, const json_t *doc, const json_t *bycat, char *err,
                   size_t errlen)
{
    char period[64];
    const char *from = s_str(doc, "from"), *to = s_str(doc, "to");
    if (strcmp(from, to) == 0)
        snprintf(period, sizeof period, "%s", from);
    else
        snprintf(period, sizeof period, "%s to %s", from, to);
    if (s_svg_categories(dir, bycat, period, err, errlen) != 0)
        return -1;
    return s_svg_trend(dir, doc, err, errlen);
}
