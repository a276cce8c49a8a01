/* The plugin loader: each broken plugin (built from plugins/test_plugin.c
 * with one define) is rejected with its own reason and the host keeps
 * working; the toy plugin loads, falls back, reports errors and unloads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_helpers.h"
#include "backplane/bp_ops_nn2.h"

#define PLUGIN(name) BP_TEST_PLUGIN_DIR "/libbp_" name ".so"

/* The host still runs ops on ref:0: 1 + 2 = 3. */
static void host_still_works(void) {
  int64_t s[1] = {1};
  float one = 1, two = 2, r = 0;
  bp_tensor_t *a = tensor_f32(ref_device(), 1, s, &one), *b = tensor_f32(ref_device(), 1, s, &two);
  bp_tensor_t *c = NULL;
  BP_CHECK(bp_add(a, b, &c));
  read_f32(c, &r, 1);
  cr_assert_eq(r, 3.0f);
  bp_tensor_release(a);
  bp_tensor_release(b);
  bp_tensor_release(c);
}

static void expect_rejected(const char *path, bp_status_t status, const char *reason) {
  size_t before = bp_plugin_count();
  bp_plugin_t *p = NULL;
  BP_CHECK_FAILS(bp_plugin_load(path, &p), status, reason);
  cr_assert_null(p);
  cr_assert_eq(bp_plugin_count(), before + 1, "a rejected plugin is still listed");
  bp_plugin_info_t info = {.struct_size = sizeof(info)};
  BP_CHECK(bp_plugin_query_info(bp_plugin_at(before), &info));
  cr_assert_eq(info.state, BP_PLUGIN_REJECTED);
  cr_assert(strstr(info.reason, reason), "reason '%s' lacks '%s'", info.reason, reason);
  cr_assert_eq(bp_device_count(), 1, "only ref:0 remains");
  host_still_works();
}

Test(loader, file_not_found) {
  expect_rejected(PLUGIN("does_not_exist"), BP_STATUS_NOT_FOUND, "file not found");
}
Test(loader, not_a_shared_library) {
  expect_rejected(PLUGIN("garbage"), BP_STATUS_UNAVAILABLE, "dlopen failed");
}
/* An ELF library cut short (an interrupted copy): rejected before dlopen,
 * whose mapping past the end of the file would kill the host with SIGBUS. */
Test(loader, truncated_library) {
  FILE *in = fopen(PLUGIN("toy"), "rb");
  cr_assert_not_null(in);
  static char bytes[1 << 20];
  size_t n = fread(bytes, 1, sizeof(bytes), in);
  fclose(in);
  char path[] = "/tmp/bp_truncated_XXXXXX";
  int fd = mkstemp(path);
  cr_assert(fd >= 0);
  FILE *out = fdopen(fd, "wb");
  /* The first page: the ELF and program headers survive, the code does not
   * (debug sections at the end make "half the file" still loadable). */
  size_t keep = n < 4096 ? n / 2 : 4096;
  cr_assert_eq(fwrite(bytes, 1, keep, out), keep);
  fclose(out);
  expect_rejected(path, BP_STATUS_INVALID_ARGUMENT, "not a shared library: truncated");
  remove(path);
}
Test(loader, missing_entry_symbol) {
  expect_rejected(PLUGIN("no_entry"), BP_STATUS_NOT_FOUND, "entry symbol bp_plugin_query not found");
}
Test(loader, wrong_major_version) {
  expect_rejected(PLUGIN("wrong_major"), BP_STATUS_ABI_MISMATCH,
                  "it implements ABI 2.0 but this host speaks 1.0 to 1.0");
}
Test(loader, plugin_refuses_host_version) {
  expect_rejected(PLUGIN("refuse_host"), BP_STATUS_ABI_MISMATCH,
                  "refuses host ABI 1.0 (ABI-3): this plugin needs host ABI 3.x");
}
Test(loader, too_small_table) {
  expect_rejected(PLUGIN("small_struct"), BP_STATUS_INVALID_ARGUMENT,
                  "its bp_plugin_api_t is 88 bytes; ABI 1.0 needs at least 120");
}
Test(loader, required_entry_null) {
  expect_rejected(PLUGIN("null_entry"), BP_STATUS_INVALID_ARGUMENT,
                  "required entry 'copy_d2h' is NULL");
}
Test(loader, init_failure_carries_plugin_message) {
  expect_rejected(PLUGIN("init_fail"), BP_STATUS_UNAVAILABLE,
                  "init failed with UNAVAILABLE: no frobnicator hardware found");
}
Test(loader, duplicate_kernel) {
  expect_rejected(PLUGIN("dup_kernel"), BP_STATUS_INVALID_ARGUMENT,
                  "duplicate kernel for add(f32, f32) -> (f32)");
}
Test(loader, unknown_op) {
  expect_rejected(PLUGIN("unknown_op"), BP_STATUS_INVALID_ARGUMENT, "unknown op 'frobnicate'");
}
Test(loader, dtype_no_device_can_store) {
  expect_rejected(PLUGIN("bad_dtype"), BP_STATUS_INVALID_ARGUMENT,
                  "registers a add kernel for f64, which none of its devices can store");
}
Test(loader, signature_the_op_cannot_take) {
  expect_rejected(PLUGIN("bad_signature"), BP_STATUS_INVALID_ARGUMENT,
                  "op matmul cannot take the signature matmul(bool, bool) -> (bool)");
}
Test(loader, bad_device_properties) {
  expect_rejected(PLUGIN("bad_props"), BP_STATUS_INVALID_ARGUMENT,
                  "device 0 properties: name is empty");
}

