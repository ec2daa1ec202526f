/*  ids.c -- node code arithmetic and id formats.  */
#include "ids.h"
#include "err.h"

#include <stdio.h>
#include <string.h>

#define NODE_MIN 100000000000ULL
#define NODE_MAX 999999999999ULL

int
gn_node_level(uint64_t node)
{
    if (node < NODE_MIN || node > NODE_MAX)
        return 0;
    if (node % 1000 != 0)
        return 3;
    if (node % 1000000 != 0)
        return 2;
    return 1;
}

uint64_t
gn_node_parent(uint64_t node)
{
    switch (gn_node_level(node)) {
    case 3: return node - node % 1000;
    case 2: return node - node % 1000000;
    default: return 0;
    }
}

bool
gn_node_in_subtree(uint64_t node, uint64_t root)
{
    int rl = gn_node_level(root);
    if (rl == 0 || gn_node_level(node) < rl)
        return false;
    switch (rl) {
    case 1: return node / 1000000 == root / 1000000;
    case 2: return node / 1000 == root / 1000;
    default: return node == root;
    }
}

static int
s_digits(const char *text, size_t len, uint64_t *value)
{
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return GN_EINVAL;
        v = v * 10 + (uint64_t) (text[i] - '0');
    }
    *value = v;
    return GN_OK;
}

int
gn_node_parse(const char *text, uint64_t *node)
{
    uint64_t v;
    if (!text || strlen(text) != 12 || s_digits(text, 12, &v) != 0 || gn_node_level(v) == 0)
        return GN_EINVAL;
    *node = v;
    return GN_OK;
}

int
gn_case_id_parse(const char *text, uint64_t *origin, uint64_t *n)
{
    if (!text)
        return GN_EINVAL;
    size_t len = strlen(text);
    if (len < 14 || len > 12 + 1 + 19 || text[12] != '-' || text[13] == '0')
        return GN_EINVAL;
    uint64_t o, v;
    if (s_digits(text, 12, &o) != 0 || gn_node_level(o) == 0)
        return GN_EINVAL;
    if (len - 13 > 18 || s_digits(text + 13, len - 13, &v) != 0 || v == 0)
        return GN_EINVAL;
    *origin = o;
    *n = v;
    return GN_OK;
}

void
gn_case_id_format(char out[GN_CASE_ID_MAX], uint64_t origin, uint64_t n)
{
    snprintf(out, GN_CASE_ID_MAX, "%012llu-%llu", (unsigned long long) origin,
             (unsigned long long) n);
}

void
gn_case_key(uint8_t key[16], uint64_t origin, uint64_t n)
{
    gn_put_be64(key, origin);
    gn_put_be64(key + 8, n);
}

int
gn_case_key_from_text(uint8_t key[16], const char *text)
{
    uint64_t origin, n;
    int rc = gn_case_id_parse(text, &origin, &n);
    if (rc == 0)
        gn_case_key(key, origin, n);
    return rc;
}

int
gn_grid_parse(const char *text, uint64_t *village, unsigned *serial)
{
    uint64_t v, s;
    if (!text || strlen(text) != 16 || text[12] != '-')
        return GN_EINVAL;
    if (s_digits(text, 12, &v) != 0 || gn_node_level(v) != 3)
        return GN_EINVAL;
    if (s_digits(text + 13, 3, &s) != 0 || s == 0)
        return GN_EINVAL;
    *village = v;
    *serial = (unsigned) s;
    return GN_OK;
}

void
gn_op_key(uint8_t key[16], uint64_t origin, uint64_t seq)
{
    gn_put_be64(key, origin);
    gn_put_be64(key + 8, seq);
}

void
gn_op_key_split(const uint8_t key[16], uint64_t *origin, uint64_t *seq)
{
    *origin = gn_get_be64(key);
    *seq = gn_get_be64(key + 8);
}

void
gn_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t) v;
        v >>= 8;
    }
}

uint64_t
gn_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}
