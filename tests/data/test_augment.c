/* test_augment.c - random crop + flip: equal to a naive pad-crop-flip
 * reference, choices depend only on (seed, epoch, image index), offsets and
 * flips are spread as they should be, and bad arguments are errors. */
#include <stdint.h>

#include "check.h"
#include "data/augment.h"

#define C 3
#define H 8
#define W 6

static float val(int64_t img, int c, int y, int x) { return (float)(img * 1000 + c * 100 + y * 10 + x); }

static void fill_batch(ar_tensor_t *t, const int64_t *idx)
{
    for (int64_t i = 0; i < t->shape[0]; i++)
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) t->data[((i * C + c) * H + y) * W + x] = val(idx[i], c, y, x);
}

/* Pads with fill, crops at (dy, dx), then flips: the torchvision order. */
static float reference(const ar_augment_t *a, int64_t img, int c, int y, int x, int dy, int dx, int flip)
{
    int p = a->pad;
    int cx = flip ? W - 1 - x : x;
    int py = y + dy, px = cx + dx; /* in the padded image */
    int sy = py - p, sx = px - p;
    if (sy < 0 || sy >= H || sx < 0 || sx >= W) return a->fill[c];
    return val(img, c, sy, sx);
}

static void test_reference(void)
{
    ar_err_t e = {0};
    ar_augment_t a = {.pad = 2, .flip = 1, .seed = 42, .fill = {-1.5f, 0.25f, 7.0f}};
    int64_t idx[16];
    for (int i = 0; i < 16; i++) idx[i] = 100 + i * 37;
    ar_tensor_t t = ar_tensor_4d(16, C, H, W);
    ar_tensor_alloc(&t);
    fill_batch(&t, idx);
    CHECK_OK(ar_augment_apply(&a, &t, idx, 3, &e), &e);
    int bad = 0;
    for (int i = 0; i < 16; i++) {
        int dy, dx, flip;
        ar_augment_choice(&a, 3, idx[i], &dy, &dx, &flip);
        CHECK(dy >= 0 && dy <= 4 && dx >= 0 && dx <= 4 && (flip == 0 || flip == 1), "choice range");
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    bad += t.data[((i * C + c) * H + y) * W + x] != reference(&a, idx[i], c, y, x, dy, dx, flip);
    }
    CHECK(bad == 0, "%d values differ from the pad-crop-flip reference", bad);
    ar_tensor_free(&t);
}

static void test_determinism(void)
{
    ar_err_t e = {0};
    ar_augment_t a = ar_augment_default(32, 7);
    CHECK(a.pad == 4 && a.flip == 1, "default for 32x32: pad 4, flip");
    a.pad = 2; /* our test images are 8x6 */
    /* the same image index in two different batches and positions */
    int64_t b1[4] = {5, 9, 13, 77}, b2[3] = {77, 2, 5};
    ar_tensor_t t1 = ar_tensor_4d(4, C, H, W), t2 = ar_tensor_4d(3, C, H, W);
    ar_tensor_alloc(&t1);
    ar_tensor_alloc(&t2);
    fill_batch(&t1, b1);
    fill_batch(&t2, b2);
    CHECK_OK(ar_augment_apply(&a, &t1, b1, 1, &e), &e);
    CHECK_OK(ar_augment_apply(&a, &t2, b2, 1, &e), &e);
    size_t img = (size_t)C * H * W * sizeof(float);
    CHECK(memcmp(t1.data + 3 * C * H * W, t2.data, img) == 0, "image 77: same result in any batch");
    CHECK(memcmp(t1.data, t2.data + 2 * C * H * W, img) == 0, "image 5: same result in any batch");
    ar_tensor_free(&t1);
    ar_tensor_free(&t2);

    /* epochs and seeds change the choices; statistics of the choices */
    int diff_epoch = 0, diff_seed = 0, flips = 0, hist[5] = {0};
    ar_augment_t b = a;
    b.seed = 8;
    const int n = 4000;
    for (int i = 0; i < n; i++) {
        int y1, x1, f1, y2, x2, f2, y3, x3, f3;
        ar_augment_choice(&a, 0, i, &y1, &x1, &f1);
        ar_augment_choice(&a, 1, i, &y2, &x2, &f2);
        ar_augment_choice(&b, 0, i, &y3, &x3, &f3);
        diff_epoch += y1 != y2 || x1 != x2 || f1 != f2;
        diff_seed += y1 != y3 || x1 != x3 || f1 != f3;
        flips += f1;
        hist[y1]++;
    }
    CHECK(diff_epoch > n * 9 / 10 && diff_seed > n * 9 / 10, "choices change with epoch (%d) and seed (%d)", diff_epoch,
          diff_seed);
    CHECK(flips > n * 45 / 100 && flips < n * 55 / 100, "flip rate %d / %d", flips, n);
    for (int k = 0; k < 5; k++) CHECK(hist[k] > n / 5 * 8 / 10 && hist[k] < n / 5 * 12 / 10, "dy=%d count %d", k, hist[k]);
}

static void test_identity_and_errors(void)
{
    ar_err_t e = {0};
    ar_augment_t a = {.pad = 0, .flip = 0, .seed = 1};
    int64_t idx[2] = {0, 1};
    ar_tensor_t t = ar_tensor_4d(2, C, H, W);
    ar_tensor_alloc(&t);
    fill_batch(&t, idx);
    CHECK_OK(ar_augment_apply(&a, &t, idx, 0, &e), &e);
    CHECK(t.data[C * H * W + 5] == val(1, 0, 0, 5), "no pad, no flip: unchanged");
    a.flip = 1; /* flip only: every image is itself or its mirror */
    CHECK_OK(ar_augment_apply(&a, &t, idx, 0, &e), &e);
    int dy, dx, f;
    ar_augment_choice(&a, 0, 1, &dy, &dx, &f);
    CHECK(dy == 0 && dx == 0, "no crop without padding");
    CHECK(t.data[C * H * W] == val(1, 0, 0, f ? W - 1 : 0), "flip only");
    a.pad = H;
    CHECK(ar_augment_apply(&a, &t, idx, 0, &e) == AR_E_ARG && strstr(ar_err_msg(&e), "padding 8"), "pad too big: %s",
          ar_err_msg(&e));
    ar_tensor_t t5 = ar_tensor_4d(1, 5, H, W);
    ar_tensor_alloc(&t5);
    a.pad = 1;
    CHECK(ar_augment_apply(&a, &t5, idx, 0, &e) == AR_E_ARG, "too many channels");
    ar_augment_t black = ar_augment_default(28, 0);
    const float mean[1] = {0.5f}, std[1] = {0.25f};
    ar_augment_fill_black(&black, mean, std, 1);
    CHECK(black.pad == 3 && black.fill[0] == -2.0f, "28x28 default pad 3, black fill");
    ar_tensor_free(&t);
    ar_tensor_free(&t5);
}

int main(void)
{
    test_reference();
    test_determinism();
    test_identity_and_errors();
    TEST_MAIN_END();
}