Test(loader, all_broken_plugins_in_one_folder_then_host_works) {
  setenv("BP_PLUGIN_PATH", BP_TEST_PLUGIN_DIR, 1);
  unsetenv("BP_PLUGINS"); /* this test is about what a folder scan finds */
  setenv("BP_LOG", "off", 1);
  BP_CHECK(bp_init());
  size_t rejected = 0, loaded = 0, devices = 0;
  for (size_t i = 0; i < bp_plugin_count(); ++i) {
    bp_plugin_info_t info = {.struct_size = sizeof(info)};
    BP_CHECK(bp_plugin_query_info(bp_plugin_at(i), &info));
    /* Only ref and the test folder count: a build may also have real
     * backends in its own plugin folder. */
    if (!info.builtin && strncmp(info.path, BP_TEST_PLUGIN_DIR "/", strlen(BP_TEST_PLUGIN_DIR) + 1))
      continue;
    devices += info.device_count;
    if (info.state == BP_PLUGIN_REJECTED) {
      ++rejected;
      cr_assert(info.reason[0], "plugin %s rejected without a reason", info.path);
    } else {
      ++loaded;
    }
  }
  /* ref, toy, toy_next load; the 11 broken plugins and the garbage file are rejected. */
  cr_assert_eq(loaded, 3, "loaded %zu", loaded);
  cr_assert_eq(rejected, 12, "rejected %zu", rejected);
  cr_assert_eq(devices, 3);
  host_still_works();
}

Test(loader, bp_plugins_filters_folder_scans) {
  setenv("BP_PLUGIN_PATH", BP_TEST_PLUGIN_DIR, 1);
  setenv("BP_PLUGINS", "toy,garbage", 1);
  setenv("BP_LOG", "off", 1);
  BP_CHECK(bp_init());
  bp_device_t *d = NULL;
  BP_CHECK(bp_device_get("toy:0", &d));
  BP_CHECK_FAILS(bp_device_get("toy_next:0", &d), BP_STATUS_NOT_FOUND, "no loaded plugin");
  size_t seen = 0;
  for (size_t i = 0; i < bp_plugin_count(); ++i) {
    bp_plugin_info_t info = {.struct_size = sizeof(info)};
    BP_CHECK(bp_plugin_query_info(bp_plugin_at(i), &info));
    if (!info.builtin) ++seen;
  }
  cr_assert_eq(seen, 2, "only toy and garbage are tried, got %zu", seen);
}

Test(loader, bp_plugins_deny_entry) {
  setenv("BP_PLUGIN_PATH", BP_TEST_PLUGIN_DIR, 1);
  setenv("BP_PLUGINS", "-toy", 1);
  setenv("BP_LOG", "off", 1);
  bp_device_t *d = NULL;
  BP_CHECK_FAILS(bp_device_get("toy:0", &d), BP_STATUS_NOT_FOUND, "no loaded plugin");
  BP_CHECK(bp_device_get("toy_next:0", &d));
}

