/*
 * lading fetch chart|provider|module|file|git (packages: cmd_fetch_packages.c): the sources of a bundle's charts/,
 * providers/ and files/, one at a time, into the content store and
 * optionally laid out in a directory (a Helm repository, a Terraform mirror,
 * a files tree). Option parsing and output only; the work is in charts/,
 * providers/ and bundle/files.c.
 */
#include "bundle/cmd_fetch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle/files.h"
#include "bundle/gitcarry.h"
#include "bundle/sources_git.h"
#include "bundle/spec_sources.h"
#include "charts/fetch.h"
#include "charts/repo_write.h"
#include "images/store.h"
#include "lib/cli.h"
#include "lib/hostcfg.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "providers/mirror.h"
#include "providers/module.h"
#include "providers/registry.h"

#define MAX_PLATFORMS 32
#define MAX_REFS 256

enum {
	OPT_STORE = 1,
	OPT_OUT,
	OPT_REGISTRY_CONFIG,
	OPT_AUTH_FILE,
	OPT_PLATFORM,
	OPT_IMAGES,
	OPT_NAME,
	OPT_UPDATE_HASHES,
	OPT_VERSION,
	OPT_REF,
};

/* One table for the three verbs: each option says which verb it is for. */
static const struct cli_option fetch_options[] = {
    {"store", 's', "DIR", OPT_STORE, "store directory (default $LADING_CACHE or ~/.cache/lading)"},
    {"out", 'o', "DIR", OPT_OUT,
     "also lay it out in DIR: a Helm repository (index.yaml), a Terraform mirror (HOST/NS/TYPE/*.zip + JSON), "
     "HOST/NS/NAME/SYSTEM/VERSION.tar.gz (a module) or DIR/NAME"},
    {"registry-config", 'r', "FILE", OPT_REGISTRY_CONFIG,
     "YAML file with a `registries:` list (plain_http, ca_file, ...)"},
    {"auth-file", 'a', "FILE", OPT_AUTH_FILE, "docker config.json with credentials (OCI charts)"},
    {"platform", 'p', "OS_ARCH", OPT_PLATFORM, "provider platform; repeatable (default linux_amd64)"},
    {"images", 0, NULL, OPT_IMAGES, "chart: list the images it deploys (values, annotations, subcharts)"},
    {"name", 'n', "NAME", OPT_NAME, "file: its name (default: the last part of the URL)"},
    {"update-hashes", 0, NULL, OPT_UPDATE_HASHES, "file: fetch without SHA256 and print the hash to pin"},
    {"version", 0, "CONSTRAINT", OPT_VERSION, "module: a Terraform version constraint (default: the newest)"},
    {"ref", 0, "REF", OPT_REF, "git: a branch or tag to carry; repeatable (default: every branch and tag)"},
    {NULL, 0, NULL, 0, NULL},
};

struct fetch_args {
	const char *verb;
	const char *store, *out, *registry_config, *auth_file, *name, *version;
	char *store_default;
	const char *platforms[MAX_PLATFORMS];
	size_t platform_count;
	const char *refs[MAX_REFS];
	size_t ref_count;
	int images, json, update_hashes;
	struct logger lg;
	struct host_set registries;
	char **rest;
	int rest_count;
};

