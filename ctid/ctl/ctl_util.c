/* Helpers the CRM commands share: parsing arguments, numbers for reading. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"
#include "ctl.h"
#include "json.h"
#include "output.h"
#include "phone.h"

bool ctl_parse_int(const char *s, long min, long max, long *out) {
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

bool ctl_parse_id(const char *s, int64_t *out) {
	const char *p = s[0] == '#' ? s + 1 : s;
	if (*p < '0' || *p > '9') {
		return false;
	}
	char *end;
	errno = 0;
	long long v = strtoll(p, &end, 10);
	if (*end != '\0' || errno != 0 || v <= 0) {
		return false;
	}
	*out = v;
	return true;
}

char *ctl_join_words(int argc, char *argv[], int from) {
	size_t len = 1;
	for (int i = from; i < argc; i++) {
		len += strlen(argv[i]) + 1;
	}
	char *out = malloc(len);
	if (out == NULL) {
		return NULL;
	}
	size_t o = 0;
	for (int i = from; i < argc; i++) {
		if (i > from) {
			out[o++] = ' ';
		}
		size_t n = strlen(argv[i]);
		memcpy(out + o, argv[i], n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

bool ctl_answer_yes(void) {
	char *answer = ctl_read_line(NULL);
	bool yes = answer != NULL && (answer[0] == 'y' || answer[0] == 'Y');
	free(answer);
	return yes;
}

/* Removes the last UTF-8 character of s[0..*n), and its echo. */
static void erase_char(const char *s, size_t *n, bool hidden) {
	if (*n == 0) {
		return;
	}
	do {
		(*n)--;
	} while (*n > 0 && ((unsigned char)s[*n] & 0xc0) == 0x80);
	if (!hidden) {
		fputs("\b \b", stdout);
	}
}

/* The line, read byte by byte from a terminal in non-canonical mode. The
 * prompt comes after the switch: what is typed (or pasted) once it shows is
 * never cut by the terminal's own line editing. */
static char *read_terminal_line(const char *prompt, bool hidden) {
	struct termios saved, raw;
	if (tcgetattr(STDIN_FILENO, &saved) < 0) {
		return NULL;
	}
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	if (prompt != NULL) {
		fputs(prompt, stdout);
	}
	fflush(stdout);
	size_t n = 0, cap = 256;
	char *s = malloc(cap);
	bool done = false;
	while (s != NULL && !done) {
		unsigned char c;
		if (read(STDIN_FILENO, &c, 1) != 1 || c == 3 || (c == 4 && n == 0)) {
			free(s); /* end of input, Ctrl-C, Ctrl-D */
			s = NULL;
			break;
		}
		if (c == '\r' || c == '\n') {
			done = true;
		} else if (c == 0x7f || c == '\b') {
			erase_char(s, &n, hidden);
		} else if (c == 0x15) { /* Ctrl-U */
			while (n > 0) {
				erase_char(s, &n, hidden);
			}
		} else if (c == 0x17) { /* Ctrl-W: the word before */
			while (n > 0 && s[n - 1] == ' ') {
				erase_char(s, &n, hidden);
			}
			while (n > 0 && s[n - 1] != ' ') {
				erase_char(s, &n, hidden);
			}
		} else if (c >= 0x20 || c == '\t') {
			if (n + 2 > cap) {
				char *bigger = realloc(s, cap *= 2);
				if (bigger == NULL) {
					free(s);
					s = NULL;
					break;
				}
				s = bigger;
			}
			s[n++] = (char)c;
			if (!hidden) {
				putchar(c);
			}
		}
		fflush(stdout);
	}
	tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	putchar('\n');
	if (s != NULL) {
		s[n] = '\0';
	}
	return s;
}

char *ctl_read_password(const char *prompt) {
	return isatty(STDIN_FILENO) ? read_terminal_line(prompt, true) : NULL;
}

char *ctl_read_line(const char *prompt) {
	if (isatty(STDIN_FILENO)) {
		return read_terminal_line(prompt, false);
	}
	if (prompt != NULL) {
		fputs(prompt, stdout);
	}
	fflush(stdout);
	char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, stdin) < 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

int ctl_check_text(const char *what, const char *text, size_t max, bool lines) {
	int ret = db_check_text(text, max, lines);
	if (ret == -EMSGSIZE) {
		return ctl_fail("%s is %zu bytes long; ctid keeps up to %zu (nothing was saved)",
				what, strlen(text), max);
	}
	if (ret == -EILSEQ) {
		return ctl_fail("%s holds a control character or bytes that are not UTF-8; ctid "
				"keeps plain text%s (nothing was saved)",
				what, lines ? " (tabs and line breaks are fine)" : " on one line");
	}
	return CTL_OK;
}

void ctl_phones_text(struct ctl *ctl, int64_t contact, bool all, char *buf, size_t size) {
	output_phones(ctl->db, contact, ctl->region, all, buf, size);
}

bool ctl_help_asked(int argc, char *argv[]) {
	return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}
