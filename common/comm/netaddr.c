/* netaddr.c - bind address selection and private ipc directories. */
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int is_loopback(const struct in_addr *a) { return (ntohl(a->s_addr) >> 24) == 127; }

static int put(char *out, size_t cap, const struct in_addr *a, ar_err_t *err)
{
    if (!inet_ntop(AF_INET, a, out, (socklen_t)cap))
        return ar_err_set(err, AR_E_NET, "inet_ntop: %s", strerror(errno));
    return AR_OK;
}

/* First IPv4 address of interface name (or of any non-loopback interface
 * when name is NULL); 1 if found. */
static int iface_addr(const char *name, struct in_addr *a)
{
    struct ifaddrs *all = NULL;
    if (getifaddrs(&all) != 0) return 0;
    int found = 0;
    for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        struct in_addr v = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        if (name ? strcmp(i->ifa_name, name) == 0 : (!is_loopback(&v) && (i->ifa_flags & IFF_UP))) {
            *a = v;
            found = 1;
        }
    }
    freeifaddrs(all);
    return found;
}

int ar_net_host_address(const char *want, char *out, size_t cap, ar_err_t *err)
{
    struct in_addr a;
    if (want && *want) {
        if (inet_pton(AF_INET, want, &a) == 1) return put(out, cap, &a, err);
        if (iface_addr(want, &a)) return put(out, cap, &a, err);
        return ar_err_set(err, AR_E_NET,
                          "address '%s' is neither an IPv4 address nor an interface with one",
                          want);
    }
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        if (getaddrinfo(host, NULL, &hints, &res) == 0) {
            for (struct addrinfo *r = res; r; r = r->ai_next) {
                struct in_addr v = ((struct sockaddr_in *)r->ai_addr)->sin_addr;
                if (!is_loopback(&v)) {
                    freeaddrinfo(res);
                    return put(out, cap, &v, err);
                }
            }
            freeaddrinfo(res);
        }
    }
    if (iface_addr(NULL, &a)) return put(out, cap, &a, err);
    return ar_err_set(err, AR_E_NET,
                      "no non-loopback IPv4 address on this host; set [run] address or "
                      "AR_ZMQ_ADDRESS");
}

int ar_net_private_dir(char *out, size_t cap, ar_err_t *err)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) tmp = "/tmp";
    int n = snprintf(out, cap, "%s/archrepair-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= cap) return ar_err_set(err, AR_E_ARG, "TMPDIR path too long");
    if (!mkdtemp(out)) return ar_err_set(err, AR_E_IO, "mkdtemp %s: %s", out, strerror(errno));
    return AR_OK;
}

void ar_net_private_dir_remove(const char *dir, const char *name)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s/%s", dir, name) < (int)sizeof p) unlink(p);
    rmdir(dir);
}