/* Returns -1 to go on (a->rest set), else the exit status to return now. */
static int parse_args(struct cli *cli, struct fetch_args *a)
{
	int opt;

	while ((opt = cli_next(cli)) > 0) {
		switch (opt) {
		case OPT_STORE:
			a->store = cli->arg;
			break;
		case OPT_OUT:
			a->out = cli->arg;
			break;
		case OPT_REGISTRY_CONFIG:
			a->registry_config = cli->arg;
			break;
		case OPT_AUTH_FILE:
			a->auth_file = cli->arg;
			break;
		case OPT_PLATFORM:
			if (a->platform_count == MAX_PLATFORMS)
				return cli_usage_error(cli, "at most %d --platform options", MAX_PLATFORMS);
			a->platforms[a->platform_count++] = cli->arg;
			break;
		case OPT_IMAGES:
			a->images = 1;
			break;
		case OPT_NAME:
			a->name = cli->arg;
			break;
		case OPT_UPDATE_HASHES:
			a->update_hashes = 1;
			break;
		case OPT_VERSION:
			a->version = cli->arg;
			break;
		case OPT_REF:
			if (a->ref_count == MAX_REFS)
				return cli_usage_error(cli, "at most %d --ref options", MAX_REFS);
			a->refs[a->ref_count++] = cli->arg;
			break;
		}
	}
	if (opt < 0 || cli->help)
		return cli_finish(cli);
	a->json = cli->json;
	cli_logger(cli, &a->lg);
	a->rest = cli->operands;
	a->rest_count = (int)cli->operand_count;
	if (a->store == NULL)
		a->store = a->store_default = store_default_dir();
	return -1;
}

static int64_t generated_time(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");

	return epoch != NULL && *epoch ? strtoll(epoch, NULL, 10) : (int64_t)time(NULL);
}

int fetch_place(const char *store, const char *hex, const char *path, struct lerr *err)
{
	char *src = urlstore_path(store, hex), *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct fs_atomic out = {0};
	FILE *in = NULL;
	int r = -1;

	if (slash != NULL) {
		*slash = '\0';
		if (fs_mkdir_p(dir, err) != 0)
			goto out;
	}
	in = fopen(src, "rb");
	if (in == NULL) {
		lerr_sys(err, "cannot open '%s'", src);
		goto out;
	}
	if (fs_atomic_open(&out, path, 0644, err) != 0)
		goto out;
	if (fs_copy_fd(fileno(in), out.fd, NULL, path, err) != 0 || fs_atomic_commit(&out, err) != 0) {
		fs_atomic_abort(&out);
		goto out;
	}
	r = 0;
out:
	if (in != NULL)
		fclose(in);
	free(src);
	free(dir);
	return r;
}

static void print_json(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text != NULL)
		printf("%s\n", text);
	free(text);
	json_decref(obj);
}

static void print_chart(const struct chart_result *res, int json)
{
	size_t i;

	if (json) {
		json_t *images = json_array();

		for (i = 0; i < res->image_count; i++)
			json_array_append_new(images, json_string(res->images[i]));
		print_json(json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s, s:I, s:s, s:s, s:o}", "kind", "chart", "name",
				     res->name, "version", res->version, "app_version", res->app_version, "source",
				     res->source, "digest", res->digest, "size", (json_int_t)res->size,
				     "manifest_digest", res->manifest_digest, "config_digest", res->config_digest,
				     "images", images));
		return;
	}
	printf("chart %s %s %s %llu\n", res->name, res->version, res->digest, (unsigned long long)res->size);
	for (i = 0; i < res->image_count; i++)
		printf("image %s\n", res->images[i]);
}

static int verb_chart(struct fetch_args *a, struct lerr *err)
{
	struct chart_request req = {0};
	struct chart_fetch_opts opts = {a->store, &a->registries, a->auth_file, 0, &a->lg};
	struct chart_result *res = NULL;
	char *archive = NULL, *path = NULL;
	int r = -1;

	if (a->rest_count >= 1 && strncmp(a->rest[0], "oci://", 6) == 0) {
		if (a->rest_count > 2)
			return lerr_set(err, LADING_ERR_USAGE, "fetch chart: oci://HOST/PATH/NAME [VERSION]");
		req.oci = a->rest[0];
		req.version = a->rest_count == 2 ? a->rest[1] : NULL;
	} else {
		if (a->rest_count < 2 || a->rest_count > 3)
			return lerr_set(err, LADING_ERR_USAGE, "fetch chart: give REPO_URL NAME [VERSION]");
		req.repo = a->rest[0];
		req.name = a->rest[1];
		req.version = a->rest_count == 3 ? a->rest[2] : NULL;
	}
	req.want_images = a->images;
	if (charts_fetch(&opts, &req, 1, &res, err) != 0)
		goto out;
	if (a->out != NULL) {
		archive = chart_repo_archive_name(res->name, res->version);
		path = xasprintf("%s/%s", a->out, archive);
		if (fetch_place(a->store, res->digest + 7, path, err) != 0 ||
		    chart_repo_write_index(a->out, generated_time(), err) != 0)
			goto out;
	}
	print_chart(res, a->json);
	r = 0;
out:
	chart_results_free(res, 1);
	free(archive);
	free(path);
	return r;
}

