#include "images/registry_tags.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "images/registry_internal.h"
#include "lib/grow.h"
#include "lib/xmalloc.h"

#define REGISTRY_TAGS_MAX_PAGES 1000

/* The URL of a `Link: <url>; rel="next"` header, resolved against base; NULL when none. */
static char *next_link(const struct http_response *resp, const char *base)
{
	const char *link = http_response_header(resp, "Link");
	const char *open, *close;
	char *target, *url;

	if (link == NULL || strstr(link, "rel=\"next\"") == NULL)
		return NULL;
	open = strchr(link, '<');
	close = open != NULL ? strchr(open, '>') : NULL;
	if (close == NULL)
		return NULL;
	target = xstrndup(open + 1, (size_t)(close - open - 1));
	url = http_url_resolve(base, target);
	free(target);
	return url;
}

static int add_page(const struct registry_client *c, const struct buf *body, char ***tags, size_t *count,
		    struct lerr *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(body->data ? body->data : "", body->len, 0, &jerr);
	json_t *list = json_object_get(root, "tags");
	size_t i;
	int r = -1;

	if (root == NULL || (list != NULL && !json_is_null(list) && !json_is_array(list))) {
		lerr_about(err, LADING_ERR_FORMAT, c->name, "tag list is not the expected JSON");
		goto out;
	}
	for (i = 0; json_is_array(list) && i < json_array_size(list); i++) {
		const char *tag = json_string_value(json_array_get(list, i));

		if (tag == NULL)
			continue;
		*tags = grow_array(*tags, *count, sizeof(**tags));
		(*tags)[(*count)++] = xstrdup(tag);
	}
	r = 0;
out:
	json_decref(root);
	return r;
}

static void free_tags(char **tags, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(tags[i]);
	free(tags);
}

int registry_tags_list(struct registry_client *c, char ***tags, size_t *count, struct lerr *err)
{
	char **list = NULL;
	size_t n = 0, total = 0;
	char *url = xasprintf("%s/v2/%s/tags/list", c->base_url, c->repository);
	int pages, r = -1;

	for (pages = 0; url != NULL; pages++) {
		struct http_request req = {0};
		struct http_response resp = {0};
		struct buf body = BUF_INIT(REGISTRY_TAGS_MAX_BYTES - total);
		char *next;

		if (pages == REGISTRY_TAGS_MAX_PAGES || total >= REGISTRY_TAGS_MAX_BYTES) {
			lerr_about(err, LADING_ERR_LIMIT, c->name, "too many tags");
			goto out;
		}
		req.method = "GET";
		req.url = url;
		req.body = &body;
		if (registry_do(c, &req, &resp, err) != 0 ||
		    (resp.status != 200 && registry_status_error(c, &resp, "tags list", err) != 0) ||
		    add_page(c, &body, &list, &n, err) != 0) {
			http_response_free(&resp);
			buf_free(&body);
			goto out;
		}
		total += body.len;
		next = next_link(&resp, resp.url != NULL ? resp.url : url);
		http_response_free(&resp);
		buf_free(&body);
		free(url);
		url = next;
	}
	*tags = list;
	*count = n;
	list = NULL;
	n = 0;
	r = 0;
out:
	free(url);
	free_tags(list, n);
	return r;
}
