/*
 * conf_internal.h - the conformance suite's shared types.
 *
 * The suite works in three steps, each in its own file:
 *   1. discovery (conf_discover.c): child processes list the plugins and,
 *      acting as a plain ABI host, what each one registers and claims;
 *   2. the case registry (conf_registry.c): the parent turns that into a
 *      flat list of named cases (ABI, memory, errors, ops);
 *   3. the runner (conf_runner.c): forked workers run the cases, each with
 *      a timeout, and send one conf_result_t per case through a pipe.
 * Reports (conf_report_*.c, conf_summary.c) only read the finished list.
 */
#ifndef BACKPLANE_CONFORMANCE_CONF_INTERNAL_H_
#define BACKPLANE_CONFORMANCE_CONF_INTERNAL_H_

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backplane/backplane.h"
#include "backplane/bp_conformance.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define CONF_MAX_TARGETS 32
#define CONF_MAX_DEVICES 16
#define CONF_MAX_SIG 8
#define CONF_MAX_DIMS 8

/* ---- options (conf_options.c) ---- */

typedef enum conf_tier { CONF_TIER_QUICK = 1, CONF_TIER_FULL = 2 } conf_tier_t;

typedef struct conf_options {
  const char *backend;     /* --backend NAME */
  const char *plugin;      /* --plugin PATH */
  const char *device;      /* --device DEV: "name:idx" or "idx" */
  const char *filter;      /* --filter GLOB[,GLOB...] */
  conf_tier_t tier;
  uint64_t seed;
  const char *json_path;
  const char *junit_path;
  const char *known_failures_path; /* --known-failures FILE (else the tree's) */
  int jobs;
  double timeout_s;        /* per case */
  bool run_known_failures;
  bool list_only;
  bool verbose;
} conf_options_t;

/* Returns 0 on success, 1 when --help was printed, 2 on a usage error
 * (message printed to stderr). */
int conf_options_parse(int argc, char **argv, conf_options_t *out);
void conf_options_usage(FILE *f);

/* ---- results ---- */

typedef enum conf_outcome {
  CONF_PENDING = 0,
  CONF_PASS,
  CONF_FAIL,
  CONF_SKIP,
  CONF_FALLBACK,   /* declined by supports()/UNSUPPORTED: ran on ref:0 */
  CONF_KNOWN,      /* listed in known-failures (not run, or run and failed) */
  CONF_XPASS,      /* listed in known-failures but passed: shrink the list */
  CONF_NOGEN,      /* a registered kernel the suite has no generator for */
} conf_outcome_t;

const char *conf_outcome_name(conf_outcome_t o);

/* What a worker sends for one case (fixed size, below PIPE_BUF, so one
 * write() is atomic). */
typedef struct conf_result {
  int32_t kind;        /* CONF_MSG_* */
  int32_t index;       /* case index */
  int32_t outcome;     /* conf_outcome_t */
  int32_t exact;       /* 1 when compared bit-exactly */
  int32_t native;      /* 1 when the plugin's own kernel ran (not fallback) */
  int32_t compared;    /* 1 when max_error/tolerance are meaningful */
  double max_error;    /* largest |device - reference| over the elements */
  double error_ratio;  /* largest error / allowed error (<= 1 passes) */
  double rtol, atol;   /* tolerance used (0, 0 when exact) */
  double seconds;
  char message[1536];
} conf_result_t;

enum { CONF_MSG_READY = 1, CONF_MSG_BEGIN = 2, CONF_MSG_RESULT = 3, CONF_MSG_SETUP_FAILED = 4 };

/* ---- targets: one plugin and what discovery learned of it ---- */

typedef struct conf_kernel {
  char op[64];
  uint32_t num_dtypes;
  bp_dtype_t dtypes[CONF_MAX_SIG];
  bool has_supports;
} conf_kernel_t;

