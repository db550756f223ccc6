/* builtin.h - every job kind and task type of this build, registered in one
 * call (the list is builtin.c: one line per kind / type). */
#ifndef AR_JOBS_BUILTIN_H
#define AR_JOBS_BUILTIN_H

#include "runtime/registry.h"

/* Registers the evaluate, stats, localize and repair job kinds and their
 * task types. AR_E_ARG on a duplicate name. */
int ar_registry_add_builtin(ar_registry_t *r, ar_err_t *err);

#endif
