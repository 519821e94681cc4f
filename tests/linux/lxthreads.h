/* lxthreads.h: what lxthreads.c and lxthreads_sync.c share. */
#ifndef LXTHREADS_H
#define LXTHREADS_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

/* ok: ERR, a pthread call's result, must be 0; else print FAIL naming WHAT and exit(1). */
void ok(int err, const char *what);
/* expect: COND must hold; else print FAIL naming WHAT and exit(1). */
void expect(int cond, const char *what);
/* tid: gettid(2) (a raw system call: older libcs lack the wrapper). */
pid_t tid(void);
/* yes: "yes" or "no". */
const char *yes(int b);
/* spawn: N threads running FN, thread i with argument i. */
void spawn(pthread_t *t, int n, void *(*fn)(void *));
/* join_all: join N threads; their results into RES unless it is NULL. */
void join_all(pthread_t *t, int n, intptr_t *res);

/* The synchronisation checks (lxthreads_sync.c); each prints its results. */
void sync_counter(void);   /* a mutex: 8 threads x 10000 increments */
void sync_queue(void);	   /* condition variables: a bounded buffer */
void sync_pingpong(void);  /* two threads alternating through a condition */
void sync_broadcast(void); /* pthread_cond_broadcast to six waiters */
void sync_barrier(void);   /* pthread_barrier_wait, three rounds */
void sync_once(void);	   /* pthread_once from eight threads */
void sync_timedwait(void); /* pthread_cond_timedwait's ETIMEDOUT, two clocks */
void sync_sleep(void);	   /* nanosleep in three threads */
void sync_rwlock(void);	   /* pthread_rwlock: two writers, four readers */
void sync_pipe(void);	   /* a pipe and an eventfd between two threads */

/* lxpreempt.c: code with no system call interrupted (timers, turns, the FPU). */
int do_preempt(void);

#endif
