/* The program's one thread-count knob and the static parallel-for that the
 * runtime and generated code split their work with.
 *
 * A training step runs a few hundred short parallel loops (tens of µs
 * each), so the hand-off decides the 2-thread speed. OpenMP's team spins
 * for milliseconds after each region (libgomp's default spin count): on a
 * machine shared with other jobs the spinning thread takes the core its
 * partner needs, and a step ran 4-10× slower on 2 threads than on 1. This
 * pool spins briefly (a few µs, the gap between two loops of a step), then
 * sleeps on a futex, both for its workers and for the caller waiting for
 * them. */
#include "cratert_abi.h"

#include <immintrin.h>
#include <limits.h>
#include <linux/futex.h>
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0 until set: then every caller sees all cores, the documented default (docs/cli.md §2). */
static atomic_int thread_count;

void crt_set_threads(int n) {
  int cores = omp_get_num_procs();
  int chosen = n <= 0 ? cores : n;
  atomic_store(&thread_count, chosen);
  /* The runtime's own `omp parallel for` loops take OpenMP's default. */
  omp_set_num_threads(chosen);
}

int crt_threads(void) {
  int n = atomic_load(&thread_count);
  return n > 0 ? n : omp_get_num_procs();
}

enum {
  MAX_WORKERS = 255,
  /* Pause iterations before sleeping: ~20-100 µs depending on the CPU's
   * pause latency, longer than the serial code between two loops of a
   * step, far shorter than a scheduler time slice. */
  SPIN = 2000,
};

static void futex_wait(atomic_uint *word, unsigned seen) {
  syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word) {
  syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Returns once *WORD differs from SEEN: spins, then sleeps. SLEEPERS counts
 * the threads that may be asleep on WORD, so the writer wakes them only
 * when one might be (a syscall per loop would cost as much as the spin). */
static void await_change(atomic_uint *word, unsigned seen, atomic_int *sleepers) {
  for (int i = 0; i < SPIN; i++) {
    if (atomic_load_explicit(word, memory_order_acquire) != seen) return;
    _mm_pause();
  }
  atomic_fetch_add(sleepers, 1);
  while (atomic_load(word) == seen) futex_wait(word, seen);
  atomic_fetch_sub(sleepers, 1);
}

static void publish(atomic_uint *word, atomic_int *sleepers) {
  atomic_fetch_add(word, 1);
  if (atomic_load(sleepers) > 0) futex_wake(word);
}

/* One loop at a time: the job, its generation (bumped to start the
 * workers) and the count of workers done (bumped by each, read by the
 * caller). */
static struct {
  atomic_flag busy;
  pthread_mutex_t grow;
  int workers; /* started so far; they live as long as the process */
  unsigned start_generation; /* the generation new workers wait to pass */
  crt_range_fn fn;
  void *ctx;
  int64_t n;
  int team;
  atomic_uint generation, finished;
  atomic_int idle_sleepers, caller_sleeping;
} pool = {.busy = ATOMIC_FLAG_INIT, .grow = PTHREAD_MUTEX_INITIALIZER};

/* Set on pool workers and on a caller while it leads a loop: a nested loop
 * runs on the thread that reached it. */
static _Thread_local bool in_loop;

static void run_share(int t) {
  int64_t begin = pool.n * t / pool.team, end = pool.n * (t + 1) / pool.team;
  if (begin < end) pool.fn(pool.ctx, begin, end);
}

static void *worker(void *arg) {
  const int t = (int)(intptr_t)arg;
  in_loop = true;
  unsigned seen = pool.start_generation;
  for (;;) {
    await_change(&pool.generation, seen, &pool.idle_sleepers);
    seen = atomic_load_explicit(&pool.generation, memory_order_acquire);
    if (t < pool.team) run_share(t);
    publish(&pool.finished, &pool.caller_sleeping);
  }
  return NULL;
}

/* A forked child has only the thread that forked (Check runs each test in
 * one): it starts its own workers when it needs them. */
static void forget_workers(void) {
  pool.workers = 0;
  atomic_flag_clear(&pool.busy);
  pthread_mutex_init(&pool.grow, NULL);
}

static void register_fork_handler(void) { pthread_atfork(NULL, NULL, forget_workers); }

/* Starts workers 1..COUNT-1; false when the system refuses a thread. */
static bool ensure_workers(int count) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, register_fork_handler);
  pthread_mutex_lock(&pool.grow);
  pool.start_generation = atomic_load(&pool.generation);
  while (pool.workers < count - 1) {
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int failed = pthread_create(&thread, &attr, worker, (void *)(intptr_t)(pool.workers + 1));
    pthread_attr_destroy(&attr);
    if (failed) break;
    pool.workers++;
  }
  bool ok = pool.workers >= count - 1;
  pthread_mutex_unlock(&pool.grow);
  return ok;
}

void crt_parallel_for(int64_t n, crt_range_fn fn, void *ctx) {
  if (n <= 0) return;
  int threads = crt_threads();
  if (threads > n) threads = (int)n;
  if (threads > MAX_WORKERS + 1) threads = MAX_WORKERS + 1;
  /* Nested, or a loop already running from another thread of the user's,
   * or no threads to be had: the items run here, with the same results. */
  if (threads <= 1 || in_loop || atomic_flag_test_and_set(&pool.busy)) {
    fn(ctx, 0, n);
    return;
  }
  if (!ensure_workers(threads)) {
    atomic_flag_clear(&pool.busy);
    fn(ctx, 0, n);
    return;
  }
  pool.fn = fn, pool.ctx = ctx, pool.n = n, pool.team = threads;
  /* Every worker reports, those beyond the team too (a smaller --threads
   * after a larger one): none may still read the job when the next is
   * written. */
  unsigned done = atomic_load(&pool.finished) + (unsigned)pool.workers;
  publish(&pool.generation, &pool.idle_sleepers);
  in_loop = true;
  run_share(0);
  in_loop = false;
  for (unsigned now; (now = atomic_load_explicit(&pool.finished, memory_order_acquire)) != done;)
    await_change(&pool.finished, now, &pool.caller_sleeping);
  atomic_flag_clear(&pool.busy);
}