Test(loader, newer_minor_plugin_is_accepted) {
  bp_plugin_t *p = NULL;
  BP_CHECK(bp_plugin_load(PLUGIN("toy_next"), &p));
  bp_plugin_info_t info = {.struct_size = sizeof(info)};
  BP_CHECK(bp_plugin_query_info(p, &info));
  cr_assert_eq(info.state, BP_PLUGIN_LOADED);
  cr_assert_eq(info.abi_version, (1u << 16) | 7u);
  bp_device_t *d = NULL;
  BP_CHECK(bp_device_get("toy_next:0", &d));
}

Test(loader, same_name_twice_is_refused) {
  BP_CHECK(bp_plugin_load(PLUGIN("toy"), NULL));
  BP_CHECK_FAILS(bp_plugin_load(PLUGIN("toy"), NULL), BP_STATUS_FAILED_PRECONDITION,
                 "a plugin named 'toy' is already loaded");
  cr_assert_eq(bp_device_count(), 2);
}

Test(loader, device_lookup_errors) {
  bp_device_t *d = NULL;
  BP_CHECK_FAILS(bp_device_get("nope:0", &d), BP_STATUS_NOT_FOUND, "no loaded plugin is named 'nope'");
  BP_CHECK_FAILS(bp_device_get("ref:3", &d), BP_STATUS_NOT_FOUND, "plugin 'ref' has 1 devices");
  BP_CHECK_FAILS(bp_device_get("ref:x", &d), BP_STATUS_INVALID_ARGUMENT, "is not a device name");
  BP_CHECK(bp_device_get("ref", &d));
  cr_assert_str_eq(bp_device_name(d), "ref:0");
}

/* ---- the toy plugin: fallback, errors, unload ---- */

static bp_device_t *load_toy(void) {
  BP_CHECK(bp_plugin_load(PLUGIN("toy"), NULL));
  bp_device_t *d = NULL;
  BP_CHECK(bp_device_get("toy:0", &d));
  return d;
}

Test(toy, native_add_then_fallback_for_the_rest) {
  setenv("BP_FALLBACK", "allow", 1);
  bp_device_t *toy = load_toy();
  int64_t s[2] = {2, 2};
  float a[4] = {1, 2, 3, 4}, b[4] = {10, 20, 30, 40};
  bp_tensor_t *ta = tensor_f32(toy, 2, s, a), *tb = tensor_f32(toy, 2, s, b);
  bp_tensor_t *sum = NULL, *prod = NULL, *mm = NULL;
  bp_stats_reset();
  BP_CHECK(bp_add(ta, tb, &sum));
  bp_stats_t st;
  bp_stats_get(&st);
  cr_assert_eq(st.fallbacks, 0, "toy implements add for f32");
  cr_assert_str_eq(bp_device_name(bp_tensor_device(sum)), "toy:0");
  float r[4];
  read_f32(sum, r, 4);
  cr_assert_eq(r[3], 44.0f);
  BP_CHECK(bp_mul(ta, tb, &prod));
  BP_CHECK(bp_matmul(ta, tb, &mm));
  bp_stats_get(&st);
  cr_assert_eq(st.fallbacks, 2, "mul and matmul ran on ref:0");
  cr_assert_str_eq(bp_device_name(bp_tensor_device(mm)), "toy:0", "results come back");
  read_f32(prod, r, 4);
  cr_assert_eq(r[1], 40.0f);
  read_f32(mm, r, 4);
  cr_assert_eq(r[0], 1 * 10 + 2 * 30);
  cr_assert_eq(r[3], 3 * 20 + 4 * 40);
  bp_tensor_t *list[] = {ta, tb, sum, prod, mm};
  for (int i = 0; i < 5; ++i) bp_tensor_release(list[i]);
}

/* batch_norm writes its running stats in place: on a device without the
 * kernel the fallback runs on ref:0 copies and must copy them back. */
