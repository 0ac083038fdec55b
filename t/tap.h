/*
 * t/tap.h: a tiny TAP producer for the C unit tests (run by automake's
 * tap-driver.sh).  Header-only so each test links just its module and lib/.
 *
 *   plan_lazy();                      (plan printed at done_testing())
 *   ok(cond, "name %d", i);
 *   is_int(got, want, "name");        prints "got X, want Y" on failure
 *   is_str(got, want, "name");        NULL-safe
 *   return done_testing();
 */
#ifndef MK_TAP_H
#define MK_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused)) static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...)                                              \
	do {                                                                \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		if (!ok(tap_g_ == tap_w_, __VA_ARGS__))                     \
			printf("#   got %lld, want %lld\n", tap_g_, tap_w_); \
	} while (0)

#define is_str(got, want, ...)                                              \
	do {                                                                \
		const char *tap_g_ = (got), *tap_w_ = (want);               \
		int tap_eq_ = (tap_g_ == NULL || tap_w_ == NULL)            \
		    ? tap_g_ == tap_w_ : strcmp(tap_g_, tap_w_) == 0;       \
		if (!ok(tap_eq_, __VA_ARGS__))                              \
			printf("#   got \"%s\", want \"%s\"\n",             \
			    tap_g_ ? tap_g_ : "(null)",                     \
			    tap_w_ ? tap_w_ : "(null)");                    \
	} while (0)

__attribute__((format(printf, 1, 2), unused)) static void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

__attribute__((unused)) static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
