#include "cafind.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

const char *const cafind_paths[] = {
    "/etc/ssl/certs/ca-certificates.crt",		 /* Debian, Ubuntu, Alpine's ca-certificates */
    "/etc/pki/tls/certs/ca-bundle.crt",			 /* RHEL, Fedora, CentOS */
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", /* RHEL 7+ where the symlink above is gone */
    "/etc/ssl/ca-bundle.pem",				 /* openSUSE, SLES */
    "/etc/ssl/cert.pem",				 /* Alpine, OpenSSL's default file */
    NULL,
};

static char *under(const char *root, const char *path)
{
	return xasprintf("%s%s", root != NULL ? root : "", path);
}

/* A file OpenSSL can read: readable by us and regular (a symlink to one counts). */
static int readable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, R_OK) == 0;
}

char *cafind_bundle(const char *root, const char *env_cert_file, const char *builtin)
{
	const char *const *p;
	char *path;

	if (env_cert_file != NULL && env_cert_file[0] != '\0')
		return xstrdup(env_cert_file);
	if (builtin != NULL) {
		path = under(root, builtin);
		if (readable_file(path)) {
			free(path);
			return NULL;
		}
		free(path);
	}
	for (p = cafind_paths; *p != NULL; p++) {
		path = under(root, *p);
		if (readable_file(path))
			return path;
		free(path);
	}
	return NULL;
}