Test(toy, fallback_copies_back_inputs_written_in_place) {
  setenv("BP_FALLBACK", "allow", 1);
  bp_device_t *toy = load_toy();
  int64_t xs[3] = {2, 2, 2}, cs[1] = {2};
  /* channel 0: 1,2,5,6 (mean 3.5); channel 1: 3,4,7,8 (mean 5.5) */
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, zeros[2] = {0, 0}, ones[2] = {1, 1};
  bp_tensor_t *tx = tensor_f32(toy, 3, xs, x), *rm = tensor_f32(toy, 1, cs, zeros),
              *rv = tensor_f32(toy, 1, cs, ones), *y = NULL;
  bp_stats_reset();
  BP_CHECK(bp_batch_norm(tx, NULL, NULL, rm, rv, 1, 0.5, 1e-5, &y));
  bp_stats_t st;
  bp_stats_get(&st);
  cr_assert_geq(st.fallbacks, 1, "toy has no batch_norm kernel");
  float m[2], v[2];
  read_f32(rm, m, 2);
  read_f32(rv, v, 2);
  cr_assert_float_eq(m[0], 0.5f * 3.5f, 1e-6, "running_mean[0] %g", m[0]);
  cr_assert_float_eq(m[1], 0.5f * 5.5f, 1e-6, "running_mean[1] %g", m[1]);
  /* unbiased variance of {1,2,5,6} is 17/3: 0.5 * 1 + 0.5 * 17/3 */
  cr_assert_float_eq(v[0], 0.5f + 0.5f * 17.0f / 3.0f, 1e-5, "running_var[0] %g", v[0]);
  bp_tensor_t *list[] = {tx, rm, rv, y};
  for (int i = 0; i < 4; ++i) bp_tensor_release(list[i]);
}

Test(toy, fallback_error_policy) {
  setenv("BP_FALLBACK", "error", 1);
  bp_device_t *toy = load_toy();
  int64_t s[1] = {2};
  bp_tensor_t *t = NULL, *c = NULL;
  BP_CHECK(bp_tensor_create(toy, BP_DTYPE_F32, 1, s, &t));
  BP_CHECK_FAILS(bp_mul(t, t, &c), BP_STATUS_UNSUPPORTED,
                 "bp_mul: toy:0 has no kernel for mul(f32, f32) -> f32 and BP_FALLBACK=error");
  BP_CHECK(bp_add(t, t, &c)); /* native: fine */
  bp_tensor_release(c);
  bp_tensor_release(t);
}

Test(toy, supports_predicate_declines_then_fallback) {
  setenv("BP_FALLBACK", "allow", 1);
  bp_device_t *toy = load_toy();
  int64_t s[5] = {1, 1, 1, 2, 1};
  float a[2] = {1, 2};
  bp_tensor_t *t = tensor_f32(toy, 5, s, a), *c = NULL;
  bp_stats_reset();
  BP_CHECK(bp_add(t, t, &c)); /* ndim 5 > 4: toy declines */
  bp_stats_t st;
  bp_stats_get(&st);
  cr_assert_eq(st.fallbacks, 1);
  float r[2];
  read_f32(c, r, 2);
  cr_assert_eq(r[1], 4.0f);
  bp_tensor_release(t);
  bp_tensor_release(c);
}

Test(toy, cross_device_needs_explicit_move) {
  bp_device_t *toy = load_toy();
  int64_t s[1] = {3};
  float a[3] = {1, 2, 3};
  bp_tensor_t *on_toy = tensor_f32(toy, 1, s, a), *on_ref = tensor_f32(ref_device(), 1, s, a);
  bp_tensor_t *c = NULL, *moved = NULL;
  BP_CHECK_FAILS(bp_add(on_toy, on_ref, &c), BP_STATUS_INVALID_ARGUMENT,
                 "bp_add: a is on toy:0 but b is on ref:0");
  bp_stats_reset();
  BP_CHECK(bp_tensor_to(on_ref, toy, &moved));
  BP_CHECK(bp_add(on_toy, moved, &c));
  bp_stats_t st;
  bp_stats_get(&st);
  cr_assert_eq(st.cross_device_copies, 1);
  /* Copy into a strided view on the toy device across devices. */
  int64_t s6[1] = {6};
  bp_tensor_t *wide = NULL, *every_other = NULL;
  BP_CHECK(bp_tensor_create(toy, BP_DTYPE_F32, 1, s6, &wide));
  BP_CHECK(bp_fill(wide, -1.0)); /* falls back: toy has no fill kernel */
  BP_CHECK(bp_tensor_slice(wide, 0, 0, 6, 2, &every_other));
  BP_CHECK(bp_copy(every_other, on_ref));
  float r[6];
  read_f32(wide, r, 6);
  const float want[6] = {1, -1, 2, -1, 3, -1};
  for (int i = 0; i < 6; ++i) cr_assert_eq(r[i], want[i], "r[%d] = %g", i, r[i]);
  bp_tensor_t *list[] = {on_toy, on_ref, c, moved, wide, every_other};
  for (int i = 0; i < 6; ++i) bp_tensor_release(list[i]);
}

