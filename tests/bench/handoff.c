/*
 * What this machine charges for the two things a call does most besides
 * computing: a system call, and one thread waking another. ctid's call
 * path hands a call from the main loop to libnotify's thread to GDBus's
 * worker and back (about 26 context switches a call, tests/bench/run
 * --only path) and makes about 140 system calls; on a virtual machine
 * each may cost ten to a hundred times what it does on bare metal, and the
 * CPU time measured for a call is mostly that price. tests/bench/run
 * prints these beside the call's CPU so the two can be read together.
 *
 * handoff ROUNDS [GAP_MS]: prints
 *   "handoff ROUNDS syscall_us X wake_us Y"
 * syscall_us: the CPU of one getppid() (a system call that does nothing);
 * wake_us: the CPU, both threads together, of one thread waking another
 * through an eventfd (what GLib's main contexts use), its system calls not
 * counted: each thread's CPU clock over the rounds, less syscall_us for
 * each system call made, over the wakes. GAP_MS (default 0) apart, each
 * round starts with the first thread waking from a sleep too (a third wake
 * a round): after idle a wake costs a virtual machine more (caches gone
 * cold), so the bench also runs it at its calls' pace. What waking an idle
 * vCPU costs the host is nobody's CPU time here, as in ctid's figures.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int ping_fd, pong_fd;

static double cpu_us(clockid_t clock) {
	struct timespec t;
	clock_gettime(clock, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void *echo(void *data) {
	(void)data;
	uint64_t v;
	while (read(ping_fd, &v, sizeof(v)) == sizeof(v)) {
		if (v == UINT64_MAX - 1) {
			break;
		}
		if (write(pong_fd, &v, sizeof(v)) != sizeof(v)) {
			break;
		}
	}
	return NULL;
}

static int round_trip(uint64_t v) {
	uint64_t back;
	if (write(ping_fd, &v, sizeof(v)) != sizeof(v) ||
	    read(pong_fd, &back, sizeof(back)) != sizeof(back)) {
		perror("handoff: eventfd");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv) {
	long rounds = argc > 1 ? atol(argv[1]) : 0;
	long gap_ms = argc > 2 ? atol(argv[2]) : 0;
	if (rounds <= 0 || gap_ms < 0) {
		fprintf(stderr, "usage: handoff ROUNDS [GAP_MS]\n");
		return 2;
	}
	const long calls = 100000;
	double t0 = cpu_us(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < calls; i++) {
		syscall(SYS_getppid);
	}
	double syscall_us = (cpu_us(CLOCK_THREAD_CPUTIME_ID) - t0) / (double)calls;

	ping_fd = eventfd(0, EFD_CLOEXEC);
	pong_fd = eventfd(0, EFD_CLOEXEC);
	pthread_t thread;
	clockid_t echo_clock;
	if (ping_fd < 0 || pong_fd < 0 || pthread_create(&thread, NULL, echo, NULL) != 0 ||
	    pthread_getcpuclockid(thread, &echo_clock) != 0) {
		perror("handoff");
		return 1;
	}
	if (round_trip(1) < 0) { /* the thread is up and has slept once */
		return 1;
	}
	double main0 = cpu_us(CLOCK_THREAD_CPUTIME_ID), echo0 = cpu_us(echo_clock);
	for (long i = 0; i < rounds; i++) {
		if (gap_ms > 0) {
			struct timespec gap = {gap_ms / 1000, gap_ms % 1000 * 1000 * 1000};
			nanosleep(&gap, NULL);
		}
		if (round_trip(1) < 0) {
			return 1;
		}
	}
	/* (the echo thread is back asleep in read(): its clock has stopped) */
	double total = cpu_us(CLOCK_THREAD_CPUTIME_ID) - main0 + cpu_us(echo_clock) - echo0;
	/* a round: write and read on each side, and the sleep; two wakes, and
	 * the sleep's end */
	double per_round_syscalls = gap_ms > 0 ? 5 : 4;
	double per_round_wakes = gap_ms > 0 ? 3 : 2;
	double wake_us = (total - (double)rounds * per_round_syscalls * syscall_us) /
			 ((double)rounds * per_round_wakes);
	uint64_t quit = UINT64_MAX - 1;
	if (write(ping_fd, &quit, sizeof(quit)) != sizeof(quit)) {
		return 1;
	}
	pthread_join(thread, NULL);
	printf("handoff %ld syscall_us %.3f wake_us %.3f\n", rounds, syscall_us, wake_us);
	return 0;
}
