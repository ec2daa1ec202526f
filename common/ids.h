/*  ids.h -- node codes, case ids, grid codes and op ids.

    A node id is its 12-digit national statistical division code, and the code
    itself says the level and the parent:
        610403000000  district (level 1)  parent: none inside gridnet
        610403001000  town     (level 2)  parent: 610403000000
        610403001001  village  (level 3)  parent: 610403001000
    A case id is "<origin node>-<n>", n >= 1 the origin's case counter.
    A grid code is "<village code>-<3 digits>", serial 001..999.  */
#ifndef GN_IDS_H
#define GN_IDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GN_CASE_ID_MAX 32   // buffer size for a formatted case id
#define GN_NODE_ID_MAX 16   // buffer size for a formatted node id

//  Level 1..3 of a valid node code, 0 if the code is not one.
int gn_node_level(uint64_t node);
//  The parent's code, 0 for a district or an invalid code.
uint64_t gn_node_parent(uint64_t node);
//  True if node is root or lies below it.
bool gn_node_in_subtree(uint64_t node, uint64_t root);
//  Parse exactly 12 decimal digits into a valid node code. 0 on success.
int gn_node_parse(const char *text, uint64_t *node);

//  Case ids as text and as a 16-byte big-endian key (origin, n).
int gn_case_id_parse(const char *text, uint64_t *origin, uint64_t *n);
void gn_case_id_format(char out[GN_CASE_ID_MAX], uint64_t origin, uint64_t n);
void gn_case_key(uint8_t key[16], uint64_t origin, uint64_t n);
//  Parse a case id straight into its key. 0 on success.
int gn_case_key_from_text(uint8_t key[16], const char *text);

//  A grid code: valid form, and its village. 0 on success.
int gn_grid_parse(const char *text, uint64_t *village, unsigned *serial);

//  Op ids as a 16-byte big-endian key (origin, seq).
void gn_op_key(uint8_t key[16], uint64_t origin, uint64_t seq);
void gn_op_key_split(const uint8_t key[16], uint64_t *origin, uint64_t *seq);

//  Big-endian u64 helpers for keys.
void gn_put_be64(uint8_t *p, uint64_t v);
uint64_t gn_get_be64(const uint8_t *p);

#endif
