/*
 * How to reach a host, from the connection variables Ansible defines
 * (ansible_host, ansible_port, ansible_user, ansible_ssh_private_key_file,
 * ansible_become, ansible_ssh_common_args) and ours (lading_jump).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory/inventory.h"
#include "lib/buf.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

static int parse_port(const char *s, size_t len, int *port)
{
	long value = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	if (value < 1 || value > 65535)
		return -1;
	*port = (int)value;
	return 0;
}

int inv_jump_parse(const char *spec, char **user, char **host, int *port, struct lerr *err)
{
	const char *at, *h, *colon, *close;

	*user = NULL;
	*host = NULL;
	*port = 22;
	if (strncmp(spec, "ssh://", 6) == 0)
		spec += 6;
	if (*spec == '\0' || strchr(spec, ',') != NULL || strpbrk(spec, " \t/") != NULL)
		return lerr_set(err, LADING_ERR_USAGE,
				"jump host '%s': expected one [user@]host[:port] (chained jumps are not supported)",
				spec);
	at = strrchr(spec, '@');
	h = at != NULL ? at + 1 : spec;
	if (at == spec)
		return lerr_set(err, LADING_ERR_USAGE, "jump host '%s': empty user name", spec);
	if (*h == '[') { /* [v6addr]:port */
		close = strchr(h, ']');
		if (close == NULL || close == h + 1 || (close[1] != '\0' && close[1] != ':') ||
		    (close[1] == ':' && parse_port(close + 2, strlen(close + 2), port) != 0))
			return lerr_set(err, LADING_ERR_USAGE, "jump host '%s': expected [address]:port", spec);
		*host = xstrndup(h + 1, (size_t)(close - h - 1));
	} else {
		colon = strchr(h, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			*host = xstrdup(h); /* a bare IPv6 address */
		} else {
			if (colon == h || *h == '\0' ||
			    (colon != NULL && parse_port(colon + 1, strlen(colon + 1), port) != 0))
				return lerr_set(err, LADING_ERR_USAGE, "jump host '%s': expected [user@]host[:port]",
						spec);
			*host = colon != NULL ? xstrndup(h, (size_t)(colon - h)) : xstrdup(h);
		}
	}
	if (at != NULL)
		*user = xstrndup(spec, (size_t)(at - spec));
	return 0;
}

/* Splits a command line as a POSIX shell would for words and quotes (no expansions). */
static int split_words(const char *s, char ***out, size_t *count, struct lerr *err)
{
	struct buf word = BUF_INIT(0);
	char **words = NULL;
	int in_word = 0;

	*count = 0;
	for (;; s++) {
		if (*s == '\0' || isspace((unsigned char)*s)) {
			if (in_word) {
				words = grow_array(words, *count, sizeof(*words));
				words[(*count)++] = buf_detach(&word, NULL);
				in_word = 0;
			}
			if (*s == '\0')
				break;
			continue;
		}
		in_word = 1;
		if (*s == '\'' || *s == '"') {
			char quote = *s++;

			for (; *s != quote; s++) {
				if (*s == '\0')
					goto unterminated;
				if (quote == '"' && *s == '\\' && s[1] != '\0')
					s++;
				buf_add(&word, s, 1, NULL);
			}
		} else {
			if (*s == '\\' && s[1] != '\0')
				s++;
			buf_add(&word, s, 1, NULL);
		}
	}
	buf_free(&word);
	*out = words;
	return 0;
unterminated:
	buf_free(&word);
	while (*count > 0)
		free(words[--*count]);
	free(words);
	return lerr_set(err, LADING_ERR_USAGE, "unterminated quote");
}

/*
 * The destination of a ProxyCommand that is itself ssh forwarding with -W
 * ("ssh -W %h:%p -q -p 2222 user@bastion"), as [user@]host[:port], or NULL.
 */
static char *proxy_command_jump(const char *command, struct lerr *err)
{
	static const char with_arg[] = "bcDEeFIiJLlmOoPpQRSWw";
	size_t count = 0, i;
	char **words = NULL, *dest = NULL, *user = NULL, *port = NULL, *out = NULL;
	int forwards = 0;

	if (split_words(command, &words, &count, err) != 0)
		return NULL;
	if (count == 0 || (strcmp(words[0], "ssh") != 0 && strcmp(words[0], "/usr/bin/ssh") != 0))
		goto out;
	for (i = 1; i < count; i++) {
		const char *w = words[i];

		if (w[0] != '-' || w[1] == '\0') {
			if (dest == NULL)
				dest = words[i];
			continue;
		}
		if (strchr(with_arg, w[1]) == NULL)
			continue;
		if (w[2] == '\0' && i + 1 < count)
			i++;
		if (w[1] == 'W')
			forwards = 1;
		else if (w[1] == 'p')
			port = words[i] + (w[2] != '\0' ? 2 : 0);
		else if (w[1] == 'l')
			user = words[i] + (w[2] != '\0' ? 2 : 0);
	}
	if (forwards && dest != NULL)
		out = xasprintf("%s%s%s%s%s", user != NULL && strchr(dest, '@') == NULL ? user : "",
				user != NULL && strchr(dest, '@') == NULL ? "@" : "", dest, port != NULL ? ":" : "",
				port != NULL ? port : "");
out:
	for (i = 0; i < count; i++)
		free(words[i]);
	free(words);
	return out;
}

