/*
 * The report as one self-contained HTML page: inline CSS and an inline SVG
 * chart, no scripts and nothing fetched, so it can be mailed, archived and
 * printed as it is. Every string from the database goes through esc().
 * Coordinates are whole pixels, printed as integers: no locale's decimal
 * comma can break the SVG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "report.h"
#include "utf8.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The report itself (report.h), which the page and ctidctl report share. */

bool report_missed_rate(const struct report *r, double *rate) {
	int known = r->totals.answered + r->totals.missed;
	if (known == 0) {
		return false;
	}
	*rate = (double)r->totals.missed / known;
	return true;
}

void report_last_day(const struct report *r, char buf[11]) {
	snprintf(buf, 11, "%s", r->n_days > 0 ? r->days[r->n_days - 1].date : "");
}

static const char *html_escape(uint32_t c, char buf[8]) {
	(void)buf;
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	case '\n':
	case '\r':
	case '\t':
		return " ";
	default:
		/* a control character, or one that could reverse the text around it */
		return utf8_is_unsafe(c) ? "\xef\xbf\xbd" : NULL;
	}
}

/* Writes s as HTML text, also fit inside a double- or single-quoted
 * attribute; invalid UTF-8, control characters and bidirectional controls
 * become U+FFFD. */
static void esc(FILE *f, const char *s) {
	if (s != NULL) {
		utf8_write_escaped(f, s, html_escape, "\xef\xbf\xbd");
	}
}

/* "2026-03-02" as "2 Mar 2026" (with_year) or "2 Mar". */
static void human_date(const char *iso, bool with_year, char *buf, size_t size) {
	int y = 0, m = 0, d = 0;
	if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12) {
		snprintf(buf, size, "%s", iso);
	} else if (with_year) {
		snprintf(buf, size, "%d %s %d", d, months[m - 1], y);
	} else {
		snprintf(buf, size, "%d %s", d, months[m - 1]);
	}
}

static const char style[] =
	":root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f4f6f8;--card:#fff;"
	"--answered:#2f855a;--missed:#c53030;--unknown:#a0aec0;--accent:#2c5282}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
	"sans-serif}\n"
	"main{max-width:1000px;margin:0 auto;padding:32px 24px 40px}\n"
	"header{display:flex;justify-content:space-between;align-items:flex-end;"
	"gap:16px;flex-wrap:wrap;margin-bottom:20px}\n"
	"h1{font-size:26px;margin:0;letter-spacing:-.01em}\n"
	".period{color:var(--muted);margin:2px 0 0}\n"
	".brand{color:var(--muted);font-size:13px}\n"
	".cards{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin-bottom:20px}\n"
	".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
	"padding:14px 16px}\n"
	".card .value{font-size:30px;font-weight:650;line-height:1.2;"
	"font-variant-numeric:tabular-nums}\n"
	".card .label{color:var(--muted);font-size:12px;text-transform:uppercase;"
	"letter-spacing:.05em}\n"
	".card .sub{color:var(--muted);font-size:12px}\n"
	".card.answered .value{color:var(--answered)}.card.missed .value{color:var(--missed)}\n"
	".card.unknown .value{color:#718096}\n"
	"section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
	"padding:18px 22px;margin-bottom:20px}\n"
	"h2{font-size:17px;margin:0 0 2px}\n"
	".hint{color:var(--muted);font-size:13px;margin:0 0 12px}\n"
	"table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
	"th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;"
	"text-transform:uppercase;letter-spacing:.04em;border-bottom:1px solid var(--line);"
	"padding:6px 8px}\n"
	"td{padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}\n"
	"tr:last-child td{border-bottom:0}\n"
	".num{text-align:right;white-space:nowrap}.nowrap{white-space:nowrap}\n"
	".muted{color:var(--muted)}.empty{color:var(--muted);font-style:italic;margin:4px 0}\n"
	".badge{display:inline-block;padding:0 8px;border-radius:9px;font-size:12px;"
	"background:#edf2f7;color:#4a5568;margin-left:6px;white-space:nowrap}\n"
	".badge.maybe{background:#fefcbf;color:#744210}.badge.miss{background:#fed7d7;"
	"color:#822727}\n"
	".meter{display:inline-block;height:8px;border-radius:4px;background:var(--accent);"
	"opacity:.75;vertical-align:middle;margin-right:8px}\n"
	".legend{display:flex;gap:18px;font-size:13px;color:var(--muted);margin:4px 0 8px}\n"
	".legend i{display:inline-block;width:10px;height:10px;border-radius:2px;"
	"margin-right:6px;vertical-align:-1px}\n"
	"svg{width:100%;height:auto;display:block}\n"
	"svg text{font-size:11px;fill:var(--muted)}\n"
	".grid{stroke:var(--line);stroke-width:1}\n"
	".a{fill:var(--answered)}.m{fill:var(--missed)}.u{fill:var(--unknown)}\n"
	"footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}\n"
	"@media (max-width:720px){.cards{grid-template-columns:repeat(2,1fr)}}\n"
	"@media print{body{background:#fff}main{padding:0}"
	"section,.card{break-inside:avoid;border-color:#cbd2d9}}\n";

