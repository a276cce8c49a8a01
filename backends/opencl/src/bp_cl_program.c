/* bp_cl_program.c - OpenCL programs built once per device and cached.
 *
 * A program is the common prelude (kernels/bp_common.cl), a few #define
 * lines that specialise it (dtypes, the op's expression) and one template
 * (kernels/bp_*.cl). Built programs stay in a per-device list in memory and
 * their binaries (clGetProgramInfo(CL_PROGRAM_BINARIES)) go to
 * <cache_dir>/<hash>.bin, the hash covering the device name, driver
 * version, build options and the whole source, so a second process loads
 * them instead of compiling. Files are written to a temporary name and
 * renamed, so concurrent processes never read a partial file; a binary the
 * driver refuses is rebuilt from source. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bp_cl_internal.h"

#define BP_CL_KERNELS_PER_PROGRAM 8

struct bp_cl_program_entry {
  bp_cl_program_entry_t *next;
  char *defines;          /* the specialising #defines */
  const char *templ;      /* one of the embedded templates (by identity) */
  cl_program program;
  char *kernel_names[BP_CL_KERNELS_PER_PROGRAM];
  cl_kernel kernels[BP_CL_KERNELS_PER_PROGRAM];
};

static uint64_t fnv1a(uint64_t h, const char *s, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    h ^= (unsigned char)s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static void build_options(const bp_cl_device_t *dev, char *opts, size_t cap) {
  snprintf(opts, cap, "-cl-std=CL1.2%s%s", dev->has_fp64 ? " -DBP_HAS_FP64=1" : "",
           dev->correct_div ? " -cl-fp32-correctly-rounded-divide-sqrt" : "");
}

/* mkdir -p */
static void make_dirs(const char *path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(buf, 0755);
    *p = '/';
  }
  mkdir(buf, 0755);
}

static unsigned char *read_file(const char *path, size_t *out_size) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  unsigned char *data = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long n = ftell(f);
    if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n)) != NULL) {
      if (fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
      } else {
        *out_size = (size_t)n;
      }
    }
  }
  fclose(f);
  return data;
}

static void store_binary(const bp_cl_ctx_t *ctx, const bp_cl_device_t *dev, cl_program program,
                         const char *path) {
  size_t size = 0;
  if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
      size == 0)
    return;
  unsigned char *bin = malloc(size);
  if (bin == NULL) return;
  if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) == CL_SUCCESS) {
    make_dirs(ctx->cache_dir);
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f != NULL) {
      bool ok = fwrite(bin, 1, size, f) == size;
      ok = fclose(f) == 0 && ok;
      if (!ok || rename(tmp, path) != 0) remove(tmp);
    }
  }
  (void)dev;
  free(bin);
}

/* Builds (or loads) the program for source; *out_program on success. */
static bp_status_t build_program(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *source,
                                 cl_program *out_program) {
  char opts[256];
  build_options(dev, opts, sizeof opts);
  uint64_t h = 0xcbf29ce484222325ull;
  h = fnv1a(h, dev->name, strlen(dev->name) + 1);
  h = fnv1a(h, dev->driver_version, strlen(dev->driver_version) + 1);
  h = fnv1a(h, opts, strlen(opts) + 1);
  h = fnv1a(h, source, strlen(source));
  char path[1200] = "";
  if (ctx->cache_dir[0] != '\0')
    snprintf(path, sizeof path, "%s/%016llx.bin", ctx->cache_dir, (unsigned long long)h);

  cl_int err = CL_SUCCESS;
  if (path[0] != '\0') {
    size_t size = 0;
    unsigned char *bin = read_file(path, &size);
    if (bin != NULL) {
      cl_int bin_status = CL_SUCCESS;
      const unsigned char *bins[1] = {bin};
      cl_program p = clCreateProgramWithBinary(dev->context, 1, &dev->id, &size, bins,
                                               &bin_status, &err);
      free(bin);
      if (err == CL_SUCCESS && bin_status == CL_SUCCESS &&
          clBuildProgram(p, 1, &dev->id, opts, NULL, NULL) == CL_SUCCESS) {
        *out_program = p;
        return BP_STATUS_OK;
      }
      if (err == CL_SUCCESS) clReleaseProgram(p);
      remove(path); /* stale or refused: rebuild it below */
    }
  }

  const char *srcs[1] = {source};
  cl_program p = clCreateProgramWithSource(dev->context, 1, srcs, NULL, &err);
  BP_CL_RETURN_IF_ERROR(ctx, err, "clCreateProgramWithSource", dev->name);
  err = clBuildProgram(p, 1, &dev->id, opts, NULL, NULL);
  if (err != CL_SUCCESS) {
    char log[3000] = "";
    size_t n = 0;
    clGetProgramBuildInfo(p, dev->id, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &n);
    log[sizeof log - 1] = '\0';
    bp_cl_log(ctx, BP_LOG_ERROR, "opencl: building a program for %s failed (%s):\n%s", dev->name,
              bp_cl_error_name(err), log);
    clReleaseProgram(p);
    return bp_cl_fail(ctx, err == CL_BUILD_PROGRAM_FAILURE ? BP_STATUS_INTERNAL : BP_STATUS_DEVICE_ERROR,
                      "opencl: clBuildProgram failed for %s: %s (%d); compiler log: %.700s",
                      dev->name, bp_cl_error_name(err), (int)err, log);
  }
  if (path[0] != '\0') store_binary(ctx, dev, p, path);
  *out_program = p;
  return BP_STATUS_OK;
}

