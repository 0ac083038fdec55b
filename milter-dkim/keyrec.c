/*
 * milter-dkim/keyrec.c: DKIM key records (the TXT at <s>._domainkey.<d>)
 * seen lately, kept for their DNS TTL (at most KEYREC_TTL_MAX) in a
 * lib/ttlcache.  A message whose keys are all here is verified on the
 * session's event loop: no DNS and no hand-off to a worker thread and back,
 * which on a busy MX costs more than the verification.  Only single,
 * well-formed positive answers are kept (verify.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lib/ttlcache.h"
#include "milter-dkim/keyrec.h"

#define KEYREC_TTL_MAX 3600

static void *
str_dup(const void *s)
{
	return strdup(s);
}

static struct mk_ttlcache_slot slots[256];
static struct mk_ttlcache cache = MK_TTLCACHE_INIT(slots, str_dup, free);

char *
dkim_keyrec_get(const char *name)
{
	return mk_ttlcache_get(&cache, name, 0);
}

void
dkim_keyrec_put(const char *name, const char *txt, uint32_t ttl)
{
	mk_ttlcache_put(&cache, name, 0, txt, ttl > KEYREC_TTL_MAX ? KEYREC_TTL_MAX : ttl);
}

void
dkim_keyrec_clear(void)
{
	mk_ttlcache_clear(&cache);
}
