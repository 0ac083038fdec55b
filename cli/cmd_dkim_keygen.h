/*
 * cli/cmd_dkim_keygen.h: "mailaka dkim-keygen" -- make a DKIM key pair.
 *
 *   dkim-keygen DOMAIN [SELECTOR] [--type rsa|ed25519] [--bits N] [--dir D]
 *
 * Writes D/SELECTOR.key (PKCS#8 PEM, mode 0600, never overwrites) and
 * D/SELECTOR.txt, and prints the DNS record to publish:
 *   SELECTOR._domainkey.DOMAIN. IN TXT ( "v=DKIM1; k=rsa; p=..." )
 * with the text split into strings of at most 255 bytes.  Defaults: rsa,
 * 2048 bits (1024..4096), selector = the key type, D = ".".
 * Returns 0, 1 (failure) or 2 (usage).
 */
#ifndef MK_CMD_DKIM_KEYGEN_H
#define MK_CMD_DKIM_KEYGEN_H

#include <stddef.h>

int cmd_dkim_keygen(int argc, char **argv);

/* The TXT record for a public key value (exposed for tests): 0 / -1. */
int dkim_keygen_record(const char *selector, const char *domain, const char *k,
    const char *p, char *out, size_t outsz);

#endif
