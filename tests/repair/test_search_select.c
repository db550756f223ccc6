/* test_search_select.c - the repair selection rule (repair/select.h) on
 * hand-made metrics: the clean-drop bound rejects a candidate however good
 * its corrupted accuracy, the best qualifying one wins, none qualifying
 * keeps the original (-1), and the halving ranking puts qualifying first. */
#include "check.h"
#include "repair/select.h"

int main(void)
{
    const double c0 = 0.90, md = 0.005;
    /* 0: breaks the bound (clean 0.880) with the best corrupted accuracy;
     * 1: within the bound, 2: exactly at the bound, better corrupted than 1;
     * 3: within, but pruned (not alive) with the best qualifying corrupted */
    ar_repair_metrics_t m[4] = {{0.880, 0.80}, {0.899, 0.70}, {0.895, 0.72}, {0.91, 0.79}};
    int alive[4] = {1, 1, 1, 0};
    CHECK(!ar_repair_qualifies(&m[0], c0, md), "a 2-point clean drop does not qualify");
    CHECK(ar_repair_qualifies(&m[1], c0, md) && ar_repair_qualifies(&m[2], c0, md),
          "within and at the bound qualify");
    int best = ar_repair_pick(m, alive, 4, c0, md);
    CHECK(best == 2, "the best qualifying alive candidate wins, not the bound-breaker: got %d", best);
    CHECK(ar_repair_pick(m, NULL, 4, c0, md) == 3, "alive NULL: all candidates");
    CHECK(ar_repair_pick(m, alive, 4, c0, 0.03) == 0, "a looser bound lets candidate 0 win");
    /* no candidate qualifies: -1, the job keeps the original model */
    ar_repair_metrics_t bad[2] = {{0.88, 0.85}, {0.894, 0.84}};
    CHECK(ar_repair_pick(bad, NULL, 2, c0, md) == -1, "none within the bound: keep the original");
    CHECK(ar_repair_pick(bad, NULL, 0, c0, md) == -1, "no candidate at all: keep the original");
    CHECK(ar_repair_pick(m, (int[]){1, 0, 0, 0}, 4, c0, md) == -1,
          "only the bound-breaker alive: keep the original");
    /* halving: qualifying before not, then corrupted, then clean */
    CHECK(ar_repair_ranks_before(&m[1], &m[0], c0, md) && !ar_repair_ranks_before(&m[0], &m[1], c0, md),
          "qualifying ranks first");
    CHECK(ar_repair_ranks_before(&m[2], &m[1], c0, md), "then corrupted accuracy");
    ar_repair_metrics_t t1 = {0.90, 0.7}, t2 = {0.899, 0.7};
    CHECK(ar_repair_ranks_before(&t1, &t2, c0, md) && !ar_repair_ranks_before(&t2, &t1, c0, md) &&
              !ar_repair_ranks_before(&t1, &t1, c0, md),
          "then clean accuracy; never before itself");
    TEST_MAIN_END();
}
