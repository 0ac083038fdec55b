/*
 * milter-dkim/milter.h: the milter's flow, between libmilter callbacks
 * (milter.c) and the signing/verifying steps (message.c, sign.c, verify.c).
 */
#ifndef DKIM_MILTER_H
#define DKIM_MILTER_H

#include <stddef.h>

#include <libmilter/mfapi.h>

#include "milter-dkim/dkim_conf.h"

struct dkim_conn;
struct dkim_msg;

int dkim_milter_register(void);

/* message.c: after the headers, the body chunks, end of message. */
sfsistat dkim_msg_start(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m);
sfsistat dkim_msg_body(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m,
    unsigned char *buf, size_t len);
sfsistat dkim_msg_eom(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m);

/* sign.c / verify.c end-of-message steps. */
sfsistat dkim_sign_finish(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m);
sfsistat dkim_verify_finish(SMFICTX *ctx, struct dkim_conn *cc, struct dkim_msg *m);

/* Apply an action (logged with its reason); returns the milter status. */
sfsistat dkim_milter_act(SMFICTX *ctx, struct dkim_msg *m, enum dkim_action a, const char *why);

#endif