Test(toy, kernel_failure_carries_plugin_message) {
  bp_device_t *toy = load_toy();
  int64_t s[1] = {1};
  bp_tensor_t *t = NULL, *out[1] = {NULL};
  BP_CHECK(bp_tensor_create(toy, BP_DTYPE_F32, 1, s, &t));
  bp_tensor_t *in[2] = {t, t};
  bp_attr_t alpha = {.type = BP_ATTR_FLOAT, .name = "alpha", .count = 1, .value.f = 666};
  uint32_t add = 0;
  BP_CHECK(bp_op_find("add", &add));
  BP_CHECK_FAILS(bp_op_run(add, 2, in, 1, &alpha, 1, out), BP_STATUS_DEVICE_ERROR,
                 "the toy kernel add(f32, f32) -> f32 on toy:0 failed with DEVICE_ERROR: toy add: "
                 "the device caught fire");
  cr_assert_null(out[0]);
  bp_tensor_release(t);
}

Test(toy, asynchronous_error_surfaces_at_synchronize) {
  bp_device_t *toy = load_toy();
  int64_t s[1] = {1};
  bp_tensor_t *t = NULL, *out[1] = {NULL};
  BP_CHECK(bp_tensor_create(toy, BP_DTYPE_F32, 1, s, &t));
  bp_tensor_t *in[2] = {t, t};
  bp_attr_t alpha = {.type = BP_ATTR_FLOAT, .name = "alpha", .count = 1, .value.f = 13};
  uint32_t add;
  BP_CHECK(bp_op_find("add", &add));
  BP_CHECK(bp_op_run(add, 2, in, 1, &alpha, 1, out));
  BP_CHECK_FAILS(bp_device_synchronize(toy), BP_STATUS_DEVICE_ERROR,
                 "toy:0 reported DEVICE_ERROR: toy: an earlier kernel faulted asynchronously");
  BP_CHECK(bp_device_synchronize(toy)); /* reported once */
  bp_tensor_release(out[0]);
  bp_tensor_release(t);
}

Test(toy, unload_refused_while_tensors_live) {
  bp_device_t *toy = load_toy();
  bp_plugin_t *plugin = bp_device_plugin(toy);
  int64_t s[1] = {4};
  bp_tensor_t *t = NULL, *view = NULL;
  BP_CHECK(bp_tensor_create(toy, BP_DTYPE_F32, 1, s, &t));
  BP_CHECK(bp_tensor_slice(t, 0, 1, 3, 1, &view));
  bp_tensor_release(t);
  BP_CHECK_FAILS(bp_plugin_unload(plugin), BP_STATUS_FAILED_PRECONDITION,
                 "1 tensor storages are still alive on toy:0");
  bp_tensor_release(view);
  BP_CHECK(bp_plugin_unload(plugin));
  bp_plugin_info_t info = {.struct_size = sizeof(info)};
  BP_CHECK(bp_plugin_query_info(plugin, &info));
  cr_assert_eq(info.state, BP_PLUGIN_UNLOADED);
  bp_tensor_t *after = NULL;
  BP_CHECK_FAILS(bp_tensor_create(toy, BP_DTYPE_F32, 1, s, &after), BP_STATUS_FAILED_PRECONDITION,
                 "toy:0 belongs to an unloaded plugin");
  BP_CHECK_FAILS(bp_device_get("toy:0", &toy), BP_STATUS_NOT_FOUND, "no loaded plugin is named 'toy'");
  BP_CHECK_FAILS(bp_plugin_unload(bp_device_plugin(ref_device())), BP_STATUS_FAILED_PRECONDITION,
                 "built in");
  host_still_works();
}

