/* main.c - `mpirun -np N archrepair-coord JOB.toml`: one SPMD binary.
 *
 * Bootstrap over MPI (trusted): rank 0 reads the job file and broadcasts its
 * text; every rank parses and validates it (same verdict everywhere); every
 * worker rank makes a per-job CURVE keypair and sends its public key to rank
 * 0; rank 0 makes the server keypair, binds its ROUTER (ipc:// in a private
 * directory when all ranks share a host, else TCP on the chosen address)
 * and broadcasts the endpoint and its public key. Then rank 0 coordinates
 * and ranks 1..N-1 work over ZeroMQ; with one rank a worker thread in rank
 * 0 runs the same worker code over the same sockets. At the end every rank
 * meets in a barrier; when some worker did not acknowledge the shutdown
 * (dead or hung), rank 0 ends the job with MPI_Abort instead.
 *
 * Checkpoint and resume: rank 0 records the job's finished tasks in
 * "<job.output>.ckpt" (coordinator.h, runtime/checkpoint.h); `--resume`
 * continues from it after checking that the job text and the identity of
 * every input file are unchanged (refused with one line otherwise).
 * SIGTERM / SIGINT: rank 0 checkpoints and ends the job, workers cancel
 * their task; the job exits 1 (mpirun forwards the signal to every rank).
 *
 * Exit status: 0 when the job completed and its output was written, 1 when
 * it failed or was interrupted (the cause on stderr, naming rank, host and
 * message), 2 on bad usage.
 *
 * Test hook: AR_FAULT="<rank>:<after>:<kill|stop|error|slow|hang|long>" makes
 * that worker (rank "*": every worker), after <after> completed tasks,
 * SIGKILL itself, SIGSTOP itself (stops heartbeating), fail its next task,
 * sleep 50 ms before each task, get stuck in its next task while still
 * heartbeating, or run its next task until cancelled ("long"), so tests can
 * show how the job ends, balances or is interrupted.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm/comm_mpi.h"
#include "comm/netaddr.h"
#include "comm/transport.h"
#include "config/job_config.h"
#include "coordinator.h"
#include "core/cliopt.h"
#include "core/fsutil.h"
#include "core/str.h"
#include "core/version.h"
#include "jobs/builtin.h"
#include "jobs/job_opts.h"
#include "jobs/preflight.h"
#include "core/par.h"
#include "worker.h"

/* In libopenblas; declared here so no BLAS header is needed. */
extern void openblas_set_num_threads(int num_threads);

#define SOCK_NAME "coord"
#define HB_SOCK_NAME "heartbeat"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mpirun -np N archrepair-coord [--resume] JOB.toml\n"
            "       archrepair-coord --version | --help\n"
            "Runs the job described by JOB.toml: rank 0 coordinates, ranks 1..N-1 work\n"
            "(with -np 1 one worker thread runs inside rank 0). --resume continues an\n"
            "interrupted or failed job from its checkpoint <job.output>.ckpt. See\n"
            "docs/config.md for the job keys, docs/distributed.md for checkpoints and\n"
            "cluster/README.md for running on clusters.\n");
}

/* The signal that asks this process to stop (SIGTERM / SIGINT), or 0. */
static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
    g_stop = sig;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* The job's input files (model, data, repair source, every collection or
 * generated source), each once, with their identity now. */
static int job_inputs(const ar_job_config_t *cfg, ar_ckpt_input_t **out, uint32_t *n, ar_err_t *err)
{
    const char *p[3 + 256];
    int np = 0;
    p[np++] = cfg->model.path;
    p[np++] = cfg->data.path;
    if (cfg->repair.train_path && cfg->repair.train_path[0]) p[np++] = cfg->repair.train_path;
    for (int i = 0; i < cfg->data.corrupted.n && np < (int)(sizeof p / sizeof *p); i++) {
        const char *cp = ar_job_cset(cfg, i)->path;
        if (cp && cp[0]) p[np++] = cp;
    }
    *n = 0;
    if (!(*out = calloc((size_t)np, sizeof **out))) return ar_err_set(err, AR_E_NOMEM, "out of memory");
    for (int i = 0; i < np; i++) {
        int dup = !p[i] || !p[i][0];
        for (int k = 0; k < i && !dup; k++) dup = !strcmp(p[k], p[i]);
        if (dup) continue;
        int s = ar_ckpt_identify(p[i], &(*out)[*n], err);
        if (s) return s;
        (*n)++;
    }
    return AR_OK;
}

