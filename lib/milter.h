/*
 * lib/milter.h: the milter API the mailaka milters are written against.
 *
 * Two engines serve it, chosen at run time (MilterEngine = own | libmilter):
 *   own        lib/milter_server.c: a libevent server on the milter protocol
 *              codec of lib/milter_proto.c (the bundled MTA's milter client
 *              shares the codec).  TCP_NODELAY on accepted inet sockets, each
 *              reply's packets written together, one event loop thread per
 *              CPU sharing the listening socket, stages named in
 *              desc->offload run in a worker pool (they may block: DNS,
 *              signing), all others on the session's event loop thread.
 *   libmilter  lib/milter_libmilter.c: Sendmail's libmilter (one thread per
 *              session; every callback may block).
 *
 * The semantics follow libmilter's (smfi_*): the same flag and status
 * values, the same order of callbacks, the same rules for what may be
 * called when.  A callback runs for one session at a time; callbacks of
 * different sessions run concurrently (engine own: on the loop thread or a
 * worker; engine libmilter: session threads), so shared state needs locks.
 */
#ifndef MK_MILTER_H
#define MK_MILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Callback results (libmilter's sfsistat values). */
enum mk_milter_status {
	MK_MS_CONTINUE = 0,
	MK_MS_REJECT = 1,
	MK_MS_DISCARD = 2,
	MK_MS_ACCEPT = 3,
	MK_MS_TEMPFAIL = 4,
	MK_MS_NOREPLY = 7,	/* only for a stage negotiated with SMFIP_NR_* */
	MK_MS_SKIP = 8,		/* body: no more body chunks (SMFIP_SKIP) */
};

/* Actions the milter may take (SMFIF_* values, negotiated in pf0). */
#define MK_MA_ADDHDRS		0x0001UL
#define MK_MA_CHGBODY		0x0002UL
#define MK_MA_ADDRCPT		0x0004UL
#define MK_MA_DELRCPT		0x0008UL
#define MK_MA_CHGHDRS		0x0010UL
#define MK_MA_QUARANTINE	0x0020UL
#define MK_MA_CHGFROM		0x0040UL
#define MK_MA_ADDRCPT_PAR	0x0080UL
#define MK_MA_SETSYMLIST	0x0100UL

/* Protocol steps (SMFIP_* values, negotiated in pf1). */
#define MK_MP_NOCONNECT		0x000001UL
#define MK_MP_NOHELO		0x000002UL
#define MK_MP_NOMAIL		0x000004UL
#define MK_MP_NORCPT		0x000008UL
#define MK_MP_NOBODY		0x000010UL
#define MK_MP_NOHDRS		0x000020UL
#define MK_MP_NOEOH		0x000040UL
#define MK_MP_NR_HDR		0x000080UL
#define MK_MP_NOUNKNOWN		0x000100UL
#define MK_MP_NODATA		0x000200UL
#define MK_MP_SKIP		0x000400UL
#define MK_MP_RCPT_REJ		0x000800UL
#define MK_MP_NR_CONN		0x001000UL
#define MK_MP_NR_HELO		0x002000UL
#define MK_MP_NR_MAIL		0x004000UL
#define MK_MP_NR_RCPT		0x008000UL
#define MK_MP_NR_DATA		0x010000UL
#define MK_MP_NR_UNKN		0x020000UL
#define MK_MP_NR_EOH		0x040000UL
#define MK_MP_NR_BODY		0x080000UL
#define MK_MP_HDR_LEADSPC	0x100000UL

/* Stages, for desc->offload. */
/* Macro list stages for mk_milter_setsymlist() (libmilter's SMFIM_*). */
#define MK_MSYM_CONNECT	0
#define MK_MSYM_HELO	1
#define MK_MSYM_ENVFROM	2
#define MK_MSYM_ENVRCPT	3
#define MK_MSYM_DATA	4
#define MK_MSYM_EOM	5
#define MK_MSYM_EOH	6

