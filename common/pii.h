/*  pii.h -- reporters' personal data (phone, id number) at rest.

    The origin seals them (AES-256-GCM with the district's personal-data
    key, see gn_keys_shared) into Reporter.sealed and keeps no plain copy,
    so they sit encrypted in every replica's LMDB file and in every op that
    carries the case. A node opens them only to show them to a role that may
    see them; everyone else sees them masked.  */
#ifndef GN_PII_H
#define GN_PII_H
#include "codec.h"

#include <stdbool.h>
#include <stdint.h>

//  Seal r's phone and id number into r->sealed and blank the plain fields.
//  r belongs to an unpacked message: the new buffer is malloc'd and freed
//  with it. Nothing to seal: 0 and no change.
int gn_pii_seal(const uint8_t key[32], Gridnet__Reporter *r);
//  Put r's phone and id number back for a reader: opened when may_see (and
//  the key opens them), else masked. Same ownership rule as gn_pii_seal.
int gn_pii_show(const uint8_t key[32], Gridnet__Reporter *r, bool may_see);

#endif