Test(toy, default_device_prefers_plugin_then_honours_bp_device) {
  load_toy();
  bp_device_t *d = NULL;
  BP_CHECK(bp_device_get_default(&d));
  cr_assert_str_eq(bp_device_name(d), "toy:0");
  setenv("BP_DEVICE", "ref:0", 1);
  BP_CHECK(bp_device_get_default(&d));
  cr_assert_str_eq(bp_device_name(d), "ref:0");
  setenv("BP_DEVICE", "vulkan:0", 1);
  BP_CHECK_FAILS(bp_device_get_default(&d), BP_STATUS_NOT_FOUND,
                 "BP_DEVICE=vulkan:0: bp_device_get: no loaded plugin is named 'vulkan'");
}

Test(toy, props_and_kernel_listing) {
  bp_device_t *toy = load_toy();
  bp_device_props_t props = {.struct_size = sizeof(props)};
  BP_CHECK(bp_device_query_props(toy, &props));
  cr_assert_str_eq(props.name, "Toy test device");
  cr_assert_eq(props.host_addressable, false);
  uint32_t add;
  BP_CHECK(bp_op_find("add", &add));
  cr_assert_eq(bp_plugin_kernel_count(bp_device_plugin(toy), add), 1);
  bp_dtype_t sig[8];
  uint32_t n = 0;
  BP_CHECK(bp_plugin_kernel_signature(bp_device_plugin(toy), add, 0, sig, 8, &n));
  cr_assert_eq(n, 3);
  cr_assert_eq(sig[2], BP_DTYPE_F32);
  bp_device_props_t small = {.struct_size = 8};
  BP_CHECK_FAILS(bp_device_query_props(toy, &small), BP_STATUS_INVALID_ARGUMENT,
                 "props->struct_size is 8");
}

/* Several threads dispatch at once on ref:0 and toy:0 (run under ASan/TSan). */
static void *adder(void *arg) {
  bp_device_t *dev = arg;
  int64_t s[1] = {16};
  float a[16];
  for (int i = 0; i < 16; ++i) a[i] = (float)i;
  bp_tensor_t *t = NULL;
  if (bp_tensor_create_from_host(dev, BP_DTYPE_F32, 1, s, a, sizeof(a), &t)) return (void *)1;
  for (int iter = 0; iter < 2000; ++iter) {
    bp_tensor_t *c = NULL;
    if (bp_add(t, t, &c)) return (void *)1;
    float r[16];
    if (bp_tensor_copy_to_host(c, r, sizeof(r)) || r[15] != 30.0f) return (void *)1;
    bp_tensor_release(c);
  }
  bp_tensor_release(t);
  return NULL;
}

Test(toy, concurrent_dispatch) {
  bp_device_t *devs[2] = {ref_device(), load_toy()};
  pthread_t threads[4];
  for (int i = 0; i < 4; ++i) pthread_create(&threads[i], NULL, adder, devs[i % 2]);
  for (int i = 0; i < 4; ++i) {
    void *ret = NULL;
    pthread_join(threads[i], &ret);
    cr_assert_null(ret, "thread %d failed: %s", i, bp_last_error());
  }
}

Test(toy, scalar_on_ref_joins_an_op_on_another_device) {
  setenv("BP_FALLBACK", "allow", 1);
  bp_device_t *toy = load_toy();
  int64_t s[1] = {2};
  float a[2] = {1, 2};
  bp_tensor_t *t = tensor_f32(toy, 1, s, a), *k = NULL, *c = NULL;
  BP_CHECK(bp_tensor_create_scalar(10.0, &k));
  bp_stats_reset();
  BP_CHECK(bp_add(t, k, &c));
  cr_assert_str_eq(bp_device_name(bp_tensor_device(c)), "toy:0");
  bp_stats_t st;
  bp_stats_get(&st);
  cr_assert_eq(st.fallbacks, 0, "the scalar is moved, add runs on toy");
  float r[2];
  read_f32(c, r, 2);
  cr_assert_eq(r[0], 11.0f);
  cr_assert_eq(r[1], 12.0f);
  bp_tensor_release(t);
  bp_tensor_release(k);
  bp_tensor_release(c);
}