static void print_provider(const struct provider_result *res, int json)
{
	json_t *packages = json_array();
	size_t i;

	for (i = 0; i < res->package_count; i++) {
		const struct provider_package *p = &res->packages[i];
		char zh[SHA256_HEX_LEN + 4];

		snprintf(zh, sizeof(zh), "zh:%s", p->sha256);
		if (!json)
			printf("package %s %s %s %s\n", p->platform, p->filename, zh, p->h1);
		json_array_append_new(packages,
				      json_pack("{s:s, s:s, s:I, s:s, s:s}", "platform", p->platform, "filename",
						p->filename, "size", (json_int_t)p->size, "zh", zh, "h1", p->h1));
	}
	if (json)
		print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "kind", "provider", "host", res->host,
				     "namespace", res->namespace, "type", res->type, "version", res->version,
				     "signature_checked", res->signature_checked, "packages", packages));
	else
		json_decref(packages);
	if (!json)
		printf("provider %s/%s/%s %s%s\n", res->host, res->namespace, res->type, res->version,
		       res->signature_checked ? " (signature checked)" : "");
}

static int verb_provider(struct fetch_args *a, struct lerr *err)
{
	struct provider_request req = {0};
	struct provider_fetch_opts opts = {a->store, &a->registries, getenv("LADING_GPGV"), 0, &a->lg};
	struct provider_result *res = NULL;
	char *dir = NULL;
	size_t i;
	int r = -1;

	if (a->rest_count < 1 || a->rest_count > 2)
		return lerr_set(err, LADING_ERR_USAGE, "fetch provider: give [HOST/]NAMESPACE/TYPE [CONSTRAINT]");
	req.source = a->rest[0];
	req.version = a->rest_count == 2 ? a->rest[1] : NULL;
	req.platforms = a->platforms;
	req.platform_count = a->platform_count;
	if (providers_fetch(&opts, &req, 1, &res, err) != 0)
		goto out;
	if (a->out != NULL) {
		dir = xasprintf("%s/%s/%s/%s", a->out, res->host, res->namespace, res->type);
		for (i = 0; i < res->package_count; i++) {
			char *path = xasprintf("%s/%s", dir, res->packages[i].filename);
			int placed = fetch_place(a->store, res->packages[i].sha256, path, err);

			free(path);
			if (placed != 0)
				goto out;
		}
		if (provider_mirror_write_json(dir, res->type, err) != 0)
			goto out;
	}
	print_provider(res, a->json);
	r = 0;
out:
	provider_results_free(res, 1);
	free(dir);
	return r;
}