/* Removes what a killed earlier run of this job left half-written beside
 * its output: "<output>*.tmp.<pid>.<k>" (the result, the checkpoint, the
 * candidate models; core/fsutil.h). Returns how many. */
static int remove_stale_temps(const char *output)
{
    char dir[1024];
    ar_dir_of(output, dir, sizeof dir);
    const char *base = strrchr(output, '/') ? strrchr(output, '/') + 1 : output;
    size_t bl = strlen(base);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, base, bl) || !strstr(e->d_name + bl, ".tmp.")) continue;
        char path[2200];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n += unlink(path) == 0;
    }
    if (d) closedir(d);
    return n;
}

/* --resume: reads the checkpoint and checks it belongs to this job text and
 * these input files. */
static int load_resume(const char *ckpt, const char *job_path, const char *text, ar_ckpt_t *ck,
                       ar_err_t *err)
{
    if (ar_file_size(ckpt) < 0 && errno == ENOENT)
        return ar_err_set(err, AR_E_CONFIG, "cannot resume: no checkpoint %s (the job completed, "
                                            "or no task had finished)", ckpt);
    int s = ar_ckpt_read(ckpt, ck, err);
    if (s) return ar_err_prefix(err, "cannot resume");
    if (strcmp(ck->job_text, text))
        return ar_err_set(err, AR_E_CONFIG, "cannot resume: %s is not the job file checkpoint %s was "
                                            "written for (its text changed)", job_path, ckpt);
    s = ar_ckpt_check_inputs(ck, err);
    if (s) return ar_err_prefix(err, "cannot resume from %s", ckpt);
    return AR_OK;
}

/* What rank 0 broadcasts after binding. */
typedef struct boot {
    int ok;
    char endpoint[512];
    char hb_endpoint[512];   /* the coordinator's heartbeat thread */
    char server_pub[41];
} boot_t;

typedef struct thread_worker {
    ar_worker_cfg_t cfg;
    int status, job_failed;
    ar_err_t err;
} thread_worker_t;

/* Every worker is connected: the ipc:// socket file and its private
 * directory can go (established connections stay), so nothing is left in
 * TMPDIR even if the job is killed, and nobody else can try to connect. */
static void remove_ipc_dir(void *user)
{
    char *dir = user;
    if (dir[0]) {
        char hb[600];
        snprintf(hb, sizeof hb, "%s/%s", dir, HB_SOCK_NAME);
        unlink(hb);
        ar_net_private_dir_remove(dir, SOCK_NAME);
    }
    dir[0] = '\0';
}

static void *worker_thread(void *arg)
{
    thread_worker_t *t = arg;
    t->status = ar_worker_run(&t->cfg, &t->job_failed, &t->err);
    return NULL;
}

/* Agrees on ok across ranks; on disagreement the failing rank's message has
 * been printed by that rank. */
static int agree(int ok)
{
    int all = 0;
    ar_err_t e = {0};
    if (ar_mpi_all_ok(ok, &all, &e)) return 0;
    return all;
}

static void parse_fault(int rank, ar_worker_cfg_t *w)
{
    const char *f = getenv("AR_FAULT");
    int r = -1, after = 0;
    char mode[16] = "";
    int any = f && f[0] == '*' && f[1] == ':';
    if (any && sscanf(f + 2, "%d:%15s", &after, mode) == 2) r = rank;
    else if (f && sscanf(f, "%d:%d:%15s", &r, &after, mode) != 3) r = -1;
    if (r == rank) {
        w->fault_after = after;
        w->fault_mode = !strcmp(mode, "kill") ? AR_FAULT_KILL
                        : !strcmp(mode, "stop") ? AR_FAULT_STOP
                        : !strcmp(mode, "error") ? AR_FAULT_ERROR
                        : !strcmp(mode, "slow")  ? AR_FAULT_SLOW
                        : !strcmp(mode, "hang")  ? AR_FAULT_HANG
                        : !strcmp(mode, "long")  ? AR_FAULT_LONG
                        : !strcmp(mode, "stop-exchange") ? AR_FAULT_STOP_EXCHANGE
                        : !strcmp(mode, "kill-idle") ? AR_FAULT_KILL_IDLE
                                                 : AR_FAULT_NONE;
    }
}

/* Picks the endpoint to bind; *dir gets the private ipc directory ("" when
 * none was made). */
