/* netaddr.h - choosing where the coordinator listens.
 *
 * When every rank shares one host the data plane stays on that host: an ipc://
 * socket in a private (0700) temporary directory, or 127.0.0.1. When ranks span
 * hosts the coordinator binds the address of one interface of its host: the
 * one named by the job's [run] address key or $AR_ZMQ_ADDRESS (an IPv4 address
 * or an interface name such as "ib0"), else the first non-loopback IPv4
 * address its host name resolves to, else the first non-loopback interface.
 */
#ifndef AR_COMM_NETADDR_H
#define AR_COMM_NETADDR_H

#include <stddef.h>

#include "core/error.h"

/* Resolves want (IPv4 literal, interface name, or NULL/"" for automatic)
 * to a numeric IPv4 address in out. AR_E_NET naming want on failure. */
int ar_net_host_address(const char *want, char *out, size_t cap, ar_err_t *err);

/* Creates a private directory "$TMPDIR/archrepair-XXXXXX" (mode 0700) and
 * writes its path to out. The caller removes it (ar_net_private_dir_remove). */
int ar_net_private_dir(char *out, size_t cap, ar_err_t *err);
/* Removes the socket file `name` inside dir and then dir; ignores errors. */
void ar_net_private_dir_remove(const char *dir, const char *name);

#endif
