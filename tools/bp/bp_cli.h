/*
 * bp_cli.h - what the `bp` subcommands share: their entry points, exit
 * codes and small formatting helpers. The tool uses only the public API
 * (backplane.h); nothing here is part of libbackplane.
 */
#ifndef BPCLI_BP_CLI_H_
#define BPCLI_BP_CLI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backplane/backplane.h"

/* Exit codes of every command. */
enum {
  BPCLI_EXIT_OK = 0,
  BPCLI_EXIT_FAILURE = 1, /* the runtime failed to start, or a call failed */
  BPCLI_EXIT_USAGE = 2,   /* unknown command, flag or bad flag value */
};

/* A subcommand: argv[0] is its name, the rest its arguments. */
typedef int (*bpcli_cmd_fn_t)(int argc, char **argv);

int bpcli_cmd_devices(int argc, char **argv);
int bpcli_cmd_ops(int argc, char **argv);
int bpcli_cmd_bench(int argc, char **argv);
/* `bp train` (cmd_train.c). */
int bpcli_cmd_train(int argc, char **argv);
/* `bp bench autograd` (cmd_bench_autograd.c). */
int bpcli_bench_autograd(int iters, int reps, bool json);
int bpcli_cmd_new_backend(int argc, char **argv);
int bpcli_cmd_doctor(int argc, char **argv);
/* `bp bench ops` (cmd_bench_ops.c). */
int bpcli_bench_ops(bool quick, int reps, bool json);
/* `bp bench ops --device DEV`: DEV beside ref:0 (cmd_bench_ops.c). */
int bpcli_bench_ops_device(const char *device, bool quick, int reps, bool json);

/* True for "-h" and "--help". */
bool bpcli_is_help(const char *arg);
/* Prints "bp: <message>" and then usage to stderr; returns BPCLI_EXIT_USAGE. */
int bpcli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Starts the runtime; on failure prints the error and returns false. */
bool bpcli_runtime_start(void);

/* "1.5 GiB", "512 B": binary units, one decimal. Returns buf. */
const char *bpcli_format_bytes(char *buf, size_t size, uint64_t bytes);
/* "1.0" for an ABI version (major << 16 | minor); "unknown" for 0. */
const char *bpcli_format_abi(char *buf, size_t size, uint32_t version);
/* "cpu", "gpu", "accelerator", or "kind <n>". Returns buf or a literal. */
const char *bpcli_device_kind_name(char *buf, size_t size, bp_device_kind_t kind);
/* bp_dtype_name, or "dtype<N>" for a dtype this build does not know (one of
 * a newer ABI minor). Returns buf or a literal. */
const char *bpcli_dtype_label(char *buf, size_t size, bp_dtype_t dtype);
/* Dtype labels of a dtype mask, comma-separated ("bool,u8,...,f64"). */
const char *bpcli_format_dtype_mask(char *buf, size_t size, uint32_t mask);

#endif /* BPCLI_BP_CLI_H_ */