struct bucket {
	char label[16]; /* under the bar */
	char title[64]; /* its tooltip */
	int calls, answered, missed, unknown;
};

/* Days, or weeks for a long period, or months for a very long one. */
static struct bucket *make_buckets(const struct report *r, size_t *n, const char **unit) {
	size_t per = r->n_days <= 62 ? 1 : r->n_days <= 366 ? 7 : 0;
	*unit = per == 1 ? "day" : per == 7 ? "week" : "month";
	struct bucket *b = calloc(r->n_days > 0 ? r->n_days : 1, sizeof(*b));
	if (b == NULL) {
		return NULL;
	}
	*n = 0;
	for (size_t i = 0; i < r->n_days; i++) {
		const struct report_day *d = &r->days[i];
		bool start = per > 0 ? i % per == 0 : i == 0 || strncmp(d->date, d[-1].date, 7) != 0;
		if (start) {
			struct bucket *k = &b[(*n)++];
			if (per == 0) {
				int y = 0, m = 1;
				sscanf(d->date, "%4d-%2d", &y, &m);
				snprintf(k->label, sizeof(k->label), "%s %d", months[(m - 1) % 12],
					 y);
				snprintf(k->title, sizeof(k->title), "%s", k->label);
			} else {
				human_date(d->date, false, k->label, sizeof(k->label));
				char full[24];
				human_date(d->date, true, full, sizeof(full));
				snprintf(k->title, sizeof(k->title), "%s%s",
					 per == 7 ? "Week of " : "", full);
			}
		}
		struct bucket *k = &b[*n - 1];
		k->calls += d->calls;
		k->answered += d->answered;
		k->missed += d->missed;
		k->unknown += d->unknown;
	}
	return b;
}

/* A round step (1, 2, 5, 10, 20, 50 ...) for at most four grid lines up to max. */
static int grid_step(int max) {
	static const int mantissa[] = {1, 2, 5};
	for (long base = 1;; base *= 10) {
		for (int i = 0; i < 3; i++) {
			long step = base * mantissa[i];
			if (step * 4 >= max) {
				return (int)step;
			}
		}
	}
}

enum { CHART_W = 920, CHART_H = 250, PAD_L = 40, PAD_R = 8, PAD_T = 12, PAD_B = 30 };

static void bar(FILE *f, const char *cls, int x, int w, int bottom, int h) {
	if (h > 0) {
		fprintf(f, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", cls,
			x, bottom - h, w, h);
	}
}

static void chart(FILE *f, const struct report *r) {
	size_t n = 0;
	const char *unit = "day";
	struct bucket *b = make_buckets(r, &n, &unit);
	fprintf(f, "<section><h2>Calls per %s</h2>\n", unit);
	if (b == NULL || r->totals.calls == 0) {
		fputs("<p class=\"empty\">No calls in this period.</p></section>\n", f);
		free(b);
		return;
	}
	fputs("<div class=\"legend\"><span><i style=\"background:#2f855a\"></i>"
	      "answered</span><span><i style=\"background:#c53030\"></i>missed</span>"
	      "<span><i style=\"background:#a0aec0\"></i>unknown</span></div>\n",
	      f);
	int max = 0;
	for (size_t i = 0; i < n; i++) {
		max = b[i].calls > max ? b[i].calls : max;
	}
	int step = grid_step(max);
	int top = (max + step - 1) / step * step;
	if (top == 0) {
		top = step; /* (no bucket has a call: an empty grid, not a division by 0) */
	}
	int plot_w = CHART_W - PAD_L - PAD_R, plot_h = CHART_H - PAD_T - PAD_B;
	int bottom = PAD_T + plot_h;
	fprintf(f,
		"<svg viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Calls per %s: answered, "
		"missed and unknown\">\n",
		CHART_W, CHART_H, unit);
	for (int v = 0; v <= top; v += step) {
		int y = bottom - v * plot_h / top;
		fprintf(f,
			"<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\"/>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n",
			PAD_L, CHART_W - PAD_R, y, y, PAD_L - 6, y + 4, v);
	}
	int slot = plot_w / (int)n;
	int width = slot * 7 / 10 > 38 ? 38 : slot * 7 / 10 < 1 ? 1 : slot * 7 / 10;
	size_t every = (n + 13) / 14;
	for (size_t i = 0; i < n; i++) {
		const struct bucket *k = &b[i];
		int x = PAD_L + (int)i * slot + (slot - width) / 2;
		int ha = k->answered * plot_h / top, hm = k->missed * plot_h / top;
		int hu = k->calls * plot_h / top - ha - hm;
		fputs("<g><title>", f);
		esc(f, k->title);
		fprintf(f, ": %d call%s, %d answered, %d missed, %d unknown</title>", k->calls,
			k->calls == 1 ? "" : "s", k->answered, k->missed, k->unknown);
		bar(f, "a", x, width, bottom, ha);
		bar(f, "m", x, width, bottom - ha, hm);
		bar(f, "u", x, width, bottom - ha - hm, hu);
		fputs("</g>", f);
		if (i % every == 0) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
				PAD_L + (int)i * slot + slot / 2, CHART_H - 10);
			esc(f, k->label);
			fputs("</text>", f);
		}
		fputc('\n', f);
	}
	fputs("</svg></section>\n", f);
	free(b);
}

