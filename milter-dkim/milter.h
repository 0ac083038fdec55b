/*
 * milter-dkim/milter.h: the milter's flow, between the milter callbacks
 * (milter.c) and the signing/verifying steps (message.c, sign.c, verify.c).
 */
#ifndef DKIM_MILTER_H
#define DKIM_MILTER_H

#include <stddef.h>

#include "lib/milter.h"

#include "milter-dkim/dkim_conf.h"

struct dkim_conn;
struct dkim_msg;

/* The callbacks, for mk_milter_open(). */
const struct mk_milter_desc *dkim_milter_desc(void);

/* message.c: after the headers, the body chunks, end of message. */
enum mk_milter_status dkim_msg_start(struct mk_milter_ctx *ctx, struct dkim_conn *cc,
    struct dkim_msg *m);
enum mk_milter_status dkim_msg_body(struct mk_milter_ctx *ctx, struct dkim_conn *cc,
    struct dkim_msg *m, unsigned char *buf, size_t len);
enum mk_milter_status dkim_msg_eom(struct mk_milter_ctx *ctx, struct dkim_conn *cc,
    struct dkim_msg *m);

/* sign.c / verify.c end-of-message steps. */
enum mk_milter_status dkim_sign_finish(struct mk_milter_ctx *ctx, struct dkim_conn *cc,
    struct dkim_msg *m);
enum mk_milter_status dkim_verify_finish(struct mk_milter_ctx *ctx, struct dkim_conn *cc,
    struct dkim_msg *m);

/* Apply an action (logged with its reason); returns the milter status. */
enum mk_milter_status dkim_milter_act(struct mk_milter_ctx *ctx, struct dkim_msg *m,
    enum dkim_action a, const char *why);

#endif
