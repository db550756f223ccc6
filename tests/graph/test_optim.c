/* test_optim.c - SGD (momentum, Nesterov, weight decay) and Adam steps
 * against hand-computed values (checked with torch.optim 1.13), and the
 * learning-rate schedules. */
#include <math.h>

#include "check.h"
#include "nn/optim.h"

static ar_param_ref_t ref(float *w, float *g, int n)
{
    return (ar_param_ref_t){.node = 0, .node_name = "x", .name = "weight", .value = w, .grad = g, .numel = n};
}

static void test_sgd(void)
{
    ar_err_t e = {0};
    /* torch: SGD(lr=0.1, momentum=0.9, weight_decay=0.01), grad [0.5, 0.25] twice */
    float w[2] = {1.0f, -2.0f}, g[2] = {0.5f, 0.25f};
    ar_param_ref_t r = ref(w, g, 2);
    ar_optim_cfg_t c = {.kind = AR_OPTIM_SGD, .momentum = 0.9, .weight_decay = 0.01};
    ar_optim_t *o = ar_optim_new(&c, &r, 1, &e);
    CHECK(o != NULL, "%s", ar_err_msg(&e));
    ar_optim_step(o, 0.1);
    CHECK_NEAR(w[0], 0.949, 1e-6);
    CHECK_NEAR(w[1], -2.023, 1e-6);
    ar_optim_step(o, 0.1);
    /* buf = 0.9 * 0.51 + (0.5 + 0.01 * 0.949) = 0.96849 */
    CHECK_NEAR(w[0], 0.8521509766578674, 1e-6);
    CHECK_NEAR(w[1], -2.0666770935058594, 1e-6);
    CHECK(ar_optim_steps(o) == 2, "steps");
    ar_optim_destroy(&o);
    ar_optim_destroy(&o);

    float wn[2] = {1.0f, -2.0f};
    r = ref(wn, g, 2);
    c.nesterov = 1;
    o = ar_optim_new(&c, &r, 1, &e);
    ar_optim_step(o, 0.1);
    CHECK_NEAR(wn[0], 0.9031, 1e-6); /* d + 0.9 * buf with buf = d at step 1 */
    ar_optim_step(o, 0.1);
    CHECK_NEAR(wn[0], 0.7650741338729858, 1e-6);
    CHECK_NEAR(wn[1], -2.1059470176696777, 1e-6);
    ar_optim_destroy(&o);

    /* plain SGD, no momentum: w -= lr * g; a NULL gradient is skipped */
    float wp[1] = {3.0f}, gp[1] = {2.0f}, wq[1] = {5.0f};
    ar_param_ref_t rs[2] = {ref(wp, gp, 1), ref(wq, NULL, 1)};
    ar_optim_cfg_t plain = {.kind = AR_OPTIM_SGD};
    o = ar_optim_new(&plain, rs, 2, &e);
    ar_optim_step(o, 0.5);
    CHECK(wp[0] == 2.0f && wq[0] == 5.0f, "plain step %g, skipped %g", wp[0], wq[0]);
    ar_optim_destroy(&o);

    ar_optim_cfg_t bad = {.kind = AR_OPTIM_SGD, .nesterov = 1};
    CHECK(ar_optim_new(&bad, rs, 2, &e) == NULL && strstr(e.msg, "nesterov"), "%s", e.msg);
}

static void test_adam(void)
{
    ar_err_t e = {0};
    /* torch: Adam(lr=0.01, weight_decay=0.1), grad [0.5, -0.2] three times */
    float w[2] = {1.0f, -3.0f}, g[2] = {0.5f, -0.2f};
    ar_param_ref_t r = ref(w, g, 2);
    ar_optim_cfg_t c = {.kind = AR_OPTIM_ADAM, .weight_decay = 0.1};
    ar_optim_t *o = ar_optim_new(&c, &r, 1, &e);
    CHECK(o != NULL, "%s", ar_err_msg(&e));
    static const double want[3][2] = {{0.9900000095367432, -2.990000009536743},
                                      {0.9800004363059998, -2.9800004959106445},
                                      {0.9700015783309937, -2.9700019359588623}};
    for (int s = 0; s < 3; s++) {
        ar_optim_step(o, 0.01);
        CHECK_NEAR(w[0], want[s][0], 1e-6);
        CHECK_NEAR(w[1], want[s][1], 1e-6);
    }
    ar_optim_destroy(&o);
}

static void test_sched(void)
{
    ar_lr_sched_t s = {.kind = AR_LR_STEP, .base = 0.1, .gamma = 0.1, .step_size = 30};
    CHECK_NEAR(ar_lr_at(&s, 29), 0.1, 1e-12);
    CHECK_NEAR(ar_lr_at(&s, 30), 0.01, 1e-12);
    CHECK_NEAR(ar_lr_at(&s, 65), 0.001, 1e-12);
    s = (ar_lr_sched_t){.kind = AR_LR_COSINE, .base = 0.1, .t_max = 100, .eta_min = 0.001};
    CHECK_NEAR(ar_lr_at(&s, 0), 0.1, 1e-12);
    CHECK_NEAR(ar_lr_at(&s, 50), 0.0505, 1e-12);
    CHECK_NEAR(ar_lr_at(&s, 100), 0.001, 1e-12);
    /* torch CosineAnnealingLR at epoch 25 of 100: eta_min + (base-eta_min)(1+cos(pi/4))/2 */
    CHECK_NEAR(ar_lr_at(&s, 25), 0.001 + 0.099 * (1 + cos(M_PI / 4)) / 2, 1e-12);
    s.warmup = 5;
    s.warmup_start = 0.1;
    CHECK_NEAR(ar_lr_at(&s, 0), 0.01, 1e-12);
    CHECK_NEAR(ar_lr_at(&s, 2.5), 0.1 * 0.55 * (0.001 / 0.1 + 0.99 * (1 + cos(M_PI * 0.025)) / 2),
               1e-12);
    CHECK_NEAR(ar_lr_at(&s, 5), ar_lr_at(&(ar_lr_sched_t){.kind = AR_LR_COSINE, .base = 0.1,
                                                          .t_max = 100, .eta_min = 0.001}, 5),
               1e-12);
    CHECK(ar_lr_kind_parse("cosine") == AR_LR_COSINE && ar_lr_kind_parse("cos") == -1, "parse");
}

int main(void)
{
    test_sgd();
    test_adam();
    test_sched();
    TEST_MAIN_END();
}