static void card(FILE *f, const char *cls, const char *label, const char *value, const char *sub) {
	fprintf(f, "<div class=\"card %s\"><div class=\"label\">", cls);
	esc(f, label);
	fputs("</div><div class=\"value\">", f);
	esc(f, value);
	fputs("</div><div class=\"sub\">", f);
	esc(f, sub);
	fputs("</div></div>\n", f);
}

static void cards(FILE *f, const struct report *r) {
	const struct db_call_counts *t = &r->totals;
	char v[5][32], sub[5][64];
	snprintf(v[0], sizeof(v[0]), "%d", t->calls);
	snprintf(sub[0], sizeof(sub[0]), "in %zu day%s", r->n_days, r->n_days == 1 ? "" : "s");
	snprintf(v[1], sizeof(v[1]), "%d", t->answered);
	snprintf(v[2], sizeof(v[2]), "%d", t->missed);
	snprintf(v[3], sizeof(v[3]), "%d", t->unknown);
	snprintf(sub[3], sizeof(sub[3]), "the modem could not tell");
	for (int i = 1; i <= 2; i++) {
		int n = i == 1 ? t->answered : t->missed;
		if (t->calls > 0) {
			snprintf(sub[i], sizeof(sub[i]), "%d%% of all calls", n * 100 / t->calls);
		} else {
			sub[i][0] = '\0';
		}
	}
	double rate;
	if (report_missed_rate(r, &rate)) {
		/* integer arithmetic: the percentage to one decimal, locale-free */
		long tenths = (long)(rate * 1000 + 0.5);
		snprintf(v[4], sizeof(v[4]), "%ld.%ld%%", tenths / 10, tenths % 10);
		snprintf(sub[4], sizeof(sub[4]), "of %d answered or missed", t->answered + t->missed);
	} else {
		snprintf(v[4], sizeof(v[4]), "\xe2\x80\x93");
		snprintf(sub[4], sizeof(sub[4]), "no call with a known outcome");
	}
	fputs("<div class=\"cards\">\n", f);
	card(f, "calls", "Calls", v[0], sub[0]);
	card(f, "answered", "Answered", v[1], sub[1]);
	card(f, "missed", "Missed", v[2], sub[2]);
	card(f, "unknown", "Unknown", v[3], sub[3]);
	card(f, "rate", "Missed rate", v[4], sub[4]);
	fputs("</div>\n", f);
}

static void cell_time(FILE *f, int64_t t) {
	char buf[32];
	output_time(t, buf, sizeof(buf));
	fputs("<td class=\"nowrap\">", f);
	esc(f, buf);
	fputs("</td>", f);
}

