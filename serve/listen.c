/* The listening socket, opened by us so the port chosen is known (see listen.h). */
#define _GNU_SOURCE
#include "serve/listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/xmalloc.h"

#define LISTEN_BACKLOG 256

/* Splits "host:port", "[v6]:port", ":port" into newly allocated host (NULL = any) and port. */
static int split_address(const char *address, char **host, char **port, struct lerr *err)
{
	const char *colon;

	if (address[0] == '[') {
		const char *close_bracket = strchr(address, ']');

		if (close_bracket == NULL || close_bracket[1] != ':')
			return lerr_set(err, LADING_ERR_USAGE, "--listen '%s': expected [ADDRESS]:PORT", address);
		*host = xstrndup(address + 1, (size_t)(close_bracket - address - 1));
		*port = xstrdup(close_bracket + 2);
		return 0;
	}
	colon = strrchr(address, ':');
	if (colon == NULL || colon[1] == '\0')
		return lerr_set(err, LADING_ERR_USAGE, "--listen '%s': expected HOST:PORT", address);
	*host = colon == address ? NULL : xstrndup(address, (size_t)(colon - address));
	*port = xstrdup(colon + 1);
	return 0;
}

static int open_one(const struct addrinfo *ai, int *fd, struct lerr *err, const char *address)
{
	int one = 1, sock;

	sock = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (sock < 0)
		return lerr_sys(err, "--listen '%s': cannot create a socket", address);
	if (setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(sock, ai->ai_addr, ai->ai_addrlen) != 0 || listen(sock, LISTEN_BACKLOG) != 0) {
		lerr_sys(err, "--listen '%s': cannot listen", address);
		close(sock);
		return -1;
	}
	*fd = sock;
	return 0;
}

int serve_listen_open(const char *address, int *fd, char *bound, size_t bound_len, struct lerr *err)
{
	struct addrinfo hints, *found = NULL;
	struct sockaddr_storage addr;
	socklen_t addr_len = sizeof(addr);
	char *host = NULL, *port = NULL, name[NI_MAXHOST], service[NI_MAXSERV];
	int rc, r = -1, sock = -1;

	if (split_address(address, &host, &port, err) != 0)
		goto out;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &found);
	if (rc != 0) {
		lerr_set(err, LADING_ERR_USAGE, "--listen '%s': %s", address, gai_strerror(rc));
		goto out;
	}
	if (open_one(found, &sock, err, address) != 0)
		goto out;
	if (getsockname(sock, (struct sockaddr *)&addr, &addr_len) != 0 ||
	    getnameinfo((struct sockaddr *)&addr, addr_len, name, sizeof(name), service, sizeof(service),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		lerr_sys(err, "--listen '%s': cannot read the bound address", address);
		goto out;
	}
	snprintf(bound, bound_len, addr.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", name, service);
	*fd = sock;
	sock = -1;
	r = 0;
out:
	if (sock >= 0)
		close(sock);
	if (found != NULL)
		freeaddrinfo(found);
	free(host);
	free(port);
	return r;
}