static int verb_module(struct fetch_args *a, struct lerr *err)
{
	struct module_request req = {0};
	struct git_fetch_opts gopts = {a->store, &a->registries, &a->lg};
	struct module_fetch_opts opts = {a->store, &a->registries, 0, &a->lg, git_module_tree, &gopts};
	struct module_result *res = NULL;
	char *path = NULL;
	int r = -1;

	if (a->rest_count != 1)
		return lerr_set(err, LADING_ERR_USAGE, "fetch module: give HOST/NAMESPACE/NAME/SYSTEM [--version C]");
	req.source = a->rest[0];
	req.version = a->version;
	if (modules_fetch(&opts, &req, 1, &res, err) != 0)
		goto out;
	if (a->out != NULL) {
		/* The bundle's layout: serve answers the module registry protocol from it. */
		path = xasprintf("%s/%s/%s/%s/%s/%s.tar.gz", a->out, res->host, res->namespace, res->name, res->system,
				 res->version);
		if (fetch_place(a->store, res->tgz_sha256, path, err) != 0)
			goto out;
	}
	if (a->json)
		print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:I}", "kind", "module",
				     "host", res->host, "namespace", res->namespace, "name", res->name, "system",
				     res->system, "version", res->version, "location", res->location, "subdir",
				     res->subdir, res->commit[0] ? "commit" : "sha256",
				     res->commit[0] ? res->commit : res->sha256, "normalized_sha256", res->tgz_sha256,
				     "normalized_size", (json_int_t)res->tgz_size));
	else
		printf("module %s/%s/%s/%s %s %s %s\n", res->host, res->namespace, res->name, res->system, res->version,
		       res->commit[0] ? res->commit : res->sha256, res->tgz_sha256);
	r = 0;
out:
	module_results_free(res, 1);
	free(path);
	return r;
}

static int verb_file(struct fetch_args *a, struct lerr *err)
{
	struct file_request req = {0};
	struct file_fetch_opts opts = {a->store, &a->registries, a->update_hashes, &a->lg};
	struct file_result *res = NULL;
	char *path = NULL;
	int r = -1;

	if (a->rest_count < 1 || a->rest_count > 2)
		return lerr_set(err, LADING_ERR_USAGE, "fetch file: give URL [SHA256]");
	req.url = a->rest[0];
	req.sha256 = a->rest_count == 2 ? a->rest[1] : NULL;
	req.name = a->name;
	if (files_fetch(&opts, &req, 1, &res, err) != 0)
		goto out;
	if (a->out != NULL) {
		path = xasprintf("%s/%s", a->out, res->name);
		if (fetch_place(a->store, res->sha256, path, err) != 0)
			goto out;
	}
	if (a->json)
		print_json(json_pack("{s:s, s:s, s:s, s:s, s:I}", "kind", "file", "name", res->name, "url", res->url,
				     "sha256", res->sha256, "size", (json_int_t)res->size));
	else
		printf("file %s %s %llu\n", res->name, res->sha256, (unsigned long long)res->size);
	r = 0;
out:
	file_results_free(res, 1);
	free(path);
	return r;
}

static void print_git(const struct fetch_args *a, const struct git_result *res)
{
	json_t *refs;
	size_t i;

	if (!a->json) {
		printf("git %s %s %s", res->name, res->url, res->sha256);
		for (i = 0; i < res->ref_count; i++)
			printf(" %s=%s", res->refs[i].ref, res->refs[i].id);
		printf("\n");
		return;
	}
	refs = json_object();
	for (i = 0; i < res->ref_count; i++)
		json_object_set_new(refs, res->refs[i].ref, json_string(res->refs[i].id));
	print_json(json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s?}", "kind", "git", "name", res->name, "url", res->url,
			     "sha256", res->sha256, "size", (json_int_t)res->size, "refs", refs, "head", res->head));
}