static void unanswered(FILE *f, const struct report *r) {
	fputs("<section><h2>Not called back</h2>\n<p class=\"hint\">Callers whose missed calls "
	      "in this period nobody has returned or marked handled, waiting longest first. "
	      "<em>Maybe missed</em>: the modem could not tell whether anyone answered.</p>\n",
	      f);
	if (r->n_unanswered == 0) {
		fputs("<p class=\"empty\">Every missed caller has been called back.</p></section>\n",
		      f);
		return;
	}
	fputs("<table><thead><tr><th>Caller</th><th>Number</th><th class=\"num\">Calls</th>"
	      "<th>First</th><th>Last</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < r->n_unanswered; i++) {
		const struct report_caller *c = &r->unanswered[i];
		fputs("<tr><td>", f);
		esc(f, c->name);
		if (c->missed == 0) {
			fputs("<span class=\"badge maybe\">maybe missed</span>", f);
		}
		fputs("</td><td class=\"nowrap\">", f);
		if (c->withheld) {
			fputs("<span class=\"muted\">withheld: cannot be called back</span>", f);
		} else if (c->contact_id > 0) {
			esc(f, c->number);
		}
		fprintf(f, "</td><td class=\"num\">%d</td>", c->calls);
		cell_time(f, c->first);
		cell_time(f, c->last);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void top_callers(FILE *f, const struct report *r) {
	fputs("<section><h2>Top callers</h2>\n<p class=\"hint\">Most calls in this period.</p>\n", f);
	if (r->n_top == 0) {
		fputs("<p class=\"empty\">No calls in this period.</p></section>\n", f);
		return;
	}
	fputs("<table><thead><tr><th>Caller</th><th>Number</th><th class=\"num\">Calls</th>"
	      "<th class=\"num\">Answered</th><th class=\"num\">Missed</th>"
	      "<th class=\"num\">Unknown</th><th>Last call</th></tr></thead><tbody>\n",
	      f);
	int most = r->top[0].calls > 0 ? r->top[0].calls : 1;
	for (size_t i = 0; i < r->n_top; i++) {
		const struct report_caller *c = &r->top[i];
		fputs("<tr><td>", f);
		esc(f, c->name);
		fputs("</td><td class=\"nowrap\">", f);
		if (c->contact_id > 0) {
			esc(f, c->number);
		}
		fprintf(f,
			"</td><td class=\"num\"><span class=\"meter\" style=\"width:%dpx\"></span>%d"
			"</td><td class=\"num\">%d</td><td class=\"num\">%d</td>"
			"<td class=\"num\">%d</td>",
			4 + c->calls * 56 / most, c->calls, c->answered, c->missed, c->unknown);
		cell_time(f, c->last);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

static void requests(FILE *f, const struct report *r) {
	fputs("<section><h2>Open requests and orders</h2>\n<p class=\"hint\">What clients asked "
	      "for and are waiting to hear about, oldest first.</p>\n",
	      f);
	if (r->n_requests == 0) {
		fputs("<p class=\"empty\">None open.</p></section>\n", f);
		return;
	}
	fputs("<table><thead><tr><th class=\"num\">#</th><th>Client</th><th>Phone</th>"
	      "<th>Request</th><th>Since</th><th class=\"num\">Waiting</th></tr></thead><tbody>\n",
	      f);
	for (size_t i = 0; i < r->n_requests; i++) {
		const struct report_request *q = &r->requests[i];
		char since[32], age[32];
		output_time(q->created, since, sizeof(since));
		since[10] = '\0';
		output_age(q->created, r->generated, age, sizeof(age));
		fprintf(f, "<tr><td class=\"num\">%lld</td><td>", (long long)q->id);
		esc(f, q->contact);
		fputs("</td><td class=\"nowrap\">", f);
		esc(f, q->phone);
		fputs("</td><td>", f);
		esc(f, q->text);
		if (q->kind == DB_NOTE_ORDER) {
			fputs("<span class=\"badge\">order</span>", f);
		}
		fputs("</td><td class=\"nowrap\">", f);
		esc(f, since);
		fputs("</td><td class=\"num\">", f);
		esc(f, age);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table></section>\n", f);
}

int report_html_write(const struct report *r, FILE *f) {
	char first[24] = "", last[24] = "", last_iso[11], generated[32], zone[16] = "";
	if (r->n_days > 0) {
		human_date(r->days[0].date, true, first, sizeof(first));
	}
	report_last_day(r, last_iso);
	human_date(last_iso, true, last, sizeof(last));
	output_time(r->generated, generated, sizeof(generated));
	time_t now = (time_t)r->generated;
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(zone, sizeof(zone), "%Z", &tm);

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"ctid " CTID_VERSION "\">\n<title>Call report ",
	      f);
	esc(f, first);
	fputs(" \xe2\x80\x93 ", f);
	esc(f, last);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n", style);
	fputs("<header><div><h1>Call report</h1><p class=\"period\">", f);
	esc(f, first);
	fputs(" \xe2\x80\x93 ", f);
	esc(f, last);
	fputs("</p></div><div class=\"brand\">Generated ", f);
	esc(f, generated);
	fputs("</div></header>\n", f);
	cards(f, r);
	chart(f, r);
	unanswered(f, r);
	top_callers(f, r);
	requests(f, r);
	fputs("<footer>ctid " CTID_VERSION " \xc2\xb7 times are local (", f);
	esc(f, zone);
	fputs(")</footer>\n</main>\n</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}
