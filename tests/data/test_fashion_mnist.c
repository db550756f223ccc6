/* test_fashion_mnist.c - the real Fashion-MNIST files installed by Debian's
 * dataset-fashion-mnist (gzipped IDX): 60,000 train / 10,000 test images,
 * 6,000 / 1,000 per class, the first labels and the pixel sums computed
 * independently with numpy (gzip + np.frombuffer), and the normalised
 * statistics. Skipped with a note when the directory is absent. */
#include <stdint.h>

#include "check.h"
#include "core/fsutil.h"
#include "data/dataset.h"

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

static void check_split(const char *split, int64_t count, const int32_t first[10], int64_t pixel_sum)
{
    ar_err_t e = {0};
    ar_data_source_t src = {.path = FMNIST_DIR, .split = split};
    ar_dataset_t *ds = ar_dataset_open(&src, &e);
    CHECK(ds != NULL, "%s: %s", split, ar_err_msg(&e));
    if (!ds) return;
    const ar_dataset_info_t *in = ar_dataset_info(ds);
    CHECK(in->count == count && in->height == 28 && in->width == 28 && in->channels == 1, "%s shape", split);
    CHECK(in->num_classes == 10 && in->class_names && strcmp(in->class_names[0], "T-shirt/top") == 0 &&
              strcmp(in->class_names[9], "Ankle boot") == 0,
          "%s class names", split);
    CHECK(strcmp(in->format, "idx") == 0 && strstr(in->name, "fashion-mnist"), "%s format/name", split);
    uint8_t *px = malloc((size_t)count * 784);
    int32_t *lab = malloc((size_t)count * sizeof *lab);
    CHECK_OK(ar_dataset_read_u8(ds, 0, count, px, lab, &e), &e);
    int64_t per[10] = {0}, sum = 0;
    for (int64_t i = 0; i < count; i++) per[lab[i]]++;
    for (int64_t i = 0; i < count * 784; i++) sum += px[i];
    for (int c = 0; c < 10; c++) CHECK(per[c] == count / 10, "%s class %d: %lld images", split, c, (long long)per[c]);
    CHECK(memcmp(lab, first, 10 * sizeof *lab) == 0, "%s first labels", split);
    CHECK(sum == pixel_sum, "%s pixel sum %lld, numpy says %lld", split, (long long)sum, (long long)pixel_sum);

    /* normalised with the training statistics, the train split has mean ~0, std ~1 */
    const float mean[1] = {0.2860f}, std[1] = {0.3530f};
    int64_t n = count < 5000 ? count : 5000;
    ar_tensor_t x = ar_tensor_4d(n, 1, 28, 28);
    ar_tensor_alloc(&x);
    CHECK_OK(ar_dataset_read_batch(ds, count - n, n, mean, std, &x, NULL, NULL, &e), &e);
    double m = 0, v = 0;
    for (int64_t i = 0; i < n * 784; i++) m += x.data[i];
    m /= (double)(n * 784);
    for (int64_t i = 0; i < n * 784; i++) v += (x.data[i] - m) * (x.data[i] - m);
    v /= (double)(n * 784);
    CHECK(fabs(m) < 0.05 && fabs(sqrt(v) - 1.0) < 0.05, "%s normalised mean %g std %g", split, m, sqrt(v));
    ar_tensor_free(&x);
    free(px);
    free(lab);
    ar_dataset_destroy(&ds);
}

int main(void)
{
    if (!ar_is_dir(FMNIST_DIR)) {
        printf("note: %s absent (install dataset-fashion-mnist); skipping\n", FMNIST_DIR);
        TEST_MAIN_END();
    }
    const int32_t train_first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    const int32_t test_first[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    check_split("train", 60000, train_first, INT64_C(3431114169));
    check_split("test", 10000, test_first, INT64_C(573469082));
    TEST_MAIN_END();
}