typedef struct conf_target {
  char name[64];          /* plugin name ("" when the table was unreadable) */
  char version[64];
  char vendor[128];
  char path[PATH_MAX];    /* "" for the built-in reference */
  bool builtin;
  char loader_state[16];  /* what libbackplane said: loaded/rejected/"" */
  char loader_reason[512];
  /* from the direct-ABI discovery */
  bool discovered;        /* query + init succeeded */
  char discover_error[512];
  uint32_t abi_version;
  uint32_t struct_size;
  uint32_t device_count;
  bp_device_props_t props[CONF_MAX_DEVICES];
  uint32_t num_kernels;
  conf_kernel_t *kernels;
  /* devices selected for this run (--device) */
  bool device_selected[CONF_MAX_DEVICES];
} conf_target_t;

/* ---- cases ---- */

typedef enum conf_group {
  CONF_GROUP_DIRECT = 1,   /* drives the plugin through the raw ABI */
  CONF_GROUP_RUNTIME = 2,  /* goes through libbackplane's public API */
  CONF_GROUP_PARENT = 3,   /* decided in the parent from other results */
} conf_group_t;

/* Checks of the direct group (conf_abi_checks.c, conf_memory_checks.c). */
typedef enum conf_check {
  CHK_ENTRY_SYMBOL = 1,
  CHK_QUERY_1_0,
  CHK_QUERY_1_9,
  CHK_QUERY_2_0,
  CHK_QUERY_0_9,
  CHK_TABLE_VERSION,
  CHK_TABLE_SIZE,
  CHK_TABLE_ENTRIES,
  CHK_TABLE_NAME,
  CHK_INIT_REGISTRATIONS,
  CHK_DTYPE_CLAIMS,
  CHK_DEVICE_COUNT,
  CHK_REINIT,
  /* per device */
  CHK_PROPS,
  CHK_PROPS_STRUCT_SIZE,
  CHK_DTYPES_BACKED,
  CHK_MEM_ALLOC_ZERO,
  CHK_MEM_ALLOC_SIZES,
  CHK_MEM_ALLOC_LARGE,
  CHK_MEM_TOO_LARGE,
  CHK_MEM_FREE_NULL,
  CHK_MEM_ROUNDTRIP,
  CHK_MEM_D2D,
  CHK_MEM_FILL,
  CHK_MEM_ORDERING,
  CHK_MEM_THREADS,
  CHK_MEM_LEAK,
  CHK_ERR_BAD_DEVICE,
  CHK_ERR_OOM_MESSAGE,
  /* ops (runtime group) */
  CHK_OP_VARIANT,
  CHK_OP_DETERMINISM,
  CHK_OP_THREADS,
  /* parent-decided */
  CHK_OP_CAPABILITY,
  CHK_OP_NO_GENERATOR,
} conf_check_t;

typedef struct conf_case {
  char name[128];          /* "abi/table/struct_size", "ops/add/f32/odd" */
  const char *rule;        /* "ABI-4", or NULL */
  const char *what;        /* one line: what is checked */
  int target;
  int device;              /* -1 for plugin-level cases */
  conf_group_t group;
  conf_check_t check;
  /* ops */
  int family;              /* conf_op_family index, -1 else */
  int variant;             /* index in the family's variant table */
  uint32_t num_sig;
  bp_dtype_t sig[CONF_MAX_SIG];
  char kernel_key[96];     /* "op/sig": cases of one kernel share it */
  /* bookkeeping */
  bool known;              /* listed in known-failures */
  char known_reason[256];
  conf_result_t result;
  char stderr_tail[1024];  /* what a crashed or hung worker last wrote */
} conf_case_t;

typedef struct conf_suite {
  conf_options_t opts;
  conf_target_t targets[CONF_MAX_TARGETS];
  int num_targets;
  conf_case_t *cases;
  size_t num_cases, cap_cases;
  double wall_seconds;
  char command[1024];      /* the command line, for the reports */
  char started_at[32];     /* UTC, ISO 8601 */
} conf_suite_t;

