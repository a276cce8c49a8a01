/*
 * cmd_ops.c - `bp ops`: the op catalog and, for each loaded plugin, the
 * dtype signatures it implements natively; as text, JSON or the Markdown of
 * docs/ops.md.
 *
 * Everything comes from the public API: the catalog (bp_op_query_info,
 * bp_op_slot_name, bp_op_query_attr) and each plugin's kernel signatures
 * (one dtype per tensor slot: inputs, then outputs). Signatures are shown
 * compactly: the dtypes of signatures whose slots all share one dtype are
 * listed together ("f32,f64"); others are written "a,b->c".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp_cli.h"
#include "json.h"

static const char usage[] =
    "usage: bp ops [--json | --markdown]\n"
    "\n"
    "Lists the op catalog and, for each loaded plugin, the dtype signatures it\n"
    "implements natively (ops it lacks run on ref:0, see BP_FALLBACK).\n"
    "\"f32,f64\" lists signatures whose tensors all have that dtype; \"a->b\"\n"
    "lists the others (inputs -> output); \"any\" stands for every dtype.\n"
    "\n"
    "options:\n"
    "  --json      print one JSON object with every signature\n"
    "  --markdown  print the Markdown of docs/ops.md\n"
    "  -h, --help  show this help\n";

#define MAX_SIG_SLOTS 32
/* The dtypes of ABI v1.0: bool .. f64. */
#define ALL_DTYPES_MASK (((1u << BP_DTYPE_COUNT_V1_0) - 1u) & ~1u)

typedef struct sig {
  uint32_t len;
  bp_dtype_t dtypes[MAX_SIG_SLOTS];
} sig_t;

typedef struct sig_list {
  uint32_t count;
  sig_t *sigs;
} sig_list_t;

/* The plugin's kernel signatures for op_id; false (printed) on error. */
static bool query_sigs(const bp_plugin_t *plugin, uint32_t op_id, sig_list_t *out) {
  out->count = bp_plugin_kernel_count(plugin, op_id);
  out->sigs = out->count ? calloc(out->count, sizeof(sig_t)) : NULL;
  if (out->count && !out->sigs) {
    fprintf(stderr, "bp: out of memory\n");
    return false;
  }
  for (uint32_t k = 0; k < out->count; ++k) {
    sig_t *s = &out->sigs[k];
    if (bp_plugin_kernel_signature(plugin, op_id, k, s->dtypes, MAX_SIG_SLOTS, &s->len)) {
      fprintf(stderr, "bp: op %s, kernel %u: %s\n", bp_op_name(op_id), (unsigned)k,
              bp_last_error());
      free(out->sigs);
      out->sigs = NULL;
      out->count = 0;
      return false;
    }
  }
  return true;
}

static bool is_uniform(const sig_t *s) {
  for (uint32_t i = 1; i < s->len; ++i)
    if (s->dtypes[i] != s->dtypes[0]) return false;
  return s->len > 0;
}

static int popcount(uint32_t m) {
  int n = 0;
  for (; m; m &= m - 1) ++n;
  return n;
}

static const char *dtype_label(bp_dtype_t d) {
  static char buf[32]; /* single-threaded tool */
  return bpcli_dtype_label(buf, sizeof(buf), d);
}

/* "f32", "any", or "{u8,i8}" (braces when several). */
static void print_dtype_set(FILE *out, uint32_t mask) {
  if (mask == ALL_DTYPES_MASK) {
    fputs("any", out);
    return;
  }
  bool several = popcount(mask) > 1;
  if (several) fputc('{', out);
  bool first = true;
  for (bp_dtype_t d = 1; d < 32; ++d) {
    if (!(mask & BP_DTYPE_BIT(d))) continue;
    fprintf(out, "%s%s", first ? "" : ",", dtype_label(d));
    first = false;
  }
  if (several) fputc('}', out);
}

/* Two-slot signatures forming a full product (e.g. copy: every src dtype to
 * every dst dtype) print as "{srcs}->{dsts}". */
static bool print_if_product(FILE *out, const sig_list_t *l) {
  uint32_t firsts = 0, lasts = 0;
  for (uint32_t k = 0; k < l->count; ++k) {
    if (l->sigs[k].len != 2) return false;
    firsts |= BP_DTYPE_BIT(l->sigs[k].dtypes[0]);
    lasts |= BP_DTYPE_BIT(l->sigs[k].dtypes[1]);
  }
  /* A plugin registers each signature once, so the count decides. */
  if ((uint32_t)(popcount(firsts) * popcount(lasts)) != l->count || popcount(lasts) < 2)
    return false;
  print_dtype_set(out, firsts);
  fputs("->", out);
  print_dtype_set(out, lasts);
  return true;
}

