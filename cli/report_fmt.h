/*  report_fmt.h -- gridctl's output of the analytics documents (issue 7):
    the monthly report and the evaluation as a table for people, as CSV for
    spreadsheets, and the monthly report as SVG charts.

    The documents are the JSON the node returns (common/report.h describes
    the figures); they are read leniently: a missing member prints as "-".
    Nothing here talks to a node.  */
#ifndef GN_REPORT_FMT_H
#define GN_REPORT_FMT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

//  The monthly report as tables (csv false) or as CSV (csv true: one header
//  row, then the totals, the groups and the months, one row each) on out.
//  0, or -1 if out could not be written or memory ran out.
int gn_fmt_monthly(FILE *out, const json_t *doc, bool csv);

//  The evaluation, likewise: one row per unit, then the totals.
int gn_fmt_eval(FILE *out, const json_t *doc, bool csv);

//  Two charts into the existing directory dir: categories.svg (bars of the
//  cases reported and closed per category, from bycat, a monthly document
//  by category) and trend.svg (reported and closed per month, and the
//  on-time rate, from doc's months). 0, or -1 with a one-line reason in err.
int gn_fmt_monthly_svg(const char *dir, const json_t *doc, const json_t *bycat,
                       char *err, size_t errlen);

//  A duration in ms for people: "45s", "12m05s", "3h20m", "2d04h"; "-" for
//  a missing value. Returns buf.
const char *gn_fmt_duration(double ms, char buf[32]);

#endif
