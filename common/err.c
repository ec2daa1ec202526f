/*  err.c -- the error table.  */
#include "err.h"

const char *
gn_strerror(int code)
{
    switch (code) {
#define GN_ERR_CASE(name, val, text) case val: return text;
        GN_ERRORS(GN_ERR_CASE)
#undef GN_ERR_CASE
    }
    return "unknown error";
}