/* One repository as create carries it: the same checks on URL, name and refs as lading.yaml's git:. */
static int verb_git(struct fetch_args *a, struct lerr *err)
{
	struct git_fetch_opts opts = {a->store, &a->registries, &a->lg};
	struct git_request req = {0};
	struct git_result *res = NULL;
	char *name = NULL, *path = NULL;
	size_t i;
	int r = -1;

	if (a->rest_count != 1)
		return lerr_set(err, LADING_ERR_USAGE, "fetch git: give URL [--ref REF]... [--name NAME]");
	if (git_url_check(a->rest[0], err) != 0 || (a->name == NULL && git_name_from_url(a->rest[0], &name, err) != 0))
		return lerr_input(err);
	for (i = 0; i < a->ref_count; i++)
		if (git_ref_check(a->refs[i], err) != 0) {
			lerr_input(err);
			goto out;
		}
	if (a->name != NULL && !spec_name_is_valid(a->name)) {
		lerr_set(err, LADING_ERR_USAGE, "fetch git: --name '%s' must be letters, digits, '.', '_' or '-'",
			 a->name);
		goto out;
	}
	req = (struct git_request){a->rest[0], a->name ? a->name : name, a->refs, a->ref_count, NULL, 0, NULL, NULL};
	if (git_fetch_all(&opts, &req, 1, &res, err) != 0)
		goto out;
	if (a->out != NULL) {
		path = xasprintf("%s/%s.bundle", a->out, res->name);
		if (fetch_place(a->store, res->sha256, path, err) != 0)
			goto out;
	}
	print_git(a, res);
	r = 0;
out:
	git_results_free(res, 1);
	free(name);
	free(path);
	return r;
}

/* Runs one verb: options, then run(a) with the operands. */
static int run_verb(int argc, char **argv, const char *prog, const char *synopsis,
		    int (*run)(struct fetch_args *a, struct lerr *err))
{
	struct fetch_args a = {0};
	struct lerr err;
	struct cli cli;
	int status;

	lerr_clear(&err);
	cli_init(&cli, prog, synopsis, fetch_options, CLI_VERBOSE | CLI_QUIET | CLI_JSON, argc, argv);
	cli.summary = "Fetch one chart, provider, module or file into the content store, verified.";
	a.verb = argv[0];
	status = parse_args(&cli, &a);
	if (status >= 0)
		goto out;
	if (a.registry_config != NULL && host_set_load(a.registry_config, &a.registries, &err) != 0) {
		status = cli_fail(&err);
		goto out;
	}
	status = run(&a, &err) == 0 ? 0 : cli_fail(&err);
out:
	cli_free(&cli);
	host_set_free(&a.registries);
	free(a.store_default);
	return status;
}

static int cmd_fetch_chart(int argc, char **argv)
{
	return run_verb(argc, argv, "lading fetch chart", "[options] (REPO_URL NAME | oci://HOST/PATH/NAME) [VERSION]",
			verb_chart);
}

static int cmd_fetch_provider(int argc, char **argv)
{
	return run_verb(argc, argv, "lading fetch provider", "[options] [HOST/]NAMESPACE/TYPE [CONSTRAINT]",
			verb_provider);
}

static int cmd_fetch_module(int argc, char **argv)
{
	return run_verb(argc, argv, "lading fetch module", "[options] HOST/NAMESPACE/NAME/SYSTEM", verb_module);
}

static int cmd_fetch_file(int argc, char **argv)
{
	return run_verb(argc, argv, "lading fetch file", "[options] URL [SHA256]", verb_file);
}

static int cmd_fetch_git(int argc, char **argv)
{
	return run_verb(argc, argv, "lading fetch git", "[options] URL", verb_git);
}

static const struct cli_verb verbs[] = {
    {"packages", cmd_fetch_packages, "OS packages from an apt archive: verified, resolved, downloaded"},
    {"chart", cmd_fetch_chart, "a Helm chart from an HTTP repository or an OCI registry"},
    {"provider", cmd_fetch_provider, "a Terraform/OpenTofu provider from its registry"},
    {"module", cmd_fetch_module, "a Terraform module from its registry, normalized to .tar.gz"},
    {"file", cmd_fetch_file, "a plain file from a URL, pinned by its sha256"},
    {"git", cmd_fetch_git, "a Git repository's branches and tags as a verified git bundle"},
    {NULL, NULL, NULL},
};

int cmd_fetch(int argc, char **argv)
{
	return cli_dispatch("lading fetch", verbs, argc, argv);
}