/* The compact form of a signature list; "-" when empty. */
static void print_compact(FILE *out, const sig_list_t *l) {
  if (l->count == 0) {
    fputc('-', out);
    return;
  }
  if (print_if_product(out, l)) return;
  uint32_t uniform = 0;
  for (uint32_t k = 0; k < l->count; ++k)
    if (is_uniform(&l->sigs[k])) uniform |= BP_DTYPE_BIT(l->sigs[k].dtypes[0]);
  bool first = true;
  for (bp_dtype_t d = 1; d < 32; ++d) {
    if (!(uniform & BP_DTYPE_BIT(d))) continue;
    fprintf(out, "%s%s", first ? "" : ",", dtype_label(d));
    first = false;
  }
  /* Mixed signatures, those sharing all but the last slot merged. */
  bool *done = calloc(l->count, sizeof(bool));
  for (uint32_t k = 0; k < l->count; ++k) {
    const sig_t *s = &l->sigs[k];
    if (is_uniform(s) || (done && done[k])) continue;
    uint32_t lasts = BP_DTYPE_BIT(s->dtypes[s->len - 1]);
    for (uint32_t m = k + 1; done && m < l->count; ++m) {
      const sig_t *t = &l->sigs[m];
      if (is_uniform(t) || t->len != s->len ||
          memcmp(t->dtypes, s->dtypes, sizeof(bp_dtype_t) * (s->len - 1)))
        continue;
      lasts |= BP_DTYPE_BIT(t->dtypes[t->len - 1]);
      done[m] = true;
    }
    fputs(first ? "" : " ", out);
    first = false;
    for (uint32_t i = 0; i + 1 < s->len; ++i) fprintf(out, "%s%s", i ? "," : "", dtype_label(s->dtypes[i]));
    fputs("->", out);
    print_dtype_set(out, lasts);
  }
  free(done);
}


/* "add(a, b, *, alpha: float = 1) -> out" into buf. */
static const char *format_call(char *buf, size_t size, uint32_t op) {
  bp_op_info_t info = {.struct_size = sizeof(info)};
  if (bp_op_query_info(op, &info)) {
    snprintf(buf, size, "%s(?)", bp_op_name(op));
    return buf;
  }
  size_t n = (size_t)snprintf(buf, size, "%s(", info.name);
  for (uint32_t i = 0; i < info.num_inputs && n < size; ++i)
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", bp_op_slot_name(op, i));
  for (uint32_t i = 0; i < info.num_attrs && n < size; ++i) {
    bp_attr_t a;
    if (bp_op_query_attr(op, i, &a, NULL)) continue;
    const char *sep = i == 0 ? (info.num_inputs ? ", *, " : "*, ") : ", ";
    switch (a.type) {
      case BP_ATTR_INT: n += (size_t)snprintf(buf + n, size - n, "%s%s: int = %lld", sep, a.name, (long long)a.value.i); break;
      case BP_ATTR_FLOAT: n += (size_t)snprintf(buf + n, size - n, "%s%s: float = %g", sep, a.name, a.value.f); break;
      case BP_ATTR_BOOL: n += (size_t)snprintf(buf + n, size - n, "%s%s: bool = %s", sep, a.name, a.value.b ? "true" : "false"); break;
      case BP_ATTR_DTYPE: n += (size_t)snprintf(buf + n, size - n, "%s%s: dtype = %s", sep, a.name, a.value.dtype ? bp_dtype_name(a.value.dtype) : "auto"); break;
      case BP_ATTR_INTS: n += (size_t)snprintf(buf + n, size - n, "%s%s: int[] = []", sep, a.name); break;
      default: break;
    }
  }
  if (n < size) n += (size_t)snprintf(buf + n, size - n, ")%s", info.outputs_required ? " writes " : " -> ");
  for (uint32_t i = 0; i < info.num_outputs && n < size; ++i)
    n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", bp_op_slot_name(op, info.num_inputs + i));
  return buf;
}

/* Loaded plugins, in runtime order (the others have no kernels). */
static size_t loaded_plugins(bp_plugin_t **plugins, const char **names, size_t capacity) {
  size_t n = 0;
  for (size_t i = 0; i < bp_plugin_count() && n < capacity; ++i) {
    bp_plugin_info_t info;
    memset(&info, 0, sizeof(info));
    info.struct_size = sizeof(info);
    bp_plugin_t *p = bp_plugin_at(i);
    if (!p || bp_plugin_query_info(p, &info) || info.state != BP_PLUGIN_LOADED) continue;
    plugins[n] = p;
    names[n] = info.name;
    ++n;
  }
  return n;
}

#define MAX_PLUGINS 64

/* View functions with a variable number of outputs, which the catalog's
 * fixed slots cannot describe; they are public functions, not ops. */
