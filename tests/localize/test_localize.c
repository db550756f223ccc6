/* test_localize.c - the known-answer test: a trained Fashion-MNIST model
 * (tests/data/fmnist_resnet20_w025.h5, tools/train_localize_model.py) with
 * one block damaged ranks that block first; plus the invariants of a run
 * and the /localization output.
 *
 * The source set is the first 600 test images that the undamaged model
 * classifies correctly, so every failing example is a failure the damage
 * caused. The damage amplifies one channel's BN scale x10 in the block's
 * first batchnorm (lz_testutil.h amplify_block): the fault model spectrum
 * analysis is built for - inputs that activate the neuron fail, the others
 * pass (docs/localization.md, "Known-answer test").
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "io/h5.h"
#include "localize/localize.h"
#include "lz_testutil.h"
#include "nn/model_io.h"

#define NHEAD 600

static void check_result(const ar_localize_result_t *r, int64_t want)
{
    CHECK(r->counts.n_pass == want, "n_pass %lld", (long long)r->counts.n_pass);
    CHECK(r->counts.n_fail == want + r->counts.n_adv, "n_fail %lld = %lld + adv %lld",
          (long long)r->counts.n_fail, (long long)want, (long long)r->counts.n_adv);
    int bad = 0;
    for (int64_t i = 0; i < r->nneurons; i++) {
        bad += r->counts.act_fail[i] < 0 || r->counts.act_fail[i] > r->counts.n_fail;
        bad += r->counts.act_pass[i] < 0 || r->counts.act_pass[i] > r->counts.n_pass;
        bad += !(r->grad[i] >= 0) || !(r->susp[i] >= 0) || !isfinite(r->susp[i]);
    }
    CHECK(bad == 0, "%d neurons with impossible counts or scores", bad);
    for (int b = 1; b < r->nblocks; b++)
        CHECK(r->block_scores[r->block_rank[b - 1]] >= r->block_scores[r->block_rank[b]], "ranking sorted");
}

int main(void)
{
    ar_err_t err = {0};
    char path[4096];
    const char *src = getenv("AR_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/data/fmnist_resnet20_w025.h5", src ? src : ".");
    ar_graph_t *g = ar_model_load(path, &err);
    CHECK(g, "%s", err.msg);
    ar_dataset_t *head = g ? fmnist_head("test", NHEAD, &err) : NULL;
    CHECK(head, "%s", err.msg);
    if (!g || !head) TEST_MAIN_END();

    /* the source: images the undamaged model gets right */
    uint8_t *ok = malloc(NHEAD);
    ar_lz_engine_t *e = ar_lz_engine_new(g, 100, NULL, NULL, NULL, 0, &err);
    CHECK(e && !ar_lz_engine_scan(e, head, 0, NHEAD, ok, &err), "scan: %s", err.msg);
    ar_lz_engine_destroy(&e);
    int64_t nok = 0;
    for (int i = 0; i < NHEAD; i++) nok += ok[i];
    CHECK(nok > 360, "the trained model gets %lld of %d right", (long long)nok, NHEAD);
    ar_dataset_t *ds = subset(head, ok, &err);
    free(ok);

    const char *blocks[] = {"layer2.1", "layer3.2"};
    for (int t = 0; ds && t < 2; t++) {
        ar_graph_t *d = ar_graph_clone(g, &err);
        CHECK(d && amplify_block(d, blocks[t], 1, 10.0, 7) == 1, "damage %s", blocks[t]);
        ar_graph_set_frozen(d, 0, 1); /* the caller's flags survive */
        ar_localize_opts_t o = ar_localize_opts_default();
        o.count = 100;
        o.batch = 50;
        o.seed = 11;
        ar_localize_result_t *r = NULL;
        int s = ar_localize_run(d, &ds, 1, &o, NULL, &r, &err);
        CHECK(!s, "localize: %s", err.msg);
        CHECK(d->nodes[0].frozen == 1 && d->nodes[1].frozen == 0, "frozen flags restored");
        if (r) {
            check_result(r, o.count);
            printf("damaged %s: ranked %s (%.4g), then %s (%.4g); %lld adversarial\n", blocks[t],
                   r->block_names[r->block_rank[0]], r->block_scores[r->block_rank[0]],
                   r->block_names[r->block_rank[1]], r->block_scores[r->block_rank[1]], (long long)r->counts.n_adv);
            CHECK(!strcmp(r->block_names[r->block_rank[0]], blocks[t]), "damaged %s but %s ranked first",
                  blocks[t], r->block_names[r->block_rank[0]]);
            if (t == 0) {
                /* the output group, read back */
                const char *out = test_tmp("localization.h5");
                ar_h5_t *h = ar_h5_create(out, &err);
                CHECK(h && !ar_localize_write_h5(h, r, &err) && !ar_h5_commit(&h, &err), "write: %s", err.msg);
                ar_h5_destroy(&h);
                h = ar_h5_open(out, &err);
                char **names = NULL, *chosen = NULL;
                int n = 0;
                double *sc = malloc((size_t)r->nblocks * sizeof *sc);
                CHECK(h && !ar_h5_read_strings(h, "/localization/block_names", &names, &n, &err) &&
                          n == r->nblocks && !ar_h5_read(h, "/localization/block_scores", AR_DT_F64, sc, n, &err) &&
                          !ar_h5_attr_read_str(h, "/localization", "chosen", &chosen, &err),
                      "read back: %s", err.msg);
                for (int b = 0; names && b < n; b++)
                    CHECK(!strcmp(names[b], r->block_names[b]) && sc[b] == r->block_scores[b], "block %d", b);
                CHECK(chosen && !strcmp(chosen, blocks[t]), "chosen attribute");
                CHECK(h && ar_h5_exists(h, "/localization/neurons/suspiciousness"), "per-neuron arrays");
                ar_h5_free_strings(names, n);
                free(chosen);
                free(sc);
                ar_h5_destroy(&h);
                remove(out);
            }
        }
        ar_localize_result_destroy(&r);
        ar_graph_destroy(&d);
    }
    /* errors: a set of the wrong shape names the set */
    ar_localize_opts_t o = ar_localize_opts_default();
    o.count = 0;
    ar_localize_result_t *r = NULL;
    CHECK(ar_localize_run(g, &ds, 1, &o, NULL, &r, &err) == AR_E_ARG && !r, "count 0 rejected");
    ar_dataset_destroy(&ds);
    ar_dataset_destroy(&head);
    ar_graph_destroy(&g);
    TEST_MAIN_END();
}
