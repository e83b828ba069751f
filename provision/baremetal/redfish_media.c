#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xmalloc.h"
#include "provision/baremetal/internal.h"
#include "provision/baremetal/redfish.h"

/* A drive a node can boot a CD image from: MediaTypes lists CD or DVD. */
static int is_optical(const json_t *media)
{
	const json_t *type;
	size_t i;

	json_array_foreach(json_object_get(media, "MediaTypes"), i, type)
	{
		const char *name = json_string_value(type);

		if (name != NULL && (strcmp(name, "CD") == 0 || strcmp(name, "DVD") == 0))
			return 1;
	}
	return 0;
}

static int read_media(struct rf_client *c, struct lerr *err)
{
	struct rf_reply reply;

	if (rf_expect(c, "GET", c->media_path, NULL, NULL, &reply, err) != 0)
		return -1;
	json_decref(c->media);
	c->media = json_incref(reply.body);
	rf_reply_free(&reply);
	return 0;
}

/* The first optical member of the collection at path; 0 with c->media_path unset when there is none. */
static int search_collection(struct rf_client *c, const char *path, struct lerr *err)
{
	struct rf_reply list, member;
	const json_t *item;
	size_t i;
	int r = -1;

	if (rf_expect(c, "GET", path, NULL, NULL, &list, err) != 0)
		return -1;
	json_array_foreach(json_object_get(list.body, "Members"), i, item)
	{
		const char *member_path = json_string_value(json_object_get(item, "@odata.id"));

		if (member_path == NULL)
			continue;
		if (rf_expect(c, "GET", member_path, NULL, NULL, &member, err) != 0)
			goto out;
		if (is_optical(member.body)) {
			c->media_path = xstrdup(member_path);
			c->media = json_incref(member.body);
			rf_reply_free(&member);
			break;
		}
		rf_reply_free(&member);
	}
	r = 0;
out:
	rf_reply_free(&list);
	return r;
}

int rf_media_find(struct rf_client *c, struct lerr *err)
{
	const char *collection = rf_link(c->system, "VirtualMedia");
	struct rf_reply manager;
	int r;

	if (c->media_path != NULL)
		return read_media(c, err);
	if (collection != NULL && search_collection(c, collection, err) != 0)
		return -1;
	if (c->media_path != NULL || c->manager_path[0] == '\0')
		goto done;
	if (rf_expect(c, "GET", c->manager_path, NULL, NULL, &manager, err) != 0)
		return -1;
	collection = rf_link(manager.body, "VirtualMedia");
	r = collection != NULL ? search_collection(c, collection, err) : 0;
	rf_reply_free(&manager);
	if (r != 0)
		return -1;
done:
	if (c->media_path == NULL)
		return lerr_set(err, LADING_ERR_NOTFOUND, "%s: %s and its manager have no virtual CD/DVD drive",
				c->base, c->system_path);
	return 0;
}

int rf_media_inserted(const struct rf_client *c)
{
	return json_is_true(json_object_get(c->media, "Inserted"));
}

const char *rf_media_image(const struct rf_client *c)
{
	const char *image = json_string_value(json_object_get(c->media, "Image"));

	return image != NULL ? image : "";
}

static int media_action(struct rf_client *c, const char *action, const char *body, struct lerr *err)
{
	const json_t *actions = json_object_get(c->media, "Actions");
	const char *target = json_string_value(json_object_get(json_object_get(actions, action), "target"));
	struct rf_reply reply;

	if (target == NULL)
		return lerr_set(err, LADING_ERR_FORMAT, "%s: %s has no %s action", c->base, c->media_path, action);
	if (rf_expect(c, "POST", target, body, NULL, &reply, err) != 0)
		return -1;
	rf_reply_free(&reply);
	return read_media(c, err);
}

int rf_media_insert(struct rf_client *c, const char *url, struct lerr *err)
{
	/* DSP0268 VirtualMedia.InsertMedia: Image is required; Inserted and WriteProtected default to true. */
	json_t *request = json_pack("{s:s, s:b, s:b}", "Image", url, "Inserted", 1, "WriteProtected", 1);
	char *body = request != NULL ? json_dumps(request, JSON_COMPACT) : NULL;
	int r;

	json_decref(request);
	if (body == NULL)
		return lerr_set(err, LADING_ERR_SYSTEM, "%s: cannot build the InsertMedia request", c->base);
	r = media_action(c, "#VirtualMedia.InsertMedia", body, err);
	free(body);
	return r;
}

int rf_media_eject(struct rf_client *c, struct lerr *err)
{
	return media_action(c, "#VirtualMedia.EjectMedia", "{}", err);
}