static int pick_endpoint(const ar_mpi_t *mpi, const ar_run_opts_t *o, char *ep, size_t cap,
                         char *dir, size_t dcap, ar_err_t *err)
{
    dir[0] = '\0';
    int single = mpi->hosts == 1;
    const char *tr = o->transport;
    if (!strcmp(tr, "ipc") && !single)
        return ar_err_set(err, AR_E_CONFIG, "[run] transport = \"ipc\" needs every rank on one host "
                                            "(ranks span %d hosts)", mpi->hosts);
    if (!strcmp(tr, "ipc") || (!strcmp(tr, "auto") && single)) {
        int s = ar_net_private_dir(dir, dcap, err);
        if (s) return s;
        snprintf(ep, cap, "ipc://%s/%s", dir, SOCK_NAME);
        return AR_OK;
    }
    char addr[64];
    if (single && !o->address[0]) {
        strcpy(addr, "127.0.0.1");
    } else {
        int s = ar_net_host_address(o->address, addr, sizeof addr, err);
        if (s) return s;
    }
    snprintf(ep, cap, "tcp://%s:*", addr);
    return AR_OK;
}

/* [run] reduce = "tree" with two workers or more: every worker binds a
 * server of its own (TCP: loopback on one host, else the interface [run]
 * address names, or its host name's address) admitting every worker key, and every rank learns every
 * worker's endpoint and key. Collective over MPI; pubs: rank 0's gathered
 * worker keys. On success *srv is this worker's server (NULL on rank 0) and
 * *peers the table, indexed by rank. */
static int tree_bootstrap(const ar_mpi_t *mpi, const ar_run_opts_t *o, const ar_curve_keypair_t *mine,
                          char (*pubs)[41], ar_server_t **srv, ar_peer_addr_t **peers, ar_err_t *err)
{
    int n = mpi->size, root = mpi->rank == 0;
    char(*keys)[41] = calloc((size_t)n, 41);
    char(*eps)[128] = calloc((size_t)n, 128);
    ar_peer_addr_t *tab = calloc((size_t)n, sizeof *tab);
    int *ranks = calloc((size_t)n, sizeof *ranks);
    const char **wpub = calloc((size_t)n, sizeof *wpub);
    int s = keys && eps && tab && ranks && wpub ? AR_OK : ar_err_set(err, AR_E_NOMEM, "out of memory");
    if (!agree(s == AR_OK)) s = s ? s : AR_E_NOMEM;
    if (!s && root) memcpy(keys, pubs, (size_t)n * 41);
    if (!s) s = ar_mpi_bcast(keys, (size_t)n * 41, 0, err);
    char mine_ep[128] = "";
    if (!s && !root) {
        for (int r = 1; r < n; r++) wpub[r - 1] = keys[r], ranks[r - 1] = r;
        char addr[64], ep[128];
        struct in_addr lit;
        /* an IPv4 literal names rank 0's address; an interface name is every node's */
        const char *want = inet_pton(AF_INET, o->address, &lit) == 1 ? "" : o->address;
        if (mpi->hosts == 1 && !o->address[0]) strcpy(addr, "127.0.0.1");
        else s = ar_net_host_address(want, addr, sizeof addr, err);
        snprintf(ep, sizeof ep, "tcp://%s:*", addr);
        ar_net_opts_t net = ar_net_opts_default();
        net.hwm = o->hwm;
        net.max_bytes = (size_t)o->max_message_mb << 20;
        net.send_timeout_ms = (int)(o->heartbeat_timeout * 1000);
        if (!s && !(*srv = ar_server_new(ep, mine, wpub, ranks, n - 1, &net, err))) s = err->status;
        if (!s) ar_str_copy(mine_ep, sizeof mine_ep, ar_server_endpoint(*srv));
        if (s) fprintf(stderr, "archrepair-coord: worker r%d: reduction tree: %s\n", mpi->rank,
                       ar_err_msg(err));
    }
    if (!agree(s == AR_OK)) s = s ? s : AR_E_NET;
    if (!s) s = ar_mpi_gather(mine_ep, sizeof mine_ep, eps, 0, err);
    if (!s) s = ar_mpi_bcast(eps, (size_t)n * 128, 0, err);
    for (int r = 0; !s && r < n; r++) {
        memcpy(tab[r].endpoint, eps[r], sizeof tab[r].endpoint);
        tab[r].endpoint[sizeof tab[r].endpoint - 1] = '\0';
        memcpy(tab[r].pub, keys[r], 41);
    }
    free(keys), free(eps), free(ranks), free(wpub);
    if (s) {
        free(tab);
        ar_server_destroy(srv);
        return s;
    }
    *peers = tab;
    return AR_OK;
}

