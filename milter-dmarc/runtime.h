/*
 * milter-dmarc/runtime.h: the shared runtime (configuration, DNS context,
 * PSL, history store), reference counted so that SIGUSR1 can swap in a
 * new one while connections in flight finish with the snapshot they took
 * at connect (STYLE 6: reload swaps a refcounted pointer).
 */
#ifndef DMARC_RUNTIME_H
#define DMARC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

struct dmarc_runtime;

/* Build from a config file: conf, DNS, PSL (7489), and the history store
 * when open_history.  NULL with err on failure. */
struct dmarc_runtime *dmarc_runtime_new(const char *path, bool open_history, char *err,
    size_t errlen);
/* Make rt current (taking the caller's reference); the old one is
 * released and freed once its last connection has closed. */
void dmarc_runtime_set(struct dmarc_runtime *rt);
/* A reference to the current runtime (never NULL after the first set). */
struct dmarc_runtime *dmarc_runtime_get(void);
/* Release a reference; frees the runtime at the last one. NULL is a no-op. */
void dmarc_runtime_put(struct dmarc_runtime *rt);

#endif
