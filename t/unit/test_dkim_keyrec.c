/*
 * t/unit/test_dkim_keyrec.c: the key records mailaka-dkim keeps
 * (milter-dkim/keyrec.c): found in any case as an independent copy, TTL 0
 * not kept, gone after the TTL, replaced by a newer record, cleared.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "milter-dkim/keyrec.h"
#include "tap.h"

int
main(void)
{
	char *t;

	dkim_keyrec_put("sel._domainkey.example.com", "v=DKIM1; k=ed25519; p=AAAA", 300);
	t = dkim_keyrec_get("SEL._domainkey.Example.COM");
	is_str(t, "v=DKIM1; k=ed25519; p=AAAA", "kept record found, any case");
	if (t != NULL)
		t[0] = 'X';
	free(t);
	t = dkim_keyrec_get("sel._domainkey.example.com");
	is_str(t, "v=DKIM1; k=ed25519; p=AAAA", "a caller's copy is its own");
	free(t);
	ok(dkim_keyrec_get("other._domainkey.example.com") == NULL, "another name: not found");
	dkim_keyrec_put("sel._domainkey.example.com", "v=DKIM1; k=ed25519; p=BBBB", 300);
	t = dkim_keyrec_get("sel._domainkey.example.com");
	is_str(t, "v=DKIM1; k=ed25519; p=BBBB", "a newer record replaces it");
	free(t);
	dkim_keyrec_put("zero._domainkey.example.com", "v=DKIM1; p=CCCC", 0);
	ok(dkim_keyrec_get("zero._domainkey.example.com") == NULL, "TTL 0 not kept");
	dkim_keyrec_put("short._domainkey.example.com", "v=DKIM1; p=DDDD", 1);
	t = dkim_keyrec_get("short._domainkey.example.com");
	ok(t != NULL, "a 1 s record is there at once");
	free(t);
	usleep(1100 * 1000);
	ok(dkim_keyrec_get("short._domainkey.example.com") == NULL, "and gone after its TTL");
	dkim_keyrec_clear();
	ok(dkim_keyrec_get("sel._domainkey.example.com") == NULL, "clear forgets them all");
	return done_testing();
}
