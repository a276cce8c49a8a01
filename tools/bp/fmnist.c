/* fmnist.c - the Fashion-MNIST reader (see fmnist.h). IDX format: a
 * big-endian magic (0x00000803 for images, 0x00000801 for labels), the dim
 * sizes as big-endian u32, then the bytes. */
#define _POSIX_C_SOURCE 200809L

#include "fmnist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

const char *const fmnist_class_names[FMNIST_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

static const char install_hint[] =
    "Fashion-MNIST comes from the Debian package dataset-fashion-mnist: install it with "
    "`sudo apt-get install dataset-fashion-mnist` (or set BP_FMNIST_DIR to a folder holding "
    "train-images-idx3-ubyte.gz and the three other IDX files)";

static int read_all(gzFile f, void *buf, size_t size) {
  char *p = buf;
  while (size > 0) {
    unsigned chunk = size > (1u << 30) ? (1u << 30) : (unsigned)size;
    int n = gzread(f, p, chunk);
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

static uint32_t be32(const unsigned char *b) {
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Reads one IDX file of ndim (1 or 3) dims; *out gets count * (rows * cols). */
static int read_idx(const char *dir, const char *name, int ndim, int64_t *count, uint8_t **out,
                    char *err, size_t err_size) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (access(path, R_OK) != 0) {
    snprintf(err, err_size, "cannot read %s (%s). %s", path, strerror(errno), install_hint);
    return -1;
  }
  gzFile f = gzopen(path, "rb");
  if (!f) {
    snprintf(err, err_size, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  unsigned char head[16];
  size_t head_size = 4 + 4 * (size_t)ndim;
  int rc = -1;
  uint8_t *data = NULL;
  if (read_all(f, head, head_size)) {
    snprintf(err, err_size, "%s: truncated header (not a gzip-compressed IDX file?)", path);
    goto done;
  }
  uint32_t magic = be32(head);
  if (magic != (0x800u | (uint32_t)ndim)) {
    snprintf(err, err_size, "%s: magic 0x%08x, expected 0x%08x (an IDX file of %d dims, u8)", path,
             magic, 0x800u | (uint32_t)ndim, ndim);
    goto done;
  }
  int64_t n = be32(head + 4);
  if (ndim == 3 && (be32(head + 8) != FMNIST_ROWS || be32(head + 12) != FMNIST_COLS)) {
    snprintf(err, err_size, "%s: images are %ux%u, expected 28x28", path, be32(head + 8), be32(head + 12));
    goto done;
  }
  size_t per = ndim == 3 ? FMNIST_PIXELS : 1;
  data = malloc((size_t)n * per + 1);
  if (!data) {
    snprintf(err, err_size, "%s: out of memory", path);
    goto done;
  }
  if (read_all(f, data, (size_t)n * per)) {
    snprintf(err, err_size, "%s: truncated data (expected %lld items)", path, (long long)n);
    goto done;
  }
  *count = n;
  *out = data;
  data = NULL;
  rc = 0;
done:
  free(data);
  gzclose(f);
  return rc;
}

void fmnist_free(fmnist_set_t *set) {
  if (!set) return;
  free(set->images);
  free(set->labels);
  memset(set, 0, sizeof *set);
}

static int load_set(const char *dir, const char *images, const char *labels, fmnist_set_t *set,
                    char *err, size_t err_size) {
  int64_t ni = 0, nl = 0;
  memset(set, 0, sizeof *set);
  if (read_idx(dir, images, 3, &ni, &set->images, err, err_size) ||
      read_idx(dir, labels, 1, &nl, &set->labels, err, err_size)) {
    fmnist_free(set);
    return -1;
  }
  if (ni != nl) {
    snprintf(err, err_size, "%s/%s has %lld images but %s has %lld labels", dir, images,
             (long long)ni, labels, (long long)nl);
    fmnist_free(set);
    return -1;
  }
  for (int64_t i = 0; i < nl; ++i)
    if (set->labels[i] >= FMNIST_CLASSES) {
      snprintf(err, err_size, "%s/%s: label %u at %lld is not a class (0..9)", dir, labels,
               set->labels[i], (long long)i);
      fmnist_free(set);
      return -1;
    }
  set->count = ni;
  return 0;
}

int fmnist_load(const char *dir, fmnist_set_t *train, fmnist_set_t *test, char *err, size_t err_size) {
  if (!dir || !*dir) dir = getenv("BP_FMNIST_DIR");
  if (!dir || !*dir) dir = FMNIST_DEFAULT_DIR;
  memset(test, 0, sizeof *test);
  if (load_set(dir, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", train, err, err_size))
    return -1;
  if (load_set(dir, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", test, err, err_size)) {
    fmnist_free(train);
    return -1;
  }
  return 0;
}
