/* conf_runner.c - runs the cases in forked workers, with a per-case timeout.
 *
 * Cases are cut into chunks of consecutive cases that share a setup (one
 * target, one device, one group). A worker is forked per chunk: it sets up
 * once (for the runtime group: bp_init and the plugin's load), then runs its
 * cases in order and sends, through a pipe, BEGIN before and RESULT after
 * each one. The parent polls every worker's pipe:
 *   - a worker that dies during a case fails that case ("crashed"), and a
 *     new worker resumes the chunk at the next case;
 *   - a case without a RESULT within --timeout seconds fails ("timed
 *     out"): the worker is killed and the chunk resumes after it. Once two
 *     cases of one kernel have timed out, the rest of that kernel's cases
 *     fail at once ("not run") instead of costing a timeout each.
 * Workers' stdout and stderr go to a temporary file; its tail is kept with
 * a crashed or hung case (JSON report) and not printed, so a sanitizer or
 * plugin report from a deliberately broken plugin stays out of the console. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_internal.h"

typedef struct worker {
  pid_t pid;
  int fd;              /* read end of the result pipe */
  int out_fd;          /* the worker's captured stdout/stderr */
  size_t next, end;    /* run-list positions still to do: [next, end) */
  long current;        /* case in progress, -1 */
  off_t case_out;      /* size of the captured output when it began */
  bool ready;
  double deadline;
  unsigned char buf[sizeof(conf_result_t)];
  size_t have;
} worker_t;

typedef struct runner {
  conf_suite_t *s;
  size_t *run;          /* case indices to run, in order */
  size_t num_run;
  size_t *chunk_start;  /* chunk boundaries in run */
  size_t num_chunks;
  size_t next_chunk;
  worker_t *workers;
  int active;
  size_t done, total;
  bool tty;
  double started;
} runner_t;

/* ---- the worker side ---- */

static void send_rec(int fd, const conf_result_t *r) {
  const char *p = (const char *)r;
  size_t left = sizeof(*r);
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(3);
    p += w;
    left -= (size_t)w;
  }
}

static void worker_main(runner_t *rn, size_t from, size_t to, int fd) {
  conf_suite_t *s = rn->s;
  const conf_case_t *first = &s->cases[rn->run[from]];
  conf_worker_ctx_t w = {.suite = s, .target = &s->targets[first->target], .device = first->device};
  conf_result_t rec;
  memset(&rec, 0, sizeof(rec));
  if (first->group == CONF_GROUP_RUNTIME) {
    char err[1024];
    if (conf_runtime_setup(&w, err, sizeof(err))) {
      rec.kind = CONF_MSG_SETUP_FAILED;
      snprintf(rec.message, sizeof(rec.message), "%s", err);
      send_rec(fd, &rec);
      _exit(0);
    }
  }
  rec.kind = CONF_MSG_READY;
  send_rec(fd, &rec);
  for (size_t i = from; i < to; ++i) {
    const conf_case_t *c = &s->cases[rn->run[i]];
    memset(&rec, 0, sizeof(rec));
    rec.kind = CONF_MSG_BEGIN;
    rec.index = (int32_t)rn->run[i];
    send_rec(fd, &rec);
    double t0 = conf_now();
    rec.kind = CONF_MSG_RESULT;
    rec.outcome = CONF_PENDING;
    if (c->group == CONF_GROUP_RUNTIME) conf_op_check(&w, c, &rec);
    else conf_direct_check(&w, c, &rec);
    if (rec.outcome == CONF_PENDING) conf_fail(&rec, "internal: the check decided nothing");
    rec.seconds = conf_now() - t0;
    fflush(NULL);
    send_rec(fd, &rec);
  }
  _exit(0);
}

/* ---- the parent side ---- */

static void progress(runner_t *rn, const char *name) {
  if (!rn->tty) return;
  int width = 30, filled = rn->total ? (int)(width * rn->done / rn->total) : width;
  printf("\r[%.*s%*s] %zu/%zu %-50.50s", filled, "##############################",
         width - filled, "", rn->done, rn->total, name ? name : "");
  fflush(stdout);
}

static void clear_progress(runner_t *rn) {
  if (rn->tty) printf("\r%*s\r", 100, "");
}

