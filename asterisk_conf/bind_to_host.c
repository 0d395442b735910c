/*
 * Preloaded into Asterisk (hotline/pbx.py, bind_shim): a socket bound to the wildcard
 * address (INADDR_ANY or in6addr_any) is bound to the hotline's own address instead:
 * HOTLINE_BIND_HOST (127.0.0.1 by default) for IPv4, ::1 for IPv6.
 *
 * Why: Asterisk's SIP stack creates pjproject's DNS resolver, and that resolver binds its
 * two query sockets to every address on an ephemeral port; neither Asterisk nor pjproject
 * has a setting for it. Every other socket of the PBX is bound to bind_host by its own
 * configuration, which this leaves untouched (an address that is not a wildcard passes
 * through as it is).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);

static bind_fn next_bind(void)
{
    static bind_fn found;
    if (!found)
        found = (bind_fn)dlsym(RTLD_NEXT, "bind");
    return found;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    bind_fn real = next_bind();
    if (!real) {
        errno = ENOSYS;
        return -1;
    }
    if (addr && addr->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in here;
        memcpy(&here, addr, sizeof here);
        if (here.sin_addr.s_addr == htonl(INADDR_ANY)) {
            const char *host = getenv("HOTLINE_BIND_HOST");
            if (!host || inet_pton(AF_INET, host, &here.sin_addr) != 1)
                here.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return real(fd, (const struct sockaddr *)&here, sizeof here);
        }
    } else if (addr && addr->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 here;
        memcpy(&here, addr, sizeof here);
        if (IN6_IS_ADDR_UNSPECIFIED(&here.sin6_addr)) {
            here.sin6_addr = in6addr_loopback;
            return real(fd, (const struct sockaddr *)&here, sizeof here);
        }
    }
    return real(fd, addr, len);
}