#define MK_MSTAGE_CONNECT	0x0001U
#define MK_MSTAGE_HELO		0x0002U
#define MK_MSTAGE_ENVFROM	0x0004U
#define MK_MSTAGE_ENVRCPT	0x0008U
#define MK_MSTAGE_DATA		0x0010U
#define MK_MSTAGE_HEADER	0x0020U
#define MK_MSTAGE_EOH		0x0040U
#define MK_MSTAGE_BODY		0x0080U
#define MK_MSTAGE_EOM		0x0100U

struct mk_milter_ctx;	/* one per MTA connection; opaque */

/* The callbacks (any may be NULL: that stage is then not requested). */
struct mk_milter_desc {
	const char *name;
	unsigned long actions;	/* MK_MA_* the milter may use */
	unsigned offload;	/* MK_MSTAGE_* that may block (engine own: worker pool) */
	/* f0/f1: what the MTA offers (actions, steps); set *pf0 (actions
	 * wanted), *pf1 (steps: MK_MP_NO* / NR_* / HDR_LEADSPC wanted), *pf2 and
	 * *pf3 (0).  MK_MS_REJECT refuses the connection.  NULL: ask for
	 * desc->actions and no step flags. */
	enum mk_milter_status (*negotiate)(struct mk_milter_ctx *ctx, unsigned long f0,
	    unsigned long f1, unsigned long f2, unsigned long f3, unsigned long *pf0,
	    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3);
	/* sa: NULL for a client without an address (local submission) */
	enum mk_milter_status (*connect)(struct mk_milter_ctx *ctx, char *host,
	    const struct sockaddr *sa);
	enum mk_milter_status (*helo)(struct mk_milter_ctx *ctx, char *helo);
	/* argv: the address ("<a@b>") then ESMTP arguments, NULL-terminated */
	enum mk_milter_status (*envfrom)(struct mk_milter_ctx *ctx, char **argv);
	enum mk_milter_status (*envrcpt)(struct mk_milter_ctx *ctx, char **argv);
	enum mk_milter_status (*data)(struct mk_milter_ctx *ctx);
	/* value as sent (leading space kept when HDR_LEADSPC was negotiated;
	 * folded lines with the MTA's line ends) */
	enum mk_milter_status (*header)(struct mk_milter_ctx *ctx, char *name, char *value);
	enum mk_milter_status (*eoh)(struct mk_milter_ctx *ctx);
	enum mk_milter_status (*body)(struct mk_milter_ctx *ctx, unsigned char *buf, size_t len);
	enum mk_milter_status (*eom)(struct mk_milter_ctx *ctx);
	enum mk_milter_status (*abort)(struct mk_milter_ctx *ctx);	/* message aborted */
	enum mk_milter_status (*close)(struct mk_milter_ctx *ctx);	/* connection gone */
};

enum mk_milter_engine {
	MK_MILTER_OWN,
	MK_MILTER_LIBMILTER,
};

struct mk_milter_opts {
	const char *socket;		/* "unix:/path", "local:/path", "inet:PORT[@HOST]", "inet6:PORT[@HOST]" */
	enum mk_milter_engine engine;
	size_t max_data;		/* largest packet accepted (0: 1 MiB) */
	unsigned timeout;		/* seconds of MTA silence before the session is dropped (0: 7210, libmilter's) */
	unsigned workers_min;		/* engine own: worker threads kept (0: 2 x CPUs) */
	unsigned workers_max;		/* engine own: worker threads at most (0: 256) */
	unsigned backlog;		/* listen backlog (0: 256) */
	unsigned loops;			/* engine own: event loop threads (0: one per CPU, at most 16) */
};

struct mk_milter;

/* Parse "own" / "libmilter". 0 / -1. */
int mk_milter_engine_parse(const char *s, enum mk_milter_engine *out);
const char *mk_milter_engine_name(enum mk_milter_engine e);
/* A config validator for MilterEngine (lib/conf.h's signature). 0 / -1 with err. */
int mk_milter_engine_valid(const char *s, char *err, size_t errlen);

/* Bind the socket (a stale unix socket is removed first; it is created
 * with the process umask, as libmilter does).  Call before dropping
 * privileges.  NULL with err on failure.  One per process
 * for engine libmilter. */
