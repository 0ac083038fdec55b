/*
 * lib/log.h: logging to syslog or stderr.
 *
 * Each line: "<id> <message>" where id is the hex session/queue id (or "-"),
 * and the message is by convention key=value fields.  Values that came from
 * a peer are escaped with mk_log_escape() before being logged.  Secrets are
 * never passed here; mk_log_kv() redacts the values of keys that name a
 * secret (password, pass, secret, key material) in case one slips through.
 */
#ifndef MK_LOG_H
#define MK_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes in one log line (id, message, NUL); longer lines end in "...". */
#define MK_LOG_LINE_MAX 2048

enum mk_log_level {
	MK_LOG_ERR = 0,
	MK_LOG_WARN,
	MK_LOG_NOTICE,
	MK_LOG_INFO,
	MK_LOG_DEBUG,
};

/* Open the log: to_stderr (for -f) or syslog with facility (LOG_MAIL). */
void mk_log_open(const char *ident, bool to_stderr, int facility);
void mk_log_close(void);
void mk_log_set_level(enum mk_log_level level);
enum mk_log_level mk_log_get_level(void);
/* "err", "warn"/"warning", "notice", "info", "debug" -> level; -1 if unknown. */
int mk_log_level_parse(const char *name);
const char *mk_log_level_name(enum mk_log_level level);

/* Log "<id> <fmt...>"; id may be NULL (printed as "-"). Thread-safe. */
void mk_log(enum mk_log_level level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* key=value pairs, NULL-terminated: mk_log_kv(MK_LOG_INFO, id, "action", "sign", "d", dom, NULL).
 * Values are escaped (and quoted when empty or holding spaces); a NULL value
 * is logged as "-".  Values of secret-looking keys are replaced with
 * "[redacted]" (see mk_log_key_is_secret()). All arguments are borrowed. */
void mk_log_kv(enum mk_log_level level, const char *id, ...) __attribute__((sentinel));

#define mk_log_err(id, ...) mk_log(MK_LOG_ERR, id, __VA_ARGS__)
#define mk_log_warn(id, ...) mk_log(MK_LOG_WARN, id, __VA_ARGS__)
#define mk_log_notice(id, ...) mk_log(MK_LOG_NOTICE, id, __VA_ARGS__)
#define mk_log_info(id, ...) mk_log(MK_LOG_INFO, id, __VA_ARGS__)
#define mk_log_debug(id, ...) mk_log(MK_LOG_DEBUG, id, __VA_ARGS__)

/* Start-up only (config, environment): log at ERR and exit(EXIT_FAILURE). */
void mk_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Broken internal invariant: log and abort(). Never for peer input. */
void mk_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escape untrusted bytes for a log line: printable ASCII except '\\' and '"'
 * is kept, everything else becomes \xHH (\\ and \" for those two).  Input is
 * cut at inlen; output is always NUL-terminated and truncated with "..."
 * if it does not fit. Returns out.
 */
char *mk_log_escape(const char *in, size_t inlen, char *out, size_t outsz);

/*
 * Whether a key names a secret.  Case, '_' and '-' are ignored; a key is
 * secret if it is "pw", "pwd", "psk", ends with "key" (key, privkey,
 * srs_key, hmac-key...) or "pass" (pass, smtp_pass...), or contains "password", "passwd",
 * "passphrase", "secret", "token", "credential", "cookie" or "private".
 */
bool mk_log_key_is_secret(const char *key);

/* Redirect output for unit tests: lines ("<id> <message>", no newline, no
 * timestamp) are passed to fn instead of syslog/stderr; fn NULL restores.
 * fn is called with the log mutex held and must not log. */
typedef void (*mk_log_sink_fn)(enum mk_log_level level, const char *line, void *arg);
void mk_log_set_sink(mk_log_sink_fn fn, void *arg);

#endif
