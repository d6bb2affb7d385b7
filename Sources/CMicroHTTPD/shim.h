// GNU libmicrohttpd (Debian libmicrohttpd-dev), plus non-variadic wrappers for Swift.
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <poll.h>
#include <microhttpd.h>

// Swift cannot call C variadic functions, and the info getters below are variadic only
// for options we never pass; these wrappers fix the argument list.

static inline uint16_t mg_daemon_bind_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

static inline int mg_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}

static inline const struct sockaddr *mg_connection_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}

// POLLRDHUP needs _GNU_SOURCE, which Swift's Glibc module does not define.
static const short mg_poll_peer_closed = 0x2000;
