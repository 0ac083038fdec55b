/*
 * milter-dkim/keyrec.h: DKIM key records seen lately, for their DNS TTL
 * (see keyrec.c).  Thread-safe.
 */
#ifndef DKIM_KEYREC_H
#define DKIM_KEYREC_H

#include <stdint.h>

/* A fresh copy of the record of name ("<s>._domainkey.<d>"), or NULL. */
char *dkim_keyrec_get(const char *name);
/* Keep txt for ttl seconds (at most an hour; 0: not kept). */
void dkim_keyrec_put(const char *name, const char *txt, uint32_t ttl);
/* Forget them all (SIGHUP: a key may have been replaced; exit). */
void dkim_keyrec_clear(void);

#endif
