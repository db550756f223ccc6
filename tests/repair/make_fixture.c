/* make_fixture.c - writes a tiny repair test case: DIR/model.h5 (a small
 * CIFAR-style ResNet20 for 1x12x12 images and 3 classes, zoo init, seed 1)
 * and DIR/data.h5 (600 synthetic images: class k is a bright 4x4 patch at
 * one of three places on noise; HDF5 dataset format). The model is first
 * trained briefly on the images 400..599 (the repair search's finetune
 * method, 2 epochs), so it is neither random nor perfect. Usage:
 * make_fixture DIR */
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "io/h5.h"
#include "nn/model_io.h"
#include "nn/zoo.h"
#include "repair/search.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_fixture DIR\n");
        return 2;
    }
    char path[1024];
    ar_err_t e = {0};
    ar_zoo_opts_t zo = {.in_c = 1, .in_h = 12, .in_w = 12, .num_classes = 3, .width = 0.25,
                        .seed = 1};
    ar_graph_t *g = ar_zoo_build("resnet20", &zo, &e);
    if (!g) {
        fprintf(stderr, "make_fixture: %s\n", ar_err_msg(&e));
        return 1;
    }
    enum { N = 600, H = 12 };
    uint8_t *px = malloc((size_t)N * H * H);
    int64_t *lab = malloc(N * sizeof *lab);
    ar_rng_t r;
    ar_rng_init(&r, 77);
    for (int i = 0; i < N; i++) {
        int k = (int)ar_rng_below(&r, 3);
        lab[i] = k;
        uint8_t *p = px + (size_t)i * H * H;
        for (int j = 0; j < H * H; j++) p[j] = (uint8_t)ar_rng_below(&r, 160);
        int oy = k == 0 ? 1 : 7, ox = k == 2 ? 1 : 7;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++) p[(oy + a) * H + ox + b] = (uint8_t)(200 + ar_rng_below(&r, 56));
    }
    /* brief training on images 400..599 (normalisation of the zoo: 0, 1) */
    ar_tensor_t xt = ar_tensor_4d(200, 1, H, H), xv = ar_tensor_4d(100, 1, H, H);
    int32_t yt[200], yv[100];
    ar_tensor_alloc(&xt);
    ar_tensor_alloc(&xv);
    for (int i = 0; i < 200; i++) {
        yt[i] = (int32_t)lab[400 + i];
        for (int j = 0; j < H * H; j++) xt.data[i * H * H + j] = px[(size_t)(400 + i) * H * H + j] / 255.f;
    }
    for (int i = 0; i < 100; i++) {
        yv[i] = (int32_t)lab[i];
        for (int j = 0; j < H * H; j++) xv.data[i * H * H + j] = px[(size_t)i * H * H + j] / 255.f;
    }
    ar_search_cfg_t c = ar_search_cfg_default();
    c.method = AR_METHOD_FINETUNE, c.search_epochs = 1, c.finetune_epochs = 1, c.batch = 20;
    c.lr = 0.05, c.seed = 1;
    ar_imgset_t tr = {&xt, yt, NULL}, va = {&xv, yv, NULL};
    ar_search_result_t res;
    snprintf(path, sizeof path, "%s/model.h5", argv[1]);
    if (ar_search_run(g, &c, &tr, &va, NULL, NULL, &res, &e) || ar_model_save(res.model, path, &e)) {
        fprintf(stderr, "make_fixture: %s\n", ar_err_msg(&e));
        return 1;
    }
    printf("fixture model: validation accuracy %.3f\n", res.val_acc);
    ar_search_result_free(&res);
    ar_graph_destroy(&g);
    ar_tensor_free(&xt);
    ar_tensor_free(&xv);
    snprintf(path, sizeof path, "%s/data.h5", argv[1]);
    ar_h5_t *h = ar_h5_create(path, &e);
    int st = h ? AR_OK : e.status;
    if (!st) st = ar_h5_write(h, "/images", AR_DT_U8, 4, (int64_t[]){N, H, H, 1}, px, 0, &e);
    if (!st) st = ar_h5_write(h, "/labels", AR_DT_I64, 1, (int64_t[]){N}, lab, 0, &e);
    if (!st) st = ar_h5_commit(&h, &e);
    ar_h5_destroy(&h);
    free(px);
    free(lab);
    if (st) fprintf(stderr, "make_fixture: %s\n", ar_err_msg(&e));
    return st ? 1 : 0;
}
