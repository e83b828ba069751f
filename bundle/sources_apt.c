/* packages: in bundle create: requests from the spec, pins from lading.lock, and the lock afterwards. */
#include "bundle/sources_apt.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xmalloc.h"

void apt_request_from_spec(const struct spec_apt *a, struct apt_source_request *req)
{
	memset(req, 0, sizeof(*req));
	req->name = a->name;
	req->url = a->url;
	req->suite = a->suite;
	req->components = (const char *const *)a->components;
	req->component_count = a->component_count;
	req->architectures = (const char *const *)a->architectures;
	req->architecture_count = a->architecture_count;
	req->keyring = a->keyring;
	req->install = (const char *const *)a->install;
	req->install_count = a->install_count;
	req->baseline = a->baseline;
}

void apt_request_free(struct apt_source_request *req)
{
	free((void *)req->pins);
	memset(req, 0, sizeof(*req));
}

/* What the lock entry answers: the same archive, suite and install list. */
static char *lock_key(const struct spec_apt *a)
{
	struct buf key = BUF_INIT(0);
	char *out;
	size_t i;

	buf_printf(&key, "%s %s", a->url, a->suite);
	for (i = 0; i < a->install_count; i++)
		buf_printf(&key, " %s", a->install[i]);
	out = xstrdup(key.data);
	buf_free(&key);
	return out;
}

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* The pins of the lock entry for a; -1 when there is none or it is damaged. */
static int lock_pins(json_t *lock, const struct spec_apt *a, struct apt_pin **pins, size_t *count)
{
	json_t *list = json_object_get(lock, "packages"), *item = NULL, *pkgs;
	char *key = lock_key(a);
	size_t i;

	for (i = 0; i < json_array_size(list); i++) {
		json_t *cand = json_array_get(list, i);

		if (str(cand, "name") != NULL && strcmp(str(cand, "name"), a->name) == 0 &&
		    str(cand, "source") != NULL && strcmp(str(cand, "source"), key) == 0)
			item = cand;
	}
	free(key);
	pkgs = json_object_get(item, "packages");
	if (item == NULL || !json_is_array(pkgs) || json_array_size(pkgs) == 0)
		return -1;
	*count = json_array_size(pkgs);
	*pins = xcalloc(*count, sizeof(**pins));
	for (i = 0; i < *count; i++) {
		json_t *p = json_array_get(pkgs, i);

		(*pins)[i] = (struct apt_pin){str(p, "name"), str(p, "version"), str(p, "arch"), str(p, "sha256")};
		if ((*pins)[i].name == NULL || (*pins)[i].version == NULL || (*pins)[i].arch == NULL ||
		    (*pins)[i].sha256 == NULL) {
			free(*pins);
			*pins = NULL;
			return -1;
		}
	}
	return 0;
}

int bundle_apt_fetch(const char *spec_path, const struct spec_sources *src, const struct apt_fetch_opts *opts,
		     json_t *lock, int locked, struct apt_source_result **results, struct lerr *err)
{
	struct apt_source_result *res = xcalloc(src->apt_count + 1, sizeof(*res));
	size_t i;

	for (i = 0; i < src->apt_count; i++) {
		const struct spec_apt *a = &src->apts[i];
		struct apt_source_request req;
		struct apt_pin *pins = NULL;
		size_t pin_count = 0;
		int r;

		apt_request_from_spec(a, &req);
		if (locked) {
			if (lock_pins(lock, a, &pins, &pin_count) != 0) {
				lerr_set(
				    err, LADING_ERR_USAGE,
				    "%s:%d:%d: package source '%s' (or its install list) is not in lading.lock (run "
				    "create without --locked to resolve it)",
				    spec_path, a->line, a->col, a->name);
				bundle_apt_results_free(res, i);
				return -1;
			}
			req.pins = pins;
			req.pin_count = pin_count;
		}
		r = apt_source_fetch(opts, &req, &res[i], err);
		apt_request_free(&req);
		if (r != 0) {
			bundle_apt_results_free(res, i);
			return lerr_name(err, "package source %s", a->name);
		}
	}
	*results = res;
	return 0;
}

json_t *bundle_apt_lock_section(const struct spec_sources *src, const struct apt_source_result *results)
{
	json_t *section = json_array();
	size_t i, j;

	for (i = 0; i < src->apt_count; i++) {
		json_t *pkgs = json_array();
		char *key = lock_key(&src->apts[i]);

		for (j = 0; j < results[i].package_count; j++) {
			const struct apt_package *p = &results[i].packages[j];

			json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s, s:s}", "name", p->name, "version",
							      p->version, "arch", p->arch, "sha256", p->sha256));
		}
		json_array_append_new(
		    section, json_pack("{s:s, s:s, s:o}", "name", src->apts[i].name, "source", key, "packages", pkgs));
		free(key);
	}
	return section;
}

void bundle_apt_results_free(struct apt_source_result *results, size_t count)
{
	size_t i;

	for (i = 0; results != NULL && i < count; i++)
		apt_source_result_free(&results[i]);
	free(results);
}