struct mk_milter *mk_milter_open(const struct mk_milter_desc *desc,
    const struct mk_milter_opts *opts, char *err, size_t errlen);

/* Serve until mk_milter_stop(): stop accepting, let the sessions in flight
 * finish (at most 5 s; then they are closed: the MTA applies its default
 * action) and return 0; -1 on a fatal error (logged).  Engine own: the
 * caller blocks SIGPIPE; SIGTERM/SIGINT are the caller's to turn into
 * mk_milter_stop().  Engine libmilter: libmilter's signal thread stops on
 * SIGTERM/SIGINT/SIGHUP by itself (see lib/daemon.h). */
int mk_milter_run(struct mk_milter *m);

/* From any thread or a sigwait() thread (not from a signal handler). */
void mk_milter_stop(struct mk_milter *m);

/* The milter daemons' signals, on a signal thread (lib/daemon.h).  Engine
 * own: SIGHUP and SIGUSR1 call reload(NULL...), SIGTERM and SIGINT
 * mk_milter_stop(m).  Engine libmilter: SIGUSR1 reloads (libmilter's own
 * signal thread takes HUP, TERM and INT, see lib/daemon.h).  what: what is
 * reloaded, for the log.  Call before any other thread is created.  0 / -1. */
int mk_milter_signals_start(struct mk_milter *m, enum mk_milter_engine engine,
    int (*reload)(void *arg, char *err, size_t errlen), const char *what);

/* Free after mk_milter_run() returned (removes a unix socket it created). NULL. */
struct mk_milter *mk_milter_free(struct mk_milter *m);

/* ---- calls from inside callbacks (libmilter's smfi_* rules) --------------- */

void *mk_milter_getpriv(struct mk_milter_ctx *ctx);
void mk_milter_setpriv(struct mk_milter_ctx *ctx, void *priv);
/* A macro ("i", "{auth_authen}"; "{i}" and "i" are the same) of the current
 * stage or an earlier one of this message/connection, or NULL. */
const char *mk_milter_getsymval(struct mk_milter_ctx *ctx, const char *name);
/* Reply for the REJECT/TEMPFAIL this callback returns: rcode 4xx/5xx
 * matching the status, xcode "x.y.z" or NULL, message (CR/LF refused).  0/-1. */
int mk_milter_setreply(struct mk_milter_ctx *ctx, const char *rcode, const char *xcode,
    const char *msg);
/* End of message only (eom callback), each needs its MK_MA_* negotiated.  0 / -1. */
int mk_milter_addheader(struct mk_milter_ctx *ctx, const char *name, const char *value);
int mk_milter_insheader(struct mk_milter_ctx *ctx, int idx, const char *name, const char *value);
int mk_milter_chgheader(struct mk_milter_ctx *ctx, const char *name, int idx, const char *value);
int mk_milter_quarantine(struct mk_milter_ctx *ctx, const char *reason);
int mk_milter_chgfrom(struct mk_milter_ctx *ctx, const char *from, const char *args);
int mk_milter_addrcpt(struct mk_milter_ctx *ctx, const char *rcpt);
/* Negotiate callback only: ask the MTA to send exactly these macros
 * ("{a} {b} i", space-separated) at stage (MK_MSYM_*), as libmilter's
 * smfi_setsymlist; needs the MTA to offer MK_MA_SETSYMLIST (Postfix and
 * Sendmail do), else the MTA's defaults stay and this is a no-op.  At most
 * 8 stages.  0 / -1. */
int mk_milter_setsymlist(struct mk_milter_ctx *ctx, int stage, const char *macros);
/* Engine own: the stages of the current message that may block, in place of
 * desc->offload (a milter that learns at MAIL FROM that this message needs
 * no DNS saves the worker hand-offs); back to desc->offload when the message
 * ends.  Only stages in desc->offload can be offloaded.  Engine libmilter:
 * no effect.  Any stage.  0 / -1. */
int mk_milter_setoffload(struct mk_milter_ctx *ctx, unsigned stages);

#endif
