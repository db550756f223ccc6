/* builtin.c - every job kind and task type of this build, in one list
 * (builtin.h). Adding a job = one line per kind / type here. */
#include "builtin.h"

#include "jobs/evaluate/evaluate_job.h"
#include "jobs/localize/localize_job.h"
#include "jobs/repair/repair_job.h"
#include "jobs/repair/repair_params.h"
#include "jobs/stats/stats_job.h"
#include "jobs/stats/stats_params.h"

int ar_registry_add_builtin(ar_registry_t *r, ar_err_t *err)
{
    static const ar_job_kind_t *const jobs[] = {&ar_job_evaluate, &ar_job_stats, &ar_job_repair,
                                                &ar_job_localize};
    static const ar_task_type_t *const tasks[] = {
        &ar_task_evaluate,          &ar_task_stats,  &ar_task_repair, &ar_task_localize_scan,
        &ar_task_localize_spectrum, &ar_task_repair_localize};
    for (size_t i = 0; i < sizeof jobs / sizeof jobs[0]; i++) {
        int s = ar_registry_add_job(r, jobs[i], err);
        if (s) return s;
    }
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++) {
        int s = ar_registry_add_task(r, tasks[i], err);
        if (s) return s;
    }
    return AR_OK;
}
