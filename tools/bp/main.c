/*
 * main.c - the `bp` command: parses the command name and hands the rest of
 * the arguments to a subcommand (cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "backplane/bp_conformance.h"
#include "bp_cli.h"

typedef struct command {
  const char *name;
  const char *summary;
  bpcli_cmd_fn_t fn;
} command_t;

static const command_t commands[] = {
    {"devices", "list plugins (loaded or rejected, with the reason) and devices", bpcli_cmd_devices},
    {"ops", "list the op catalog and which dtypes each plugin implements natively", bpcli_cmd_ops},
    {"conformance", "prove a plugin right: ABI, memory and ops against ref:0 (docs/conformance.md)",
     bp_conformance_main},
    {"new-backend", "write a new out-of-tree backend project that builds, loads and passes conformance",
     bpcli_cmd_new_backend},
    {"doctor", "explain why a plugin does not load or a device does not appear", bpcli_cmd_doctor},
    {"bench", "measure the dispatcher's per-op overhead and the reference kernels' speed (bp bench dispatch|ops|autograd)", bpcli_cmd_bench},
    {"train", "train an MLP or a CNN on Fashion-MNIST with autograd and the optimizer ops", bpcli_cmd_train},
};
#define NUM_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out) {
  fputs("usage: bp <command> [options]\n"
        "       bp help [<command>]\n"
        "       bp --version\n"
        "\n"
        "Backplane's command-line tool.\n"
        "\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < NUM_COMMANDS; ++i)
    fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
  fputs("  help         show this help, or a command's (bp help <command>)\n"
        "\n"
        "options:\n"
        "  -h, --help     show this help (bp <command> --help for a command's)\n"
        "  --version      print the Backplane and plugin ABI versions\n"
        "\n"
        "environment:\n"
        "  BP_PLUGIN_PATH  colon-separated folders searched for plugins before the\n"
        "                  install's plugin folder (empty: only the install's)\n"
        "  BP_PLUGINS      which plugins the search loads: acme,opencl (only these),\n"
        "                  -vulkan (all but these) or none\n"
        "  BP_DEVICE       the default device, e.g. ref:0 or opencl:1\n"
        "  BP_FALLBACK     allow|warn|error: what to do when a device lacks a kernel\n"
        "                  (default warn)\n"
        "  BP_LOG          debug|info|warn|error|off (default warn)\n"
        "  (docs/devices.md has them all; bp doctor shows their values)\n"
        "\n"
        "exit status: 0 success, 1 failure, 2 usage error\n",
        out);
}

static const command_t *find_command(const char *name) {
  for (size_t i = 0; i < NUM_COMMANDS; ++i)
    if (!strcmp(commands[i].name, name)) return &commands[i];
  return NULL;
}

static int usage_error(const char *fmt, const char *arg) {
  fputs("bp: ", stderr);
  fprintf(stderr, fmt, arg);
  fputs("\n\n", stderr);
  print_usage(stderr);
  return BPCLI_EXIT_USAGE;
}

static int run_help(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stdout);
    return BPCLI_EXIT_OK;
  }
  if (argc > 2) return usage_error("help: unexpected argument '%s'", argv[2]);
  const command_t *cmd = find_command(argv[1]);
  if (!cmd) return usage_error("help: unknown command '%s'", argv[1]);
  char help[] = "--help";
  char *sub_argv[] = {argv[1], help, NULL};
  return cmd->fn(2, sub_argv);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    print_usage(stderr);
    return BPCLI_EXIT_USAGE;
  }
  const char *first = argv[1];
  if (bpcli_is_help(first)) {
    print_usage(stdout);
    return BPCLI_EXIT_OK;
  }
  if (!strcmp(first, "--version")) {
    /* The versions bp was built against; it links the same libbackplane. */
    printf("bp (Backplane) %s, plugin ABI %u.%u\n", BP_VERSION_STRING,
           (unsigned)BP_ABI_VERSION_MAJOR, (unsigned)BP_ABI_VERSION_MINOR);
    return BPCLI_EXIT_OK;
  }
  if (!strcmp(first, "help")) return run_help(argc - 1, argv + 1);
  if (first[0] == '-') return usage_error("unknown option '%s'", first);
  const command_t *cmd = find_command(first);
  if (!cmd) return usage_error("unknown command '%s'", first);
  return cmd->fn(argc - 1, argv + 1);
}