bp_status_t bp_cl_program_kernel(bp_cl_ctx_t *ctx, bp_cl_device_t *dev, const char *defines,
                                 const char *templ, const char *kernel_name,
                                 cl_kernel *out_kernel) {
  bp_cl_program_entry_t *e = dev->programs;
  while (e != NULL && !(e->templ == templ && strcmp(e->defines, defines) == 0)) e = e->next;
  if (e == NULL) {
    size_t n = strlen(bp_cl_src_common) + strlen(defines) + strlen(templ) + 4;
    char *source = malloc(n);
    e = calloc(1, sizeof *e);
    char *defs = malloc(strlen(defines) + 1);
    if (source == NULL || e == NULL || defs == NULL) {
      free(source);
      free(e);
      free(defs);
      return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl: out of host memory for a program");
    }
    snprintf(source, n, "%s\n%s\n%s", defines, bp_cl_src_common, templ);
    strcpy(defs, defines);
    bp_status_t s = build_program(ctx, dev, source, &e->program);
    free(source);
    if (s != BP_STATUS_OK) {
      free(e);
      free(defs);
      return s;
    }
    e->defines = defs;
    e->templ = templ;
    e->next = dev->programs;
    dev->programs = e;
  }
  int slot = 0;
  for (; slot < BP_CL_KERNELS_PER_PROGRAM && e->kernel_names[slot] != NULL; ++slot)
    if (strcmp(e->kernel_names[slot], kernel_name) == 0) {
      *out_kernel = e->kernels[slot];
      return BP_STATUS_OK;
    }
  if (slot == BP_CL_KERNELS_PER_PROGRAM)
    return bp_cl_fail(ctx, BP_STATUS_INTERNAL, "opencl: too many kernels in one program");
  cl_int err = CL_SUCCESS;
  cl_kernel k = clCreateKernel(e->program, kernel_name, &err);
  BP_CL_RETURN_IF_ERROR(ctx, err, "clCreateKernel", kernel_name);
  char *name = malloc(strlen(kernel_name) + 1);
  if (name == NULL) {
    clReleaseKernel(k);
    return bp_cl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "opencl: out of host memory");
  }
  strcpy(name, kernel_name);
  e->kernel_names[slot] = name;
  e->kernels[slot] = k;
  *out_kernel = k;
  return BP_STATUS_OK;
}

void bp_cl_program_cache_release(bp_cl_device_t *dev) {
  bp_cl_program_entry_t *e = dev->programs;
  while (e != NULL) {
    bp_cl_program_entry_t *next = e->next;
    for (int i = 0; i < BP_CL_KERNELS_PER_PROGRAM && e->kernel_names[i] != NULL; ++i) {
      clReleaseKernel(e->kernels[i]);
      free(e->kernel_names[i]);
    }
    clReleaseProgram(e->program);
    free(e->defines);
    free(e);
    e = next;
  }
  dev->programs = NULL;
  (void)errno;
}
