/*
 * lading fetch packages: one apt source on its own, like one entry of
 * lading.yaml's packages:. InRelease verified, closure resolved, .debs
 * downloaded into the store, and with --out laid out as the repository the
 * bundle would carry. Option parsing and output only; the work is in packages/.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/cmd_fetch.h"
#include "images/store.h"
#include "lib/cli.h"
#include "lib/hostcfg.h"
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "packages/apt.h"

enum {
	OPT_STORE = 1,
	OPT_OUT,
	OPT_REGISTRY_CONFIG,
	OPT_SUITE,
	OPT_COMPONENT,
	OPT_ARCH,
	OPT_KEYRING,
	OPT_INSTALL,
	OPT_BASELINE,
	OPT_DRY_RUN,
	OPT_JOBS,
};

static const struct cli_option options[] = {
    {"suite", 0, "SUITE", OPT_SUITE,
     "suite or codename (bookworm); a flat repository's directory ends in / (default /)"},
    {"component", 'c', "NAME", OPT_COMPONENT, "component; repeatable (default main, none for a flat repository)"},
    {"arch", 0, "ARCH", OPT_ARCH, "architecture; repeatable (default amd64; all is always included)"},
    {"keyring", 'k', "FILE", OPT_KEYRING, "OpenPGP keyring that must sign InRelease (required)"},
    {"install", 'i', "PKG[,PKG]", OPT_INSTALL, "packages to resolve, also as operands; NAME or NAME=VERSION"},
    {"baseline", 'b', "FILE", OPT_BASELINE,
     "`dpkg-query -W` listing of what the nodes already have (default: Priority: required and its dependencies)"},
    {"dry-run", 'n', NULL, OPT_DRY_RUN, "resolve and list; download no .deb"},
    {"jobs", 'j', "N", OPT_JOBS, "parallel downloads, 1-64 (default 4)"},
    {"store", 's', "DIR", OPT_STORE, "store directory (default $LADING_CACHE or ~/.cache/lading)"},
    {"out", 'o', "DIR", OPT_OUT, "also lay the repository out in DIR (InRelease, indexes, pool/), as apt/NAME/"},
    {"registry-config", 'r', "FILE", OPT_REGISTRY_CONFIG,
     "YAML file with a `registries:` list (ca_file, insecure_skip_verify per host)"},
    {NULL, 0, NULL, 0, NULL},
};

struct packages_args {
	struct apt_source_request req;
	const char **components, **archs, **install;
	const char *store, *out, *registry_config;
	char *store_default;
	char **install_copies; /* --install values split at commas */
	size_t install_copy_count;
	long jobs;
	int dry_run, json;
	struct logger lg;
	struct host_set registries;
};

static void add(const char ***list, size_t *count, const char *value)
{
	*list = xrealloc(*list, (*count + 1) * sizeof(**list));
	(*list)[(*count)++] = value;
}

static void add_install(struct packages_args *a, const char *value)
{
	char *copy = xstrdup(value), *save = NULL, *word;

	a->install_copies = xrealloc(a->install_copies, (a->install_copy_count + 1) * sizeof(char *));
	a->install_copies[a->install_copy_count++] = copy;
	for (word = strtok_r(copy, ",", &save); word != NULL; word = strtok_r(NULL, ",", &save))
		add(&a->install, &a->req.install_count, word);
}

static int set_option(struct packages_args *a, struct cli *cli, int opt)
{
	switch (opt) {
	case OPT_SUITE:
		a->req.suite = cli->arg;
		break;
	case OPT_COMPONENT:
		add(&a->components, &a->req.component_count, cli->arg);
		break;
	case OPT_ARCH:
		add(&a->archs, &a->req.architecture_count, cli->arg);
		break;
	case OPT_KEYRING:
		a->req.keyring = cli->arg;
		break;
	case OPT_INSTALL:
		add_install(a, cli->arg);
		break;
	case OPT_BASELINE:
		a->req.baseline = cli->arg;
		break;
	case OPT_DRY_RUN:
		a->dry_run = 1;
		break;
	case OPT_JOBS:
		return cli_int(cli, 1, 64, &a->jobs);
	case OPT_REGISTRY_CONFIG:
		a->registry_config = cli->arg;
		break;
	case OPT_OUT:
		a->out = cli->arg;
		break;
	case OPT_STORE:
		a->store = cli->arg;
		break;
	}
	return 0;
}