static const char outside_catalog[] =
    "split and chunk (bp_tensor_split, bp_tensor_split_sizes, bp_tensor_chunk in "
    "bp_ops_shape.h): views returning a variable number of tensors, every dtype, no kernel.";

static int print_text(void) {
  bp_plugin_t *plugins[MAX_PLUGINS];
  const char *names[MAX_PLUGINS];
  size_t np = loaded_plugins(plugins, names, MAX_PLUGINS);
  uint32_t nops = bp_op_count();
  printf("Op catalog: %u ops; native kernels of %zu loaded plugin%s\n", (unsigned)nops, np,
         np == 1 ? "" : "s");
  for (uint32_t op = 0; op < nops; ++op) {
    char call[512];
    bp_op_info_t info = {.struct_size = sizeof(info)};
    if (bp_op_query_info(op, &info)) return BPCLI_EXIT_FAILURE;
    printf("\n  %-3u %s\n        %s\n        dtypes: %s; form: %s%s\n", (unsigned)op,
           format_call(call, sizeof(call), op), info.summary, info.dtype_rule, info.form,
           info.differentiable ? "; differentiable" : "");
    for (size_t p = 0; p < np; ++p) {
      sig_list_t l;
      if (!query_sigs(plugins[p], op, &l)) return BPCLI_EXIT_FAILURE;
      printf("        %-10s ", names[p]);
      print_compact(stdout, &l);
      fputc('\n', stdout);
      free(l.sigs);
    }
  }
  printf("\n  outside the catalog: %s\n", outside_catalog);
  return BPCLI_EXIT_OK;
}

static int print_markdown(void) {
  bp_plugin_t *plugins[MAX_PLUGINS];
  const char *names[MAX_PLUGINS];
  size_t np = loaded_plugins(plugins, names, MAX_PLUGINS);
  uint32_t nops = bp_op_count();
  printf("<!-- Generated by `bp ops --markdown`; do not edit. -->\n"
         "# Ops\n"
         "\n"
         "This file is generated by `bp ops --markdown` from the op catalog of\n"
         "Backplane %s (plugin ABI %u.%u). Do not edit it: change the catalog and\n"
         "regenerate it with\n"
         "\n"
         "    BP_PLUGINS=none ./build/bin/bp ops --markdown > docs/ops.md\n"
         "\n"
         "Each plugin column lists the dtype signatures the plugin implements\n"
         "natively (one dtype per tensor slot: inputs, then the output). `f32,f64`\n"
         "means every tensor of the call has that dtype; `a,b->c` lists the other\n"
         "signatures; `{...}` is a set and `any` every dtype. Ops a device lacks run\n"
         "on `ref:0` (see `BP_FALLBACK`).\n"
         "\n"
         "| id | op |",
         BP_VERSION_STRING, (unsigned)BP_ABI_VERSION_MAJOR, (unsigned)BP_ABI_VERSION_MINOR);
  for (size_t p = 0; p < np; ++p) printf(" %s |", names[p]);
  printf("\n|---:|----|");
  for (size_t p = 0; p < np; ++p) printf("----|");
  fputc('\n', stdout);
  for (uint32_t op = 0; op < nops; ++op) {
    printf("| %u | `%s` |", (unsigned)op, bp_op_name(op));
    for (size_t p = 0; p < np; ++p) {
      sig_list_t l;
      if (!query_sigs(plugins[p], op, &l)) return BPCLI_EXIT_FAILURE;
      fputs(" ", stdout);
      print_compact(stdout, &l);
      fputs(" |", stdout);
      free(l.sigs);
    }
    fputc('\n', stdout);
  }
  printf("\n## Kernel forms\n"
         "\n"
         "How the dispatcher hands tensors to a kernel (docs/abi.md, ABI-11). In every\n"
         "form, inputs already have the dtypes of the kernel's signature and any strides.\n"
         "\n"
         "- **elementwise**: outputs as they are; inputs expanded to the first output's\n"
         "  shape, with stride 0 on broadcast dims.\n"
         "- **reduce**: one input, one output with the input's ndim and size 1 on every\n"
         "  reduced dim (keepdim form), whatever `keepdim` says.\n"
         "- **matmul**: `a [B..., M, K]`, `b [B..., K, N]`, `out [B..., M, N]`, the same\n"
         "  rank >= 2, batch dims expanded (stride 0 where broadcast); 1-D operands\n"
         "  arrive as `[1, K]` and `[K, 1]`.\n"
         "- **as_is**: every tensor as it is, attributes normalized (negative dims\n"
         "  made positive); for ops whose kernels need the real geometry.\n"
         "- **view**: no kernel: the outputs are views of the input's storage.\n"
         "- **composite**: no kernel: built from other ops (on any device).\n"
         "\n"
         "An op with a composite decomposition uses it on a device that has no\n"
         "kernel for the op, before any fallback to `ref:0`.\n"
         "\n## Ops\n");
  for (uint32_t op = 0; op < nops; ++op) {
    char call[512];
    bp_op_info_t info = {.struct_size = sizeof(info)};
    if (bp_op_query_info(op, &info)) return BPCLI_EXIT_FAILURE;
    printf("\n### `%s`\n\n`%s`\n\n%s\n\n- dtypes: %s\n- kernel form: %s\n- differentiable: %s\n",
           info.name, format_call(call, sizeof(call), op), info.summary, info.dtype_rule,
           info.form, info.differentiable ? "yes" : "no");
    for (uint32_t i = 0; i < info.num_attrs; ++i) {
      bp_attr_t a;
      const char *doc = "";
      if (!bp_op_query_attr(op, i, &a, &doc)) printf("- `%s`: %s\n", a.name, doc);
    }
  }
  printf("\n## Outside the catalog\n\n%s\n", outside_catalog);
  return BPCLI_EXIT_OK;
}