/* The jump host in ssh arguments ("-o ProxyJump=x", "-oProxyJump=x", "-J x", ProxyCommand ssh -W), or NULL. */
static int find_proxy_jump(const char *args, char **jump, struct lerr *err)
{
	size_t count = 0, i;
	char **words = NULL;
	const char *option;
	int r = 0;

	*jump = NULL;
	if (split_words(args, &words, &count, err) != 0)
		return -1;
	for (i = 0; i < count && r == 0; i++) {
		option = NULL;
		if (strcmp(words[i], "-o") == 0 && i + 1 < count)
			option = words[++i];
		else if (strncmp(words[i], "-o", 2) == 0)
			option = words[i] + 2;
		else if (strcmp(words[i], "-J") == 0 && i + 1 < count) {
			free(*jump);
			*jump = xstrdup(words[++i]);
			continue;
		}
		if (option == NULL)
			continue;
		if (strncasecmp(option, "ProxyJump", 9) == 0 && (option[9] == '=' || option[9] == ' ')) {
			free(*jump);
			*jump = xstrdup(option + 10 + strspn(option + 10, " ="));
		} else if (strncasecmp(option, "ProxyCommand", 12) == 0 && (option[12] == '=' || option[12] == ' ')) {
			char *found = proxy_command_jump(option + 13 + strspn(option + 13, " ="), err);

			if (found == NULL) {
				r = lerr_set(err, LADING_ERR_USAGE,
					     "only a ProxyCommand of the form 'ssh -W %%h:%%p [user@]host' is "
					     "understood; use -o ProxyJump= or lading_jump");
				break;
			}
			free(*jump);
			*jump = found;
		}
	}
	for (i = 0; i < count; i++)
		free(words[i]);
	free(words);
	if (r != 0) {
		free(*jump);
		*jump = NULL;
	}
	return r;
}

static int var_bool(const struct inv_var *v, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1", "y", "t", NULL};
	static const char *const no[] = {"false", "no", "off", "0", "n", "f", "", NULL};
	int i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(v->value, yes[i]) == 0)
			return *out = 1, 0;
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(v->value, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

/* The first of two variables that is set and not empty. */
static const struct inv_var *first_var(const struct inv_host *host, const char *name, const char *alias)
{
	const struct inv_var *v = inv_host_var_full(host, name);

	if ((v == NULL || v->value[0] == '\0') && alias != NULL)
		v = inv_host_var_full(host, alias);
	return v != NULL && v->value[0] != '\0' ? v : NULL;
}

int inv_host_conn(const struct inv_host *host, struct inv_conn *conn, struct lerr *err)
{
	const struct inv_var *v;
	const char *jump;
	char *found = NULL;
	int r = -1;

	memset(conn, 0, sizeof(*conn));
	conn->address = host->name;
	conn->port = 22;
	if ((v = first_var(host, "ansible_host", "ansible_ssh_host")) != NULL)
		conn->address = v->value;
	if ((v = first_var(host, "ansible_port", "ansible_ssh_port")) != NULL &&
	    parse_port(v->value, strlen(v->value), &conn->port) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "host '%s': %s '%s' is not a port (1-65535)", host->name,
				v->name, v->value);
	if ((v = first_var(host, "ansible_user", "ansible_ssh_user")) != NULL)
		conn->user = v->value;
	if ((v = first_var(host, "ansible_ssh_private_key_file", "ansible_private_key_file")) != NULL)
		conn->key_file = v->value;
	if ((v = first_var(host, "ansible_become_user", NULL)) != NULL)
		conn->become_user = v->value;
	if ((v = first_var(host, "ansible_connection", NULL)) != NULL) {
		if (strcmp(v->value, "local") == 0)
			conn->local = 1;
		else if (strcmp(v->value, "ssh") != 0 && strcmp(v->value, "smart") != 0 &&
			 strcmp(v->value, "paramiko") != 0 && strcmp(v->value, "paramiko_ssh") != 0)
			return lerr_set(err, LADING_ERR_USAGE,
					"host '%s': ansible_connection '%s' is not supported (ssh or local)",
					host->name, v->value);
	}
	if ((v = inv_host_var_full(host, "ansible_become")) != NULL && var_bool(v, &conn->become) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "host '%s': ansible_become '%s' is not a boolean", host->name,
				v->value);
	jump = inv_host_var(host, "lading_jump");
	if ((jump == NULL || *jump == '\0') && (v = inv_host_var_full(host, "ansible_ssh_common_args")) != NULL) {
		if (find_proxy_jump(v->value, &found, err) != 0) {
			lerr_prefix(err, "host '%s': ansible_ssh_common_args", host->name);
			goto out;
		}
		jump = found;
	}
	if (jump != NULL && *jump != '\0' &&
	    inv_jump_parse(jump, &conn->jump_user, &conn->jump_host, &conn->jump_port, err) != 0) {
		lerr_prefix(err, "host '%s'", host->name);
		goto out;
	}
	r = 0;
out:
	free(found);
	if (r != 0)
		inv_conn_free(conn);
	return r;
}

void inv_conn_free(struct inv_conn *conn)
{
	if (conn == NULL)
		return;
	free(conn->jump_user);
	free(conn->jump_host);
	conn->jump_user = NULL;
	conn->jump_host = NULL;
}