static void finish_case(runner_t *rn, size_t idx, const conf_result_t *res) {
  conf_case_t *c = &rn->s->cases[idx];
  c->result = *res;
  c->result.kind = CONF_MSG_RESULT;
  c->result.index = (int32_t)idx;
  rn->done++;
  bool show = rn->s->opts.verbose || (res->outcome == CONF_FAIL && !c->known);
  if (show) {
    char dev[96];
    conf_case_device_name(rn->s, c, dev, sizeof(dev));
    clear_progress(rn);
    printf("%-8s %s %s%s%s\n", res->outcome == CONF_FAIL ? "FAIL" : conf_outcome_name(res->outcome),
           dev, c->name, res->message[0] ? ": " : "", res->message);
  }
  progress(rn, c->name);
}

static void fail_case(runner_t *rn, size_t idx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail_case(runner_t *rn, size_t idx, const char *fmt, ...) {
  conf_result_t r;
  memset(&r, 0, sizeof(r));
  r.outcome = CONF_FAIL;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r.message, sizeof(r.message), fmt, ap);
  va_end(ap);
  finish_case(rn, idx, &r);
}

static off_t out_size(const worker_t *w) {
  struct stat st;
  return w->out_fd >= 0 && fstat(w->out_fd, &st) == 0 ? st.st_size : 0;
}

/* What the worker wrote since the case began (its last KiB). */
static void capture_tail(worker_t *w, conf_case_t *c) {
  off_t end = out_size(w);
  if (end <= w->case_out) return;
  size_t want = sizeof(c->stderr_tail) - 1;
  off_t from = end - w->case_out > (off_t)want ? end - (off_t)want : w->case_out;
  ssize_t n = pread(w->out_fd, c->stderr_tail, (size_t)(end - from), from);
  c->stderr_tail[n > 0 ? n : 0] = '\0';
}

/* Counts timeouts per (target, device, kernel) to stop paying for a hung
 * kernel case after case. */
typedef struct hang_note {
  int target, device;
  char key[96];
  int count;
} hang_note_t;
static hang_note_t hangs[64];
static int num_hangs;

static int hang_count(const conf_case_t *c) {
  for (int i = 0; i < num_hangs; ++i)
    if (hangs[i].target == c->target && hangs[i].device == c->device && !strcmp(hangs[i].key, c->kernel_key))
      return hangs[i].count;
  return 0;
}

static void note_hang(const conf_case_t *c) {
  if (!c->kernel_key[0]) return;
  for (int i = 0; i < num_hangs; ++i)
    if (hangs[i].target == c->target && hangs[i].device == c->device && !strcmp(hangs[i].key, c->kernel_key)) {
      hangs[i].count++;
      return;
    }
  if (num_hangs < 64) {
    hangs[num_hangs] = (hang_note_t){c->target, c->device, "", 1};
    snprintf(hangs[num_hangs].key, sizeof(hangs[num_hangs].key), "%s", c->kernel_key);
    ++num_hangs;
  }
}

/* Skips (fails) leading cases of kernels that already hung twice. */
static void skip_hung(runner_t *rn, worker_t *w) {
  while (w->next < w->end) {
    conf_case_t *c = &rn->s->cases[rn->run[w->next]];
    if (!c->kernel_key[0] || hang_count(c) < 2) break;
    fail_case(rn, rn->run[w->next], "not run: two earlier cases of the %s kernel timed out",
              c->kernel_key);
    w->next++;
  }
}

static bool spawn(runner_t *rn, worker_t *w) {
  skip_hung(rn, w);
  if (w->next >= w->end) return false;
  int fds[2];
  if (pipe(fds)) {
    for (; w->next < w->end; ++w->next)
      fail_case(rn, rn->run[w->next], "pipe failed: %s", strerror(errno));
    return false;
  }
  if (w->out_fd < 0) {
    char tmpl[] = "/tmp/bp-conformance-XXXXXX";
    w->out_fd = mkstemp(tmpl);
    if (w->out_fd >= 0) unlink(tmpl);
  }
  w->case_out = out_size(w);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    for (; w->next < w->end; ++w->next)
      fail_case(rn, rn->run[w->next], "fork failed: %s", strerror(errno));
    return false;
  }
  if (pid == 0) {
    close(fds[0]);
    int nul = open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    if (w->out_fd >= 0) {
      dup2(w->out_fd, 1);
      dup2(w->out_fd, 2);
    }
    signal(SIGPIPE, SIG_DFL);
    worker_main(rn, w->next, w->end, fds[1]);
    _exit(0);
  }
  close(fds[1]);
  w->pid = pid;
  w->fd = fds[0];
  w->current = -1;
  w->ready = false;
  w->have = 0;
  w->deadline = conf_now() + rn->s->opts.timeout_s + 30; /* setup: bp_init loads plugins */
  rn->active++;
  return true;
}

