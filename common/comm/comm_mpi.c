/* comm_mpi.c - the only compilation unit that calls MPI. Contract: comm_mpi.h. */
#include "comm_mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mpi_fail(ar_err_t *err, int rc, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(rc, text, &n) != MPI_SUCCESS) strcpy(text, "unknown MPI error");
    return ar_err_set(err, AR_E_MPI, "%s: %s", what, text);
}

int ar_mpi_init(int *argc, char ***argv, ar_mpi_t *m, ar_err_t *err)
{
    memset(m, 0, sizeof *m);
    int provided = 0;
    int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Init_thread");
    m->initialized = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (provided < MPI_THREAD_FUNNELED)
        return ar_err_set(err, AR_E_MPI, "MPI provides thread level %d, need FUNNELED", provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &m->size);
    char name[MPI_MAX_PROCESSOR_NAME];
    int n = 0;
    if ((rc = MPI_Get_processor_name(name, &n)) != MPI_SUCCESS)
        return mpi_fail(err, rc, "MPI_Get_processor_name");
    name[n < MPI_MAX_PROCESSOR_NAME ? n : MPI_MAX_PROCESSOR_NAME - 1] = '\0';
    snprintf(m->host, sizeof m->host, "%.*s", (int)sizeof m->host - 1, name);
    MPI_Comm local;
    rc = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m->rank, MPI_INFO_NULL, &local);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Comm_split_type");
    MPI_Comm_rank(local, &m->local_rank);
    MPI_Comm_size(local, &m->local_size);
    MPI_Comm_free(&local);
    int leader = m->local_rank == 0;
    rc = MPI_Allreduce(&leader, &m->hosts, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Allreduce (hosts)");
    return AR_OK;
}

int ar_mpi_bcast(void *buf, size_t len, int root, ar_err_t *err)
{
    char *p = buf;
    while (len) { /* counts are int: send big buffers in pieces */
        int piece = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        int rc = MPI_Bcast(p, piece, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Bcast");
        p += piece;
        len -= (size_t)piece;
    }
    return AR_OK;
}

int ar_mpi_bcast_text(char **text, int root, ar_err_t *err)
{
    int me = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    unsigned long long n = me == root ? strlen(*text) : 0;
    int rc = MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail(err, rc, "MPI_Bcast (length)");
    if (me == root) return ar_mpi_bcast(*text, (size_t)n, root, err);
    char *buf = malloc((size_t)n + 1);
    if (!buf) return ar_err_set(err, AR_E_NOMEM, "out of memory receiving %llu bytes", n);
    int s = ar_mpi_bcast(buf, (size_t)n, root, err);
    if (s) {
        free(buf);
        return s;
    }
    buf[n] = '\0';
    *text = buf;
    return AR_OK;
}

int ar_mpi_gather(const void *mine, size_t n, void *all, int root, ar_err_t *err)
{
    if (n > (size_t)INT_MAX) return ar_err_set(err, AR_E_ARG, "gather of %zu bytes too large", n);
    int rc = MPI_Gather(mine, (int)n, MPI_BYTE, all, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AR_OK : mpi_fail(err, rc, "MPI_Gather");
}

int ar_mpi_all_ok(int ok, int *all_ok, ar_err_t *err)
{
    int rc = MPI_Allreduce(&ok, all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AR_OK : mpi_fail(err, rc, "MPI_Allreduce");
}

int ar_mpi_barrier(ar_err_t *err)
{
    int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AR_OK : mpi_fail(err, rc, "MPI_Barrier");
}

void ar_mpi_finalize(ar_mpi_t *m)
{
    int fin = 0;
    MPI_Finalized(&fin);
    if (m && m->initialized && !fin) MPI_Finalize();
    if (m) m->initialized = 0;
}

void ar_mpi_abort(int code)
{
    MPI_Abort(MPI_COMM_WORLD, code);
}
