/*
 * lib/milter_proto.h: the milter protocol (version 2..6) codec, both
 * directions, no I/O.
 *
 * A frame on the wire is a 4-byte big-endian length n (the command byte
 * plus its data), the command byte, n - 1 bytes of data.  mk_mp_frame()
 * splits a stream into frames; the decoders take one packet (the command
 * byte and its data, without the length) and fill a struct whose string
 * and byte pointers point INTO that packet (borrowed: valid while the
 * packet is), every string checked to end in a NUL inside the packet.
 * The encoders write a whole frame (length included) from such a struct.
 *
 * Commands (MTA -> milter) and replies (milter -> MTA) use the SMFIC_* and
 * SMFIR_* byte values of Sendmail's mfdef.h.
 */
#ifndef MK_MILTER_PROTO_H
#define MK_MILTER_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MK_MP_VERSION		6	/* protocol version we speak */
#define MK_MP_VERSION_MIN	2	/* oldest accepted (libmilter's) */
#define MK_MP_LEN_SIZE		4	/* the length prefix */
#define MK_MP_DATA_MAX		(1024 * 1024)	/* default largest packet */
#define MK_MP_ARGV_MAX		64	/* MAIL/RCPT: address + ESMTP args */
#define MK_MP_MACROS_MAX	128	/* name/value pairs in one MACRO packet */
#define MK_MP_SYMLISTS_MAX	8	/* SETSYMLIST entries in an OPTNEG reply */

/* MTA -> milter (SMFIC_*). */
enum mk_mp_cmd_code {
	MK_MPC_ABORT = 'A',
	MK_MPC_BODY = 'B',
	MK_MPC_CONNECT = 'C',
	MK_MPC_MACRO = 'D',
	MK_MPC_BODYEOB = 'E',
	MK_MPC_HELO = 'H',
	MK_MPC_QUIT_NC = 'K',
	MK_MPC_HEADER = 'L',
	MK_MPC_MAIL = 'M',
	MK_MPC_EOH = 'N',
	MK_MPC_OPTNEG = 'O',
	MK_MPC_QUIT = 'Q',
	MK_MPC_RCPT = 'R',
	MK_MPC_DATA = 'T',
	MK_MPC_UNKNOWN = 'U',
};

/* milter -> MTA (SMFIR_*). */
enum mk_mp_reply_code {
	MK_MPR_ADDRCPT = '+',
	MK_MPR_DELRCPT = '-',
	MK_MPR_ADDRCPT_PAR = '2',
	MK_MPR_SHUTDOWN = '4',
	MK_MPR_ACCEPT = 'a',
	MK_MPR_REPLBODY = 'b',
	MK_MPR_CONTINUE = 'c',
	MK_MPR_DISCARD = 'd',
	MK_MPR_CHGFROM = 'e',
	MK_MPR_CONN_FAIL = 'f',
	MK_MPR_ADDHEADER = 'h',
	MK_MPR_INSHEADER = 'i',
	MK_MPR_SETSYMLIST = 'l',
	MK_MPR_CHGHEADER = 'm',
	MK_MPR_OPTNEG = 'O',
	MK_MPR_PROGRESS = 'p',
	MK_MPR_QUARANTINE = 'q',
	MK_MPR_REJECT = 'r',
	MK_MPR_SKIP = 's',
	MK_MPR_TEMPFAIL = 't',
	MK_MPR_REPLYCODE = 'y',
};

/* CONNECT address families (SMFIA_*). */
#define MK_MPA_UNKNOWN	'U'
#define MK_MPA_UNIX	'L'
#define MK_MPA_INET	'4'
#define MK_MPA_INET6	'6'

/* SETSYMLIST stages (SMFIM_*). */
#define MK_MPM_CONNECT	0
#define MK_MPM_HELO	1
#define MK_MPM_ENVFROM	2
#define MK_MPM_ENVRCPT	3
#define MK_MPM_DATA	4
#define MK_MPM_EOM	5
#define MK_MPM_EOH	6