static void start_chunk(runner_t *rn, worker_t *w) {
  while (rn->next_chunk < rn->num_chunks) {
    size_t k = rn->next_chunk++;
    memset(w, 0, sizeof(*w));
    w->out_fd = -1;
    w->fd = -1;
    w->next = rn->chunk_start[k];
    w->end = rn->chunk_start[k + 1];
    if (spawn(rn, w)) return;
  }
  w->fd = -1;
}

static void describe_status(int status, char *buf, size_t n) {
  if (WIFSIGNALED(status))
    snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
  else if (WIFEXITED(status))
    snprintf(buf, n, "exited with status %d (exit() in the plugin, or a sanitizer report)",
             WEXITSTATUS(status));
  else
    snprintf(buf, n, "ended (status 0x%x)", status);
}

/* The worker ended (EOF) or was killed; account for where it was. */
static void reap(runner_t *rn, worker_t *w, bool timed_out) {
  if (timed_out) kill(w->pid, SIGKILL);
  int status = 0;
  while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
  }
  close(w->fd);
  w->fd = -1;
  rn->active--;
  char why[160];
  describe_status(status, why, sizeof(why));
  double t = rn->s->opts.timeout_s;
  if (!w->ready) {
    /* Setup never finished: every case of the chunk fails with the reason. */
    for (; w->next < w->end; ++w->next) {
      conf_case_t *c = &rn->s->cases[rn->run[w->next]];
      capture_tail(w, c);
      if (timed_out) fail_case(rn, rn->run[w->next], "worker setup timed out after %.0f s", t + 30);
      else fail_case(rn, rn->run[w->next], "worker setup crashed: %s", why);
    }
  } else if (w->current >= 0) {
    conf_case_t *c = &rn->s->cases[w->current];
    capture_tail(w, c);
    if (timed_out) {
      note_hang(c);
      fail_case(rn, (size_t)w->current, "timed out after %.3g s (a hang in the plugin?)", t);
    } else {
      fail_case(rn, (size_t)w->current, "crashed: the worker process %s during the case", why);
    }
    w->next++;
  } else if (w->next < w->end) {
    conf_case_t *c = &rn->s->cases[rn->run[w->next]];
    capture_tail(w, c);
    fail_case(rn, rn->run[w->next], "the worker process %s before the case began", why);
    w->next++;
  }
  if (w->next < w->end && spawn(rn, w)) return;
  if (w->out_fd >= 0) close(w->out_fd);
  w->out_fd = -1;
  start_chunk(rn, w);
}

static void handle(runner_t *rn, worker_t *w, const conf_result_t *rec) {
  double t = rn->s->opts.timeout_s;
  switch (rec->kind) {
    case CONF_MSG_READY:
      w->ready = true;
      w->deadline = conf_now() + t;
      break;
    case CONF_MSG_SETUP_FAILED:
      w->ready = true; /* no retry: the failure is the answer */
      for (; w->next < w->end; ++w->next)
        fail_case(rn, rn->run[w->next], "setup failed: %s", rec->message);
      break;
    case CONF_MSG_BEGIN:
      w->current = rec->index;
      w->case_out = out_size(w);
      w->deadline = conf_now() + t;
      break;
    case CONF_MSG_RESULT:
      if (rec->index == w->current) {
        finish_case(rn, (size_t)rec->index, rec);
        w->current = -1;
        w->next++;
        w->deadline = conf_now() + t;
      }
      break;
    default:
      break;
  }
}

static void build_chunks(runner_t *rn) {
  conf_suite_t *s = rn->s;
  rn->run = malloc(sizeof(size_t) * (s->num_cases + 1));
  rn->chunk_start = malloc(sizeof(size_t) * (s->num_cases + 2));
  size_t per_setup = 0;
  for (size_t i = 0; i < s->num_cases; ++i) {
    conf_case_t *c = &s->cases[i];
    if (c->group == CONF_GROUP_PARENT) continue;
    if (c->known && !s->opts.run_known_failures) continue;
    rn->run[rn->num_run++] = i;
  }
  /* Chunks: one setup each, at most `limit` cases so --jobs can share. */
  size_t limit = s->opts.jobs > 1 ? rn->num_run / (size_t)(s->opts.jobs * 4) + 1 : (size_t)-1;
  if (limit < 16) limit = 16;
  for (size_t i = 0; i < rn->num_run; ++i) {
    const conf_case_t *c = &s->cases[rn->run[i]];
    const conf_case_t *p = i ? &s->cases[rn->run[i - 1]] : NULL;
    bool boundary = !p || p->target != c->target || p->device != c->device ||
                    p->group != c->group || per_setup >= limit;
    if (boundary) {
      rn->chunk_start[rn->num_chunks++] = i;
      per_setup = 0;
    }
    per_setup++;
  }
  rn->chunk_start[rn->num_chunks] = rn->num_run;
}

