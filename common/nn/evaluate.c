/* evaluate.c - the evaluation loop (evaluate.h). */
#include "evaluate.h"

#include <math.h>
#include <string.h>

#include "nn/basic_ops.h"

/* AR_E_FORMAT when a label of row start+i is not a class 0..k-1. */
static int check_labels(const int32_t *y, int n, int k, int64_t start, const char *name,
                        ar_err_t *err)
{
    for (int i = 0; i < n; i++)
        if (y[i] < 0 || y[i] >= k)
            return ar_err_set(err, AR_E_FORMAT, "%s%simage %lld has label %d, the model has %d classes",
                              name ? name : "", name ? ": " : "", (long long)(start + i), y[i], k);
    return AR_OK;
}

/* q = softmax(z), computed in double. */
static void softmax_row(const float *z, int k, float *q)
{
    const double m = z[ar_argmax(z, k)];
    double s = 0.0;
    for (int j = 0; j < k; j++) s += exp((double)z[j] - m);
    for (int j = 0; j < k; j++) q[j] = (float)(exp((double)z[j] - m) / s);
}

int ar_evaluate(ar_plan_t *p, const ar_eval_opts_t *o, ar_eval_result_t *r, ar_err_t *err)
{
    const ar_graph_t *g = ar_plan_graph(p);
    const int k = g->num_classes, batch = ar_plan_max_batch(p);
    double loss_sum = 0.0;
    int st = AR_OK;
    memset(r, 0, sizeof *r);
    for (int64_t at = 0; !st && at < o->count; at += batch) {
        const int n = (int)(o->count - at < batch ? o->count - at : batch);
        const ar_tensor_t *x = NULL;
        const int32_t *y = NULL;
        st = o->read(o->read_ctx, o->start + at, n, &x, &y, err);
        if (!st) st = check_labels(y, n, k, o->start + at, o->name, err);
        if (!st)
            st = x ? ar_plan_forward(p, x, AR_MODE_EVAL, err)
                   : ar_plan_forward_range(p, o->first, g->nnodes - 1, AR_MODE_EVAL, err);
        if (st) break;
        if (o->loss) loss_sum += ar_plan_loss(p, y, NULL) * n;
        const float *logits = ar_plan_logits(p)->data;
        for (int i = 0; i < n; i++) {
            const int best = (int)ar_argmax(logits + (size_t)i * (size_t)k, k);
            const int64_t row = at + i;
            r->correct += best == y[i];
            if (o->pred) o->pred[row] = best;
            if (o->correct) o->correct[row] = best == y[i];
            if (o->confusion) o->confusion[(size_t)y[i] * (size_t)k + (size_t)best]++;
            if (o->probs) softmax_row(logits + (size_t)i * (size_t)k, k, o->probs + row * k);
        }
        r->count += n;
        if (o->after_batch) st = o->after_batch(o->hook_ctx, r, err);
    }
    if (o->loss && r->count) r->loss = loss_sum / (double)r->count;
    return st;
}

int ar_eval_images_read(void *images, int64_t start, int n, const ar_tensor_t **x,
                        const int32_t **labels, ar_err_t *err)
{
    ar_eval_images_t *im = images;
    const ar_tensor_t *all = im->x;
    if (start < 0 || n < 1 || start + n > all->shape[0])
        return ar_err_set(err, AR_E_ARG, "rows %lld..%lld outside the %lld images held",
                          (long long)start, (long long)(start + n), (long long)all->shape[0]);
    int64_t img = all->shape[1] * all->shape[2] * all->shape[3];
    im->view = ar_tensor_4d(n, all->shape[1], all->shape[2], all->shape[3]);
    im->view.data = all->data + start * img;
    *x = &im->view;
    *labels = im->y + start;
    return AR_OK;
}
