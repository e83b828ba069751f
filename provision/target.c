#include "provision/target.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"

static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (strncmp(path, "~/", 2) == 0 && home != NULL)
		return xasprintf("%s/%s", home, path + 2);
	return xstrdup(path);
}

/* The inventory's sudo password for the host (Ansible's names, newest first), or NULL. */
static const char *become_password(const struct inv_host *host)
{
	static const char *const names[] = {"ansible_become_password", "ansible_become_pass", "ansible_sudo_pass"};
	const char *value;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((value = inv_host_var(host, names[i])) != NULL)
			return value;
	return NULL;
}

int prov_target_from_inv(const struct inv_host *host, struct prov_target *t, struct lerr *err)
{
	struct inv_conn conn;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (inv_host_conn(host, &conn, err) != 0)
		return -1;
	if (conn.local) {
		lerr_about(err, LADING_ERR_USAGE, host->name,
			   "ansible_connection local is not supported here (ssh only)");
		goto out;
	}
	t->ssh.name = host->name;
	t->ssh.host = conn.address;
	t->ssh.port = conn.port;
	t->ssh.user = conn.user;
	t->ssh.become = conn.become;
	/* become_user points into the host's variables, as the other strings do */
	t->ssh.become_user = inv_host_var(host, "ansible_become_user");
	t->ssh.become_password = become_password(host);
	if (conn.key_file != NULL && conn.key_file[0] != '\0')
		t->ssh.key_file = t->key_file = expand_home(conn.key_file);
	if (conn.jump_host != NULL) {
		int v6 = strchr(conn.jump_host, ':') != NULL;

		t->ssh.jump = t->jump =
		    xasprintf("%s%s%s%s%s:%d", conn.jump_user ? conn.jump_user : "", conn.jump_user ? "@" : "",
			      v6 ? "[" : "", conn.jump_host, v6 ? "]" : "", conn.jump_port);
	}
	rc = 0;
out:
	inv_conn_free(&conn);
	if (rc != 0)
		prov_target_free(t);
	return rc;
}

void prov_target_free(struct prov_target *t)
{
	free(t->key_file);
	free(t->jump);
	t->key_file = t->jump = NULL;
}
