#include "log.h"

#include "termsafe.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void log_init(struct logger *lg)
{
	lg->out = stderr;
	lg->tty = isatty(STDERR_FILENO);
	lg->level = lg->tty ? LOG_INFO : LOG_WARN;
	lg->json = 0;
}

void log_msg(const struct logger *lg, int level, const char *fmt, ...)
{
	char text[4096];
	va_list ap;

	if (lg == NULL || level > lg->level)
		return;
	fputs("lading: ", lg->out);
	if (level == LOG_WARN)
		fputs("warning: ", lg->out);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	termsafe_fputs(text, lg->out); /* names and replies in messages come from files and servers */
	fputc('\n', lg->out);
	fflush(lg->out);
}

double log_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void log_format_bytes(uint64_t bytes, char *out, size_t out_len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double value = (double)bytes;
	int unit = 0;

	while (value >= 1024.0 && unit < 4) {
		value /= 1024.0;
		unit++;
	}
	if (unit == 0)
		snprintf(out, out_len, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, out_len, "%.1f %s", value, units[unit]);
}

static void progress_draw(struct progress *p, double now)
{
	char done[32], total[32], rate[32];
	double elapsed = now - p->started;
	double speed = elapsed > 0 ? (double)p->done / elapsed : 0;

	log_format_bytes(p->done, done, sizeof(done));
	log_format_bytes((uint64_t)speed, rate, sizeof(rate));
	if (p->total > 0) {
		double eta = speed > 0 && p->total > p->done ? (double)(p->total - p->done) / speed : 0;

		log_format_bytes(p->total, total, sizeof(total));
		fprintf(p->lg->out, "\r\033[K%s  %s / %s  %s/s  ETA %.0fs", p->what, done, total, rate, eta);
	} else {
		fprintf(p->lg->out, "\r\033[K%s  %s  %s/s", p->what, done, rate);
	}
	fflush(p->lg->out);
	p->drawn = 1;
	p->last_draw = now;
}

static int progress_visible(const struct progress *p)
{
	return p->lg != NULL && p->lg->tty && !p->lg->json && p->lg->level >= LOG_INFO;
}

void progress_start(struct progress *p, const struct logger *lg, const char *what, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->lg = lg;
	snprintf(p->what, sizeof(p->what), "%s", what);
	p->total = total;
	p->started = log_now();
}

void progress_add(struct progress *p, uint64_t bytes)
{
	double now;

	p->done += bytes;
	if (!progress_visible(p))
		return;
	now = log_now();
	if (now - p->last_draw >= 0.1)
		progress_draw(p, now);
}

void progress_end(struct progress *p)
{
	if (!progress_visible(p))
		return;
	progress_draw(p, log_now());
	fputc('\n', p->lg->out);
	fflush(p->lg->out);
}
