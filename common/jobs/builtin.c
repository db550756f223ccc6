/* builtin.c - every job kind and task type of this build, in one list.
 * Adding a job = one line per kind / type here. */
#include "jobs/job_evaluate.h"
#include "jobs/job_localize.h"
#include "jobs/job_repair.h"
#include "jobs/job_stats.h"
#include "jobs/task_repair.h"
#include "runtime/registry.h"

int ar_registry_add_builtin(ar_registry_t *r, ar_err_t *err)
{
    static const ar_job_kind_t *const jobs[] = {&ar_job_evaluate, &ar_job_stats, &ar_job_repair, &ar_job_localize};
    static const ar_task_type_t *const tasks[] = {&ar_task_evaluate, &ar_task_stats, &ar_task_repair, &ar_task_localize_scan,
                                                   &ar_task_localize_spectrum,
#ifdef AR_HAVE_LOCALIZE
                                                   &ar_task_repair_localize,
#endif
    };
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
