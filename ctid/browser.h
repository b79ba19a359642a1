#ifndef CTID_BROWSER_H
#define CTID_BROWSER_H

/*
 * Opens url in the user's web browser: the program $BROWSER names (the
 * first of a ':'-separated list, as xdg-open reads it), else the desktop's
 * default for http(s) through GIO. Started without a shell. Returns 0, or
 * -errno after logging why.
 */
int browser_open(const char *url);

#endif