/* One decoded command.  Which fields are set depends on code. */
struct mk_mp_cmd {
	int code;			/* enum mk_mp_cmd_code */
	uint32_t version, actions, protocol;	/* OPTNEG */
	int macro_cmd;			/* MACRO: the command the macros are for */
	size_t nmacros;			/* MACRO */
	const char *macro_name[MK_MP_MACROS_MAX];
	const char *macro_value[MK_MP_MACROS_MAX];
	const char *host;		/* CONNECT */
	int family;			/* CONNECT: MK_MPA_* */
	uint16_t port;			/* CONNECT (host order) */
	const char *addr;		/* CONNECT (NULL for MK_MPA_UNKNOWN) */
	const char *str;		/* HELO, UNKNOWN */
	size_t argc;			/* MAIL, RCPT (>= 1) */
	const char *argv[MK_MP_ARGV_MAX + 1];	/* NULL-terminated */
	const char *name, *value;	/* HEADER */
	const unsigned char *body;	/* BODY, BODYEOB (may be empty) */
	size_t bodylen;
};

/* One decoded reply. */
struct mk_mp_reply {
	int code;			/* enum mk_mp_reply_code */
	uint32_t version, actions, protocol;	/* OPTNEG */
	size_t nsymlists;		/* OPTNEG: SETSYMLIST entries */
	uint32_t symlist_stage[MK_MP_SYMLISTS_MAX];	/* MK_MPM_* */
	const char *symlist[MK_MP_SYMLISTS_MAX];	/* "{a} {b}" */
	/* REPLYCODE (the whole "550 5.7.1 text"), QUARANTINE (reason),
	 * ADDRCPT / DELRCPT / ADDRCPT_PAR / CHGFROM (address) */
	const char *text;
	const char *args;		/* ADDRCPT_PAR, CHGFROM: ESMTP args or NULL */
	uint32_t index;			/* INSHEADER, CHGHEADER */
	const char *name, *value;	/* ADDHEADER, INSHEADER, CHGHEADER */
	const unsigned char *body;	/* REPLBODY */
	size_t bodylen;
};

/*
 * Split a stream: buf holds the len bytes received so far.  Once the 4
 * length bytes are there: 0 with *flen = the whole frame's size
 * (MK_MP_LEN_SIZE + packet; the frame is complete when len >= *flen), or
 * -1 when the length is 0 or above max (decided before anything more is
 * read or allocated).  Fewer than 4 bytes: 0 with *flen = 0.  The packet
 * is buf + MK_MP_LEN_SIZE, *flen - MK_MP_LEN_SIZE bytes.
 */
int mk_mp_frame(const unsigned char *buf, size_t len, size_t max, size_t *flen);

/* Decode one packet (command byte + data, len >= 1).  0 / -1 (unknown
 * command, missing NUL, wrong size, too many arguments...). */
int mk_mp_cmd_decode(const unsigned char *pkt, size_t len, struct mk_mp_cmd *out);
int mk_mp_reply_decode(const unsigned char *pkt, size_t len, struct mk_mp_reply *out);

/*
 * Encode a whole frame into buf (cap bytes).  Returns the frame's size,
 * which is written only if it fits in cap (call with cap 0 to size a
 * buffer: like snprintf), or -1 if the struct is invalid (unknown code,
 * NULL string where one is needed, too many entries).
 */
ssize_t mk_mp_cmd_encode(const struct mk_mp_cmd *c, unsigned char *buf, size_t cap);
ssize_t mk_mp_reply_encode(const struct mk_mp_reply *r, unsigned char *buf, size_t cap);

/* Whether s is a valid REPLYCODE text: "[45]DD" then end, ' ' or '-'. */
bool mk_mp_replycode_is_valid(const char *s);

/* Names for logs ("optneg", "body"...; "?" if unknown). */
const char *mk_mp_cmd_name(int code);
const char *mk_mp_reply_name(int code);

#endif