void conf_runner_run(conf_suite_t *s) {
  runner_t rn;
  memset(&rn, 0, sizeof(rn));
  rn.s = s;
  rn.tty = isatty(STDOUT_FILENO);
  rn.started = conf_now();
  build_chunks(&rn);
  rn.total = rn.num_run;
  signal(SIGPIPE, SIG_IGN);
  int jobs = s->opts.jobs;
  rn.workers = calloc((size_t)jobs, sizeof(worker_t));
  for (int j = 0; j < jobs; ++j) {
    rn.workers[j].fd = -1;
    rn.workers[j].out_fd = -1;
    start_chunk(&rn, &rn.workers[j]);
  }
  struct pollfd *pfd = calloc((size_t)jobs, sizeof(*pfd));
  while (rn.active > 0) {
    double now = conf_now(), soonest = now + 3600;
    int n = 0;
    for (int j = 0; j < jobs; ++j) {
      pfd[j].fd = rn.workers[j].fd;
      pfd[j].events = POLLIN;
      pfd[j].revents = 0;
      if (rn.workers[j].fd >= 0) {
        ++n;
        if (rn.workers[j].deadline < soonest) soonest = rn.workers[j].deadline;
      }
    }
    if (!n) break;
    int wait_ms = (int)((soonest - now) * 1000) + 1;
    if (wait_ms < 0) wait_ms = 0;
    int pr = poll(pfd, (nfds_t)jobs, wait_ms);
    if (pr < 0 && errno != EINTR) break;
    now = conf_now();
    for (int j = 0; j < jobs; ++j) {
      worker_t *w = &rn.workers[j];
      if (w->fd < 0) continue;
      if (pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t r = read(w->fd, w->buf + w->have, sizeof(w->buf) - w->have);
        if (r > 0) {
          w->have += (size_t)r;
          if (w->have == sizeof(w->buf)) {
            conf_result_t rec;
            memcpy(&rec, w->buf, sizeof(rec));
            w->have = 0;
            handle(&rn, w, &rec);
          }
          continue;
        }
        if (r < 0 && errno == EINTR) continue;
        reap(&rn, w, false); /* EOF: the worker is gone */
        continue;
      }
      if (now >= w->deadline) reap(&rn, w, true);
    }
  }
  clear_progress(&rn);
  free(pfd);
  free(rn.workers);
  free(rn.run);
  free(rn.chunk_start);
}

/* ---- verdicts decided from other cases ---- */

void conf_parent_checks(conf_suite_t *s) {
  for (size_t i = 0; i < s->num_cases; ++i) {
    conf_case_t *c = &s->cases[i];
    if (c->group != CONF_GROUP_PARENT) continue;
    if (c->known && !s->opts.run_known_failures) continue;
    conf_result_t *r = &c->result;
    memset(r, 0, sizeof(*r));
    r->index = (int32_t)i;
    if (c->check == CHK_OP_NO_GENERATOR) {
      r->outcome = CONF_NOGEN;
      snprintf(r->message, sizeof(r->message),
               "registered, but the suite has no case generator for this op: not tested");
      continue;
    }
    int native = 0, fallback = 0, ran = 0;
    for (size_t j = 0; j < s->num_cases; ++j) {
      const conf_case_t *o = &s->cases[j];
      if (o->group != CONF_GROUP_RUNTIME || o->target != c->target || o->device != c->device ||
          strcmp(o->kernel_key, c->kernel_key) || o->result.outcome == CONF_PENDING)
        continue;
      ++ran;
      native += o->result.native;
      fallback += o->result.outcome == CONF_FALLBACK;
    }
    if (!ran) {
      r->outcome = CONF_SKIP;
      snprintf(r->message, sizeof(r->message), "no case of this kernel ran");
    } else if (!native && fallback) {
      r->outcome = CONF_FAIL;
      snprintf(r->message, sizeof(r->message),
               "the kernel is registered (and its dtypes claimed) but it declined all %d cases "
               "it was given: they ran on ref:0. A claim it never honours is a failure (declare "
               "only what it runs)", fallback);
      if (!c->known) {
        char dev[96];
        conf_case_device_name(s, c, dev, sizeof(dev));
        printf("FAIL     %s %s: %s\n", dev, c->name, r->message);
      }
    } else {
      r->outcome = CONF_PASS;
      snprintf(r->message, sizeof(r->message), "%d of %d cases ran natively, %d fell back", native,
               ran, fallback);
    }
  }
}