static int print_json(void) {
  bp_plugin_t *plugins[MAX_PLUGINS];
  const char *names[MAX_PLUGINS];
  size_t np = loaded_plugins(plugins, names, MAX_PLUGINS);
  char abi[32], label[32];
  bpcli_json_t j;
  bpcli_json_init(&j, stdout);
  bpcli_json_object_begin(&j);
  bpcli_json_kv_string(&j, "version", BP_VERSION_STRING);
  bpcli_json_kv_string(&j, "abi_version", bpcli_format_abi(abi, sizeof(abi), BP_ABI_VERSION));
  bpcli_json_key(&j, "ops");
  bpcli_json_array_begin(&j);
  int rc = BPCLI_EXIT_OK;
  for (uint32_t op = 0; op < bp_op_count(); ++op) {
    bpcli_json_object_begin(&j);
    bpcli_json_kv_uint(&j, "id", op);
    bpcli_json_kv_string(&j, "name", bp_op_name(op));
    bp_op_info_t info = {.struct_size = sizeof(info)};
    if (!bp_op_query_info(op, &info)) {
      char call[512];
      bpcli_json_kv_string(&j, "call", format_call(call, sizeof(call), op));
      bpcli_json_kv_string(&j, "summary", info.summary);
      bpcli_json_kv_string(&j, "dtype_rule", info.dtype_rule);
      bpcli_json_kv_string(&j, "form", info.form);
      bpcli_json_kv_uint(&j, "inputs", info.num_inputs);
      bpcli_json_kv_uint(&j, "outputs", info.num_outputs);
      bpcli_json_kv_bool(&j, "differentiable", info.differentiable);
    }
    bpcli_json_key(&j, "kernels");
    bpcli_json_object_begin(&j);
    for (size_t p = 0; p < np; ++p) {
      sig_list_t l;
      if (!query_sigs(plugins[p], op, &l)) rc = BPCLI_EXIT_FAILURE;
      /* Each signature as an array of dtype names, inputs then outputs. */
      bpcli_json_key(&j, names[p]);
      bpcli_json_array_begin(&j);
      for (uint32_t k = 0; k < l.count; ++k) {
        bpcli_json_array_begin(&j);
        for (uint32_t i = 0; i < l.sigs[k].len; ++i)
          bpcli_json_string(&j, bpcli_dtype_label(label, sizeof(label), l.sigs[k].dtypes[i]));
        bpcli_json_array_end(&j);
      }
      bpcli_json_array_end(&j);
      free(l.sigs);
    }
    bpcli_json_object_end(&j);
    bpcli_json_object_end(&j);
  }
  bpcli_json_array_end(&j);
  bpcli_json_object_end(&j);
  bpcli_json_finish(&j);
  return rc;
}

int bpcli_cmd_ops(int argc, char **argv) {
  enum { TEXT, JSON, MARKDOWN } format = TEXT;
  for (int i = 1; i < argc; ++i) {
    if (bpcli_is_help(argv[i])) {
      fputs(usage, stdout);
      return BPCLI_EXIT_OK;
    }
    if (!strcmp(argv[i], "--json") && format != MARKDOWN) format = JSON;
    else if (!strcmp(argv[i], "--markdown") && format != JSON) format = MARKDOWN;
    else if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "--markdown"))
      return bpcli_usage_error(usage, "ops: --json and --markdown exclude each other");
    else return bpcli_usage_error(usage, "ops: %s '%s'",
                                  argv[i][0] == '-' ? "unknown option" : "unexpected argument", argv[i]);
  }
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  switch (format) {
    case JSON: return print_json();
    case MARKDOWN: return print_markdown();
    default: return print_text();
  }
}
