/* comm_mpi.h - MPI as launcher and trusted bootstrap channel (comm_mpi.c is
 * the only file that includes mpi.h).
 *
 * MPI carries only small, trusted things: ranks and hosts, the job text, the
 * coordinator's endpoint, the per-job CURVE public keys, and the final
 * barrier. Everything else goes over the ZeroMQ data plane (transport.h).
 * The library runs MPI with MPI_THREAD_FUNNELED: only the thread that called
 * ar_mpi_init makes MPI calls (worker heartbeat threads and the coordinator's
 * in-process worker use ZeroMQ only). Errors return AR_E_MPI with the MPI
 * error text; MPI's own error handler is set to return, not abort.
 */
#ifndef AR_COMM_COMM_MPI_H
#define AR_COMM_COMM_MPI_H

#include <stddef.h>

#include "core/error.h"

typedef struct ar_mpi {
    int rank, size;          /* in MPI_COMM_WORLD */
    char host[256];          /* this rank's host name (MPI_Get_processor_name) */
    int local_rank;          /* index among the ranks on this host */
    int local_size;          /* ranks on this host */
    int hosts;               /* distinct hosts in the job */
    int initialized;         /* 1 after a successful ar_mpi_init */
} ar_mpi_t;

/* Initialises MPI (MPI_THREAD_FUNNELED or better) and fills m. */
int ar_mpi_init(int *argc, char ***argv, ar_mpi_t *m, ar_err_t *err);

/* Broadcasts len bytes from root into buf on every rank. */
int ar_mpi_bcast(void *buf, size_t len, int root, ar_err_t *err);

/* Broadcasts a NUL-terminated string of any length from root. On root *text
 * is unchanged; elsewhere *text becomes a malloc'd copy the caller frees. */
int ar_mpi_bcast_text(char **text, int root, ar_err_t *err);

/* Gathers n bytes from every rank into all (size * n bytes) on root only
 * (all is ignored elsewhere). */
int ar_mpi_gather(const void *mine, size_t n, void *all, int root, ar_err_t *err);

/* Logical AND of ok over all ranks: 1 if every rank passed 1. */
int ar_mpi_all_ok(int ok, int *all_ok, ar_err_t *err);

/* Waits until every rank arrives. */
int ar_mpi_barrier(ar_err_t *err);

/* MPI_Finalize; safe when init failed. */
void ar_mpi_finalize(ar_mpi_t *m);

/* The last resort: MPI_Abort(MPI_COMM_WORLD, code), which ends every rank of
 * the job. Called only by the executables, never by library code. */
void ar_mpi_abort(int code);

#endif
