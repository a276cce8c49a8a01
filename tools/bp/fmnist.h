/*
 * fmnist.h - reads Fashion-MNIST as Debian's dataset-fashion-mnist package
 * ships it: four gzip-compressed IDX files under
 * /usr/share/datasets/fashion-mnist (override with the directory argument or
 * the BP_FMNIST_DIR environment variable).
 */
#ifndef BPCLI_FMNIST_H_
#define BPCLI_FMNIST_H_

#include <stddef.h>
#include <stdint.h>

#define FMNIST_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"
#define FMNIST_ROWS 28
#define FMNIST_COLS 28
#define FMNIST_PIXELS (FMNIST_ROWS * FMNIST_COLS)
#define FMNIST_CLASSES 10

typedef struct fmnist_set {
  int64_t count;
  uint8_t *images; /* [count][28 * 28], row-major, 0..255 */
  uint8_t *labels; /* [count], 0..9 */
} fmnist_set_t;

/* Loads the training (60000) and test (10000) sets from dir (NULL: the
 * environment's BP_FMNIST_DIR, else FMNIST_DEFAULT_DIR). On failure returns
 * -1 with a message in err (a missing file names the Debian package and how
 * to install it) and leaves both sets empty. */
int fmnist_load(const char *dir, fmnist_set_t *train, fmnist_set_t *test, char *err, size_t err_size);
/* Frees the set's arrays (a zeroed or freed set is fine). */
void fmnist_free(fmnist_set_t *set);
/* The class names, "T-shirt/top" ... "Ankle boot". */
extern const char *const fmnist_class_names[FMNIST_CLASSES];

#endif /* BPCLI_FMNIST_H_ */
