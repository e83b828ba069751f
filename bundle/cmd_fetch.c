/*
 * lading fetch chart|provider|file: the sources of a bundle's charts/,
 * providers/ and files/, one at a time, into the content store and
 * optionally laid out in a directory (a Helm repository, a Terraform mirror,
 * a files tree). Option parsing and output only; the work is in charts/,
 * providers/ and bundle/files.c.
 */
#include "bundle/cmd_fetch.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle/files.h"
#include "charts/fetch.h"
#include "charts/repo_write.h"
#include "lib/hostcfg.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/urlstore.h"
#include "lib/xmalloc.h"
#include "providers/mirror.h"
#include "providers/registry.h"

#define MAX_PLATFORMS 32

static const char fetch_usage[] =
    "usage: lading fetch chart [options] (REPO_URL NAME | oci://HOST/PATH/NAME) [VERSION]\n"
    "       lading fetch provider [options] [HOST/]NAMESPACE/TYPE [CONSTRAINT]\n"
    "       lading fetch file [options] URL [SHA256]\n"
    "\n"
    "Fetch one chart, provider or file into the content store, verified.\n"
    "\n"
    "  -s, --store DIR            store directory (default $LADING_CACHE or ~/.cache/lading)\n"
    "  -o, --out DIR              also lay it out in DIR: a Helm repository (index.yaml),\n"
    "                             a Terraform mirror (HOST/NS/TYPE/*.zip + JSON), or DIR/NAME\n"
    "  -r, --registry-config FILE YAML file with a `registries:` list (plain_http, ca_file, ...)\n"
    "  -a, --auth-file FILE       docker config.json with credentials (OCI charts)\n"
    "  -p, --platform OS_ARCH     provider platform; repeatable (default linux_amd64)\n"
    "      --images               chart: list the images named in values.yaml\n"
    "  -n, --name NAME            file: its name (default: the last part of the URL)\n"
    "      --update-hashes        file: fetch without SHA256 and print the hash to pin\n"
    "      --json                 the result as one JSON object on stdout\n"
    "  -v, --verbose              more messages (-vv: every HTTP request)\n"
    "  -q, --quiet                errors only\n"
    "  -h, --help                 this help\n";

struct fetch_args {
	const char *verb;
	const char *store, *out, *registry_config, *auth_file, *name;
	char *store_default;
	const char *platforms[MAX_PLATFORMS];
	size_t platform_count;
	int images, json, update_hashes;
	struct logger lg;
	struct host_set registries;
	char **rest;
	int rest_count;
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "lading: fetch: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see 'lading fetch --help')\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct fetch_args *a)
{
	static const struct option longopts[] = {
	    {"store", required_argument, NULL, 's'},
	    {"out", required_argument, NULL, 'o'},
	    {"registry-config", required_argument, NULL, 'r'},
	    {"auth-file", required_argument, NULL, 'a'},
	    {"platform", required_argument, NULL, 'p'},
	    {"images", no_argument, NULL, 'I'},
	    {"name", required_argument, NULL, 'n'},
	    {"json", no_argument, NULL, 'J'},
	    {"update-hashes", no_argument, NULL, 'U'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int opt;

	log_init(&a->lg);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:o:r:a:p:n:vqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			a->store = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'r':
			a->registry_config = optarg;
			break;
		case 'a':
			a->auth_file = optarg;
			break;
		case 'p':
			if (a->platform_count == MAX_PLATFORMS)
				return usage_error("too many --platform options%s", "");
			a->platforms[a->platform_count++] = optarg;
			break;
		case 'I':
			a->images = 1;
			break;
		case 'n':
			a->name = optarg;
			break;
		case 'J':
			a->json = 1;
			break;
		case 'U':
			a->update_hashes = 1;
			break;
		case 'v':
			a->lg.level = a->lg.level < LOG_VERBOSE ? LOG_VERBOSE : a->lg.level + 1;
			break;
		case 'q':
			a->lg.level = LOG_ERROR;
			break;
		case 'h':
			fputs(fetch_usage, stdout);
			return 0;
		default:
			fputs(fetch_usage, stderr);
			return 2;
		}
	}
	a->rest = argv + optind;
	a->rest_count = argc - optind;
	if (a->store == NULL) {
		const char *cache = getenv("LADING_CACHE"), *home = getenv("HOME");

		a->store_default =
		    cache != NULL && *cache ? xstrdup(cache) : xasprintf("%s/.cache/lading", home ? home : ".");
		a->store = a->store_default;
	}
	return -1;
}

static int fail(const struct lerr *err)
{
	fprintf(stderr, "lading: %s\n", err->msg);
	return lerr_exit_code(err);
}

static int64_t generated_time(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");

	return epoch != NULL && *epoch ? strtoll(epoch, NULL, 10) : (int64_t)time(NULL);
}

/* Copies a stored blob to path atomically. */
static int place(const char *store, const char *hex, const char *path, struct lerr *err)
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
		if (place(a->store, res->digest + 7, path, err) != 0 ||
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
			int placed = place(a->store, res->packages[i].sha256, path, err);

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
		if (place(a->store, res->sha256, path, err) != 0)
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

int cmd_fetch(int argc, char **argv)
{
	struct fetch_args a = {0};
	struct lerr err = {0};
	int status, r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(fetch_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	a.verb = argv[1];
	if (strcmp(a.verb, "chart") != 0 && strcmp(a.verb, "provider") != 0 && strcmp(a.verb, "file") != 0)
		return usage_error("unknown verb '%s'", a.verb);
	status = parse_args(argc - 1, argv + 1, &a);
	if (status >= 0)
		goto out;
	if (a.registry_config != NULL && host_set_load(a.registry_config, &a.registries, &err) != 0) {
		status = fail(&err);
		goto out;
	}
	if (strcmp(a.verb, "chart") == 0)
		r = verb_chart(&a, &err);
	else if (strcmp(a.verb, "provider") == 0)
		r = verb_provider(&a, &err);
	else
		r = verb_file(&a, &err);
	status = r == 0 ? 0 : fail(&err);
out:
	host_set_free(&a.registries);
	free(a.store_default);
	return status;
}