/* Defaults and checks once all options are in; -1 after a usage error was printed. */
static int finish_request(struct packages_args *a, struct cli *cli)
{
	size_t i;
	int flat;

	if (cli_operands(cli, 1, -1, "URL [PACKAGE...]") != 0)
		return -1;
	a->req.url = cli->operands[0];
	for (i = 1; i < cli->operand_count; i++)
		add_install(a, cli->operands[i]);
	if (a->req.suite == NULL)
		a->req.suite = "/";
	flat = a->req.suite[strlen(a->req.suite) - 1] == '/';
	if (a->req.keyring == NULL)
		return cli_usage_error(cli,
				       "--keyring FILE is required (the keyring that signs the archive's InRelease)");
	if (a->req.install_count == 0)
		return cli_usage_error(cli, "name the packages to fetch (--install or operands after the URL)");
	if (flat && a->req.component_count > 0)
		return cli_usage_error(cli, "a flat repository (--suite ending in /) takes no --component");
	if (!flat && a->req.component_count == 0)
		add(&a->components, &a->req.component_count, "main");
	if (a->req.architecture_count == 0)
		add(&a->archs, &a->req.architecture_count, "amd64");
	a->req.name = a->req.url;
	a->req.components = a->components;
	a->req.architectures = a->archs;
	a->req.install = a->install;
	a->json = cli->json;
	cli_logger(cli, &a->lg);
	if (a->store == NULL)
		a->store = a->store_default = store_default_dir();
	return 0;
}

static void print_result(const struct packages_args *a, const struct apt_source_result *res)
{
	json_t *pkgs, *files;
	size_t i;

	if (!a->json) {
		for (i = 0; i < res->package_count; i++)
			printf("%s %s %s\n", res->packages[i].name, res->packages[i].version, res->packages[i].arch);
		return;
	}
	pkgs = json_array();
	files = json_array();
	for (i = 0; i < res->package_count; i++) {
		const struct apt_package *p = &res->packages[i];

		json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "name", p->name, "version",
						      p->version, "arch", p->arch, "filename", p->filename, "sha256",
						      p->sha256, "size", (json_int_t)p->size));
	}
	for (i = 0; i < res->file_count; i++)
		json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "path", res->files[i].path, "sha256",
						       res->files[i].sha256, "size", (json_int_t)res->files[i].size));
	cli_print_json(json_pack("{s:s, s:s, s:s, s:s?, s:b, s:o, s:o}", "kind", "packages", "url", a->req.url, "suite",
				 a->req.suite, "valid_until", res->valid_until, "downloaded", !a->dry_run, "packages",
				 pkgs, "files", files));
}

static int run(struct packages_args *a, struct lerr *err)
{
	struct apt_fetch_opts opts = {a->store,	   &a->registries, getenv("LADING_GPGV"),
				      !a->dry_run, (int)a->jobs,   &a->lg};
	struct apt_source_result res = {0};
	size_t i;
	int r = -1;

	if (a->registry_config != NULL && host_set_load(a->registry_config, &a->registries, err) != 0)
		return -1;
	if (apt_source_fetch(&opts, &a->req, &res, err) != 0)
		return -1;
	for (i = 0; a->out != NULL && i < res.file_count; i++) {
		char *path = xasprintf("%s/%s", a->out, res.files[i].path);
		int placed = fetch_place(a->store, res.files[i].sha256, path, err);

		free(path);
		if (placed != 0)
			goto out;
	}
	print_result(a, &res);
	r = 0;
out:
	apt_source_result_free(&res);
	return r;
}

int cmd_fetch_packages(int argc, char **argv)
{
	struct packages_args a;
	struct lerr err;
	struct cli cli;
	size_t i;
	int opt, status = 2;

	memset(&a, 0, sizeof(a));
	lerr_clear(&err);
	cli_init(&cli, "lading fetch packages", "[options] --keyring FILE URL [PACKAGE...]", options,
		 CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	cli.summary = "Verify an apt archive's InRelease with gpgv, resolve the packages' dependency closure and\n"
		      "download every .deb into the content store, each checked against its signed SHA256.\n"
		      "Prints one line per package: NAME VERSION ARCH.";
	while ((opt = cli_next(&cli)) > 0)
		if (set_option(&a, &cli, opt) != 0)
			goto out;
	if (opt < 0 || cli.help) {
		status = cli_finish(&cli);
		goto out;
	}
	if (finish_request(&a, &cli) != 0)
		goto out;
	status = run(&a, &err) == 0 ? 0 : cli_fail(&err);
out:
	cli_free(&cli);
	host_set_free(&a.registries);
	free(a.components);
	free(a.archs);
	free(a.install);
	for (i = 0; i < a.install_copy_count; i++)
		free(a.install_copies[i]);
	free(a.install_copies);
	free(a.store_default);
	return status;
}