static int run(ar_mpi_t *mpi, const char *path, int resume)
{
    ar_err_t err = {0};
    ar_log_t log = ar_log_default(mpi->rank);
    int root = mpi->rank == 0;
    char *text = NULL;
    if (root) text = ar_read_text_file(path, NULL, &err);
    if (!agree(!root || text != NULL)) {
        if (root) fprintf(stderr, "archrepair-coord: %s\n", ar_err_msg(&err));
        free(text);
        return 1;
    }
    if (ar_mpi_bcast_text(&text, 0, &err)) {
        fprintf(stderr, "archrepair-coord: rank %d: %s\n", mpi->rank, ar_err_msg(&err));
        return 1;
    }

    /* Every rank validates the same text: the same verdict everywhere. */
    ar_job_config_t cfg;
    ar_registry_t reg = {0};
    ar_run_opts_t opts = ar_run_opts_default();
    int s = ar_job_load_string(text, path, &cfg, &err);
    if (!s) s = ar_job_run_opts(&cfg, &opts, &err);
    if (!s) s = ar_registry_add_builtin(&reg, &err);
    const ar_job_kind_t *kind = s ? NULL : ar_registry_job(&reg, cfg.job.kind);
    if (!s && !kind)
        s = ar_err_set(&err, AR_E_CONFIG, "%s: job kind '%s' is not available in this build", path,
                       cfg.job.kind);
    /* Fail fast (rank 0 only: it alone reads the files before the workers
     * start): output directory, corruption names, the repair source; the
     * job kind's create opens and checks the model and the sets itself. */
    if (!s && root) s = ar_job_preflight(&cfg, 0, &err);
    if (!s && cfg.run.ranks > 0 && cfg.run.ranks != mpi->size)
        s = ar_err_set(&err, AR_E_CONFIG, "%s: run.ranks = %lld but mpirun started %d ranks", path,
                       (long long)cfg.run.ranks, mpi->size);
    char ckpt[1100] = "";
    ar_ckpt_t ck;
    memset(&ck, 0, sizeof ck);
    ar_ckpt_input_t *inputs = NULL;
    uint32_t ninputs = 0;
    if (!s && root && ar_ckpt_path(cfg.job.output, ckpt, sizeof ckpt))
        s = ar_err_set(&err, AR_E_CONFIG, "%s: job.output is too long", path);
    if (!s && root) s = job_inputs(&cfg, &inputs, &ninputs, &err);
    if (!s && root && resume) s = load_resume(ckpt, path, text, &ck, &err);
    if (!agree(s == AR_OK)) {
        ar_ckpt_free(&ck);
        free(inputs);
        if (root) fprintf(stderr, "archrepair-coord: %s\n", ar_err_msg(&err));
        ar_job_free(&cfg);
        free(text);
        return 1;
    }
    int lvl = ar_log_level_parse(opts.log_level);
    if (lvl >= 0) log.min = (ar_log_level_t)lvl;

    int threads = ar_run_opts_threads(&opts, ar_num_cores(), mpi->local_size);
    openblas_set_num_threads(threads);
    ar_par_set_default_threads(threads); /* every plan and generated set of every task */

    ar_job_ctx_t job = {.job_path = path, .job_text = text, .cfg = &cfg, .run = opts,
                        .ranks = mpi->size, .rank = mpi->rank, .log = &log};

    /* Keys: each worker its own; rank 0 learns the public halves. */
    ar_curve_keypair_t mine, server, inproc;
    memset(&mine, 0, sizeof mine);
    s = mpi->rank > 0 ? ar_curve_keypair_new(&mine, &err) : AR_OK;
    if (root && !s) s = ar_curve_keypair_new(&server, &err);
    if (root && !s && mpi->size == 1) s = ar_curve_keypair_new(&inproc, &err);
    char(*pubs)[41] = root ? calloc((size_t)mpi->size, 41) : NULL;
    if (root && !pubs) s = ar_err_set(&err, AR_E_NOMEM, "out of memory");
    if (!agree(s == AR_OK)) {
        if (s) fprintf(stderr, "archrepair-coord: rank %d: %s\n", mpi->rank, ar_err_msg(&err));
        s = AR_E_NET;
        goto out_cfg;
    }
    if ((s = ar_mpi_gather(mine.pub, 41, pubs, 0, &err))) {
        fprintf(stderr, "archrepair-coord: rank %d: %s\n", mpi->rank, ar_err_msg(&err));
        goto out_cfg;
    }

    boot_t boot;
    memset(&boot, 0, sizeof boot);
    ar_server_t *srv = NULL, *srv_hb = NULL, *peer_srv = NULL;
    ar_peer_addr_t *peers = NULL;
    char dir[512] = "";
    int nworkers = mpi->size > 1 ? mpi->size - 1 : 1;
    int *wranks = calloc((size_t)nworkers, sizeof *wranks);
    const char **wpub = calloc((size_t)nworkers, sizeof *wpub);
    if (root) {
        s = (!wranks || !wpub) ? ar_err_set(&err, AR_E_NOMEM, "out of memory") : AR_OK;
        for (int i = 0; !s && i < nworkers; i++) {
            wranks[i] = mpi->size > 1 ? i + 1 : 0;
            wpub[i] = mpi->size > 1 ? pubs[i + 1] : inproc.pub;
        }
        char ep[600];
        if (!s) s = pick_endpoint(mpi, &opts, ep, sizeof ep, dir, sizeof dir, &err);
        ar_net_opts_t net = ar_net_opts_default();
        net.hwm = opts.hwm;
        net.max_bytes = (size_t)opts.max_message_mb << 20;
        net.send_timeout_ms = (int)(opts.heartbeat_timeout * 1000);
        if (!s) srv = ar_server_new(ep, &server, wpub, wranks, nworkers, &net, &err);
        if (!s && !srv) s = err.status;
        /* heartbeats: a socket of their own, for the coordinator's heartbeat thread */
        char hb_ep[600];
        if (dir[0]) snprintf(hb_ep, sizeof hb_ep, "ipc://%s/%s", dir, HB_SOCK_NAME);
        else ar_str_copy(hb_ep, sizeof hb_ep, ep);
        if (!s) srv_hb = ar_server_new(hb_ep, &server, wpub, wranks, nworkers, &net, &err);
        if (!s && !srv_hb) s = err.status;
        if (!s) {
            boot.ok = 1;
            ar_str_copy(boot.endpoint, sizeof boot.endpoint, ar_server_endpoint(srv));
            ar_str_copy(boot.hb_endpoint, sizeof boot.hb_endpoint, ar_server_endpoint(srv_hb));
            memcpy(boot.server_pub, server.pub, 41);
            ar_info(&log, "job '%s' (%s): %d ranks on %d host(s), endpoint %s (heartbeats %s), %d "
                          "threads/rank", cfg.job.name, cfg.job.kind, mpi->size, mpi->hosts,
                    boot.endpoint, boot.hb_endpoint, threads);
            /* public, so harmless to show; tests use it to play a stranger who knows it */
            ar_debug(&log, "coordinator public key %s", boot.server_pub);
        } else {
            fprintf(stderr, "archrepair-coord: %s\n", ar_err_msg(&err));
        }
    }
    if (ar_mpi_bcast(&boot, sizeof boot, 0, &err) || !boot.ok) {
        s = AR_E_NET;
        goto out_srv;
    }

    /* only jobs with shared tasks (repair candidates in micro-batches) need it */
    int shares = !strcmp(cfg.job.kind, "repair") && cfg.repair.micro_batch > 0;
    if (!strcmp(opts.reduce, "tree") && shares && mpi->size > 2 &&
        tree_bootstrap(mpi, &opts, &mine, pubs, &peer_srv, &peers, &err)) {
        if (root) fprintf(stderr, "archrepair-coord: the reduction tree could not start (see the "
                                  "workers' messages; [run] reduce = \"coordinator\" needs none)\n");
        s = AR_E_NET;
        goto out_srv;
    }
    int clean = 1, failed = 0;
    ar_worker_cfg_t wc = {.peer_server = peer_srv, .peers = peers, .npeers = peers ? mpi->size : 0,
                          .rank = mpi->rank, .host = mpi->host, .endpoint = boot.endpoint,
                          .hb_endpoint = boot.hb_endpoint,
                          .server_pub = boot.server_pub, .keys = mine, .reg = &reg, .job = &job,
                          .blas_threads = threads, .stop = &g_stop};
    if (root) {
        thread_worker_t tw;
        memset(&tw, 0, sizeof tw);
        pthread_t th;
        int th_ok = 0;
        if (mpi->size == 1) {
            tw.cfg = wc;
            tw.cfg.keys = inproc;
            parse_fault(0, &tw.cfg);
            th_ok = pthread_create(&th, NULL, worker_thread, &tw) == 0;
            if (!th_ok) s = ar_err_set(&err, AR_E_INTERNAL, "cannot start the in-process worker");
        }
        ar_coord_cfg_t cc = {.kind = kind, .job = &job, .server = srv, .hb_server = srv_hb,
                             .worker_ranks = wranks,
                             .nworkers = nworkers, .all_connected = remove_ipc_dir, .user = dir,
                             .ckpt_path = ckpt, .inputs = inputs, .ninputs = ninputs,
                             .resume = resume ? &ck : NULL, .stop = &g_stop};
        int stale = remove_stale_temps(cfg.job.output);
        if (stale) ar_info(&log, "removed %d temporary file(s) a killed run left beside %s", stale,
                           cfg.job.output);
        if (resume)
            ar_info(&log, "resuming from %s: %llu tasks done before", ckpt,
                    (unsigned long long)ck.ntasks);
        else if (ar_file_size(ckpt) >= 0)
            ar_warn(&log, "%s exists and will be replaced: this run starts afresh (--resume "
                          "continues from it)", ckpt);
        if (!s) s = ar_coord_run(&cc, &clean, &err);
        if (th_ok) {
            pthread_join(th, NULL);
            if (tw.status && !s) s = tw.status, err = tw.err;
        }
        if (s) {
            fprintf(stderr, "archrepair-coord: error: %s\n", ar_err_msg(&err));
            failed = 1;
        } else {
            ar_info(&log, "job complete: %s written", cfg.job.output);
        }
        ar_server_destroy(&srv);
        ar_server_destroy(&srv_hb);
        remove_ipc_dir(dir);
        if (!clean && !failed)
            fprintf(stderr, "archrepair-coord: the job completed (%s written) but a worker was lost: "
                            "MPI_Abort ends the ranks left\n", cfg.job.output);
        else if (!clean)
            fprintf(stderr, "archrepair-coord: aborting the job: not every worker stopped cleanly\n");
        if (!clean) {
            ar_mpi_abort(1);
        }
    } else {
        parse_fault(mpi->rank, &wc);
        s = ar_worker_run(&wc, &failed, &err);
        if (s) {
            fprintf(stderr, "archrepair-coord: worker r%d on %s: %s\n", mpi->rank, mpi->host,
                     ar_err_msg(&err));
            ar_mpi_abort(1);
        }
    }
    ar_mpi_barrier(&err);
    s = failed ? AR_E_WORKER : AR_OK;
out_srv:
    ar_server_destroy(&peer_srv);
    free(peers);
    ar_server_destroy(&srv);
    ar_server_destroy(&srv_hb);
    remove_ipc_dir(dir);
    free(wranks);
    free(wpub);
out_cfg:
    ar_ckpt_free(&ck);
    free(inputs);
    free(pubs);
    ar_job_free(&cfg);
    free(text);
    return s ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (ar_opts_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    int version = 0, npos = 0;
    const char *job = NULL;
    int resume = 0;
    const ar_opt_t opts[] = {AR_FLAG("version", &version), AR_FLAG("resume", &resume), AR_OPT_END};
    int rc = ar_opts_parse("archrepair-coord", opts, argc, argv, &job, 1, &npos);
    if (rc) return rc;
    if (version) {
        printf("%s\n", ar_version());
        return 0;
    }
    if (npos != 1) return ar_usage_error("archrepair-coord", "needs one JOB.toml");
#ifdef __GLIBC__
    /* Large buffers (messages of tens of MB: a shared task's exchanges, a
     * coordinator folding them) come from the heap and stay there instead of
     * fresh mmap()s: each fresh page costs a fault, and on virtual machines
     * faulting in 75 MB took ~1 s against ~0.1 s reused (tests/bench/bench_reduce). */
    mallopt(M_MMAP_THRESHOLD, 512 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    ar_mpi_t mpi;
    ar_err_t err = {0};
    if (ar_mpi_init(&argc, &argv, &mpi, &err)) {
        fprintf(stderr, "archrepair-coord: %s\n", ar_err_msg(&err));
        ar_mpi_finalize(&mpi);
        return 1;
    }
    catch_stop_signals();
    rc = run(&mpi, job, resume);
    ar_mpi_finalize(&mpi);
    return rc;
}
