/*
 * lib/milter_sess.h: private to milter engine own: one MTA connection
 * (lib/milter_session.c: state machine and I/O; lib/milter_ctx.c:
 * negotiation, macros and the calls callbacks make).
 */
#ifndef MK_MILTER_SESS_H
#define MK_MILTER_SESS_H

#include <stdbool.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "lib/milter_own.h"
#include "lib/milter_proto.h"

#define OWN_REPLY_MAX	1024	/* "550 5.7.1 text" from mk_milter_setreply */
#define OWN_OUT_MAX	(256 * 1024)	/* unread replies before we stop reading */

enum own_state {
	ST_OPTNEG,	/* waiting for the MTA's OPTNEG */
	ST_CONNECT,	/* negotiated, before CONNECT (again after QUIT_NC) */
	ST_READY,	/* connected, outside a message */
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_HEADER,
	ST_EOH,
	ST_BODY,
};

/* Macro slots, in the order mk_milter_getsymval() looks back through. */
enum own_mac_slot {
	OWN_MAC_CONNECT,
	OWN_MAC_HELO,
	OWN_MAC_MAIL,	/* from here on: message macros */
	OWN_MAC_RCPT,
	OWN_MAC_DATA,
	OWN_MAC_HEADER,
	OWN_MAC_EOH,
	OWN_MAC_BODY,
	OWN_MAC_EOM,
	OWN_MAC_UNKNOWN,
	OWN_MAC_SLOTS,
};

/* One MACRO packet's pairs (names and values point into data). */
struct own_macros {
	size_t n;
	const char **name, **value;
	unsigned char data[];
};

struct own_session {
	struct mk_milter_ctx ctx;	/* first: the callbacks' handle */
	struct own_server *srv;
	struct own_link link;
	char idstr[24];
	struct bufferevent *bev;
	enum own_state state;
	bool busy;		/* a worker runs a callback */
	bool dead;		/* close once the worker is back */
	bool closed;		/* close callback done for this context */
	bool renegotiate;	/* after QUIT_NC: OPTNEG may come again */
	bool in_eom;		/* inside the eom callback: changes allowed */
	bool in_negotiate;	/* inside the negotiate callback: setsymlist allowed */
	size_t nsym;		/* macro lists asked for (mk_milter_setsymlist) */
	int sym_stage[MK_MP_SYMLISTS_MAX];
	char *sym[MK_MP_SYMLISTS_MAX];
	bool out_full;		/* reads paused: the MTA is not reading replies */
	void *priv;
	unsigned long pf0, pf1;	/* negotiated actions, steps */
	unsigned char *pkt;	/* the packet in hand (cmd points into it) */
	struct mk_mp_cmd cmd;
	int cur_slot;		/* macros of the stage being called */
	struct own_macros *mac[OWN_MAC_SLOTS];
	struct sockaddr_storage peer;	/* CONNECT's address */
	struct evbuffer *mods;	/* eom changes, sent with the verdict */
	char reply[OWN_REPLY_MAX];	/* mk_milter_setreply's, "" if none */
	int pending;		/* a verdict of a no-reply stage, or -1 */
	unsigned offload;	/* mk_milter_setoffload's stages for this message */
	bool offload_set;	/* ... in place of desc->offload */
	bool tcp;		/* a TCP connection: ACK at once after each read */
	char pending_text[OWN_REPLY_MAX];
};

const char *own_state_name(enum own_state st);

/* lib/milter_ctx.c */
extern const struct mk_milter_ctx_ops own_ctx_ops;
/* Answer the MTA's OPTNEG (s->cmd); -1: refused (logged), close. */
int own_negotiate(struct own_session *s);
/* Free the macro lists the negotiate callback asked for. */
void own_symlists_clear(struct own_session *s);
/* Store a MACRO packet (s->cmd) for its stage.  0 / -1 (memory). */
int own_macros_set(struct own_session *s, const struct mk_mp_cmd *c);
/* Drop the macros of slot from and every later one. */
void own_macros_clear(struct own_session *s, int from);
/* Append one reply packet. 0 / -1. */
int own_add_reply(struct evbuffer *out, const struct mk_mp_reply *r);

#endif