/* ---- discovery (conf_discover.c) ---- */

/* Fills suite->targets from the options. Prints the reason and returns
 * nonzero when nothing matches. */
int conf_discover(conf_suite_t *suite);

/* ---- registry (conf_registry.c) ---- */

int conf_registry_build(conf_suite_t *suite);
bool conf_filter_match(const char *filter, const char *name);
/* "f32", "f32_to_i64": the short name of a kernel signature. */
void conf_sig_name(char *buf, size_t size, const char *op, const bp_dtype_t *sig, uint32_t n);

/* ---- known failures (conf_known_failures.c) ---- */

/* Marks the cases of each target listed in its known-failures file. */
int conf_known_failures_apply(conf_suite_t *suite);
/* After the run: listed cases become "known failure", or "unexpected pass"
 * when they were run (--run-known-failures) and passed. */
void conf_known_failures_finalize(conf_suite_t *suite);

/* ---- runner (conf_runner.c) ---- */

void conf_runner_run(conf_suite_t *suite);
/* Evaluates CONF_GROUP_PARENT cases once the others are done. */
void conf_parent_checks(conf_suite_t *suite);

/* ---- check implementations (run in a worker) ---- */

/* A worker's context: which target/device it serves. */
typedef struct conf_worker_ctx {
  const conf_suite_t *suite;
  const conf_target_t *target;
  int device;
  /* runtime group */
  bp_device_t *dev;
  bp_device_t *ref;
} conf_worker_ctx_t;

/* Direct-ABI checks; fill r->outcome and r->message. */
void conf_direct_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r);
/* Runtime group: setup once per worker (nonzero + message on failure). */
int conf_runtime_setup(conf_worker_ctx_t *w, char *err, size_t err_size);
void conf_op_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r);

/* Formats into r->message (appending when r->message is not empty). */
void conf_msg(conf_result_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sets outcome FAIL with a message (first failure wins the outcome). */
void conf_fail(conf_result_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- reports ---- */

void conf_summary_print(const conf_suite_t *suite, FILE *f);
int conf_report_json(const conf_suite_t *suite, const char *path);
int conf_report_junit(const conf_suite_t *suite, const char *path);
/* "ref:0" or "ref" (plugin-level). */
void conf_case_device_name(const conf_suite_t *suite, const conf_case_t *c, char *buf, size_t n);

/* ---- small utilities (conf_util.c) ---- */

double conf_now(void);
uint64_t conf_hash(uint64_t seed, const char *s);
typedef struct conf_rng { uint64_t s; } conf_rng_t;
uint64_t conf_rng_next(conf_rng_t *r);
double conf_rng_uniform(conf_rng_t *r, double lo, double hi);
int64_t conf_rng_int(conf_rng_t *r, int64_t lo, int64_t hi);
const char *conf_dtype_name(bp_dtype_t d);
bool conf_dtype_is_float(bp_dtype_t d);
size_t conf_dtype_size(bp_dtype_t d);
/* Element <-> double/int64 (f16 and bf16 converted exactly or rounded to
 * nearest even); pointers may be unaligned. */
double conf_load_f64(bp_dtype_t d, const void *p);
int64_t conf_load_i64(bp_dtype_t d, const void *p);
void conf_store_f64(bp_dtype_t d, void *p, double v);
void conf_store_i64(bp_dtype_t d, void *p, int64_t v);
/* Smallest normal and machine epsilon of a float dtype. */
double conf_dtype_eps(bp_dtype_t d);
double conf_dtype_min_normal(bp_dtype_t d);
double conf_dtype_max(bp_dtype_t d);
double conf_dtype_denorm_min(bp_dtype_t d);
int conf_parse_device(const char *s, char *name, size_t n, int *index);

#endif /* BACKPLANE_CONFORMANCE_CONF_INTERNAL_H_ */
