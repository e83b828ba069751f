/* The signature of a served directory and its files against lading.json (see dirsig.h). */
#include "serve/dirsig.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle/format/manifest.h"
#include "lib/buf.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/xmalloc.h"
#include "serve/tree.h"
#include "sign/signature.h"
#include "sign/trust.h"

/* A minisign signature is four short lines. */
#define DIRSIG_SIG_MAX (64u << 10)

/* What `lading serve` answers from: every file under these is checked. */
static const char *const served_parts[] = {"oci", "charts", "providers", "modules", "files", "apt"};

struct part_check {
	const char *dir;
	const char *part;
	const struct serve_tree *tree;
	const struct bundle_manifest *manifest;
	struct lerr *err;
};

/* One served file: listed in lading.json with this size and sha256 (and a blob named by it). */
static int check_file(void *ctx, const char *rel)
{
	struct part_check *pc = ctx;
	char *path = xasprintf("%s/%s", pc->part, rel), hex[SHA256_HEX_LEN + 1];
	const struct bundle_entry *entry = bundle_manifest_find(pc->manifest, path);
	uint64_t size = 0;
	int fd = -1, r = -1;

	if (entry == NULL) {
		lerr_set(pc->err, LADING_ERR_SIGNATURE,
			 "'%s/%s': not listed in the signed lading.json: the directory was changed after extraction "
			 "(serve the bundle file, or extract it again)",
			 pc->dir, path);
		goto out;
	}
	if (strncmp(path, "oci/blobs/sha256/", 17) == 0 && strcmp(path + 17, entry->sha256) != 0) {
		lerr_set(pc->err, LADING_ERR_SIGNATURE, "'%s/%s': lading.json lists it with sha256:%s, not its name",
			 pc->dir, path, entry->sha256);
		goto out;
	}
	if (serve_tree_open(pc->tree, rel, &fd, &size, pc->err) != 0 || sha256_fd(fd, path, hex, &size, pc->err) != 0)
		goto out;
	if (size != entry->size || strcmp(hex, entry->sha256) != 0) {
		lerr_set(
		    pc->err, LADING_ERR_SIGNATURE,
		    "'%s/%s': %llu bytes with sha256:%s, but the signed lading.json says %llu bytes with sha256:%s: "
		    "the directory was altered after extraction",
		    pc->dir, path, (unsigned long long)size, hex, (unsigned long long)entry->size, entry->sha256);
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* Every listed entry under the part is present (a served tree never lacks a signed file). */
static int check_listed(const struct part_check *pc)
{
	size_t i, len = strlen(pc->part);

	for (i = 0; i < pc->manifest->entry_count; i++) {
		const char *path = pc->manifest->entries[i].path;

		if (strncmp(path, pc->part, len) == 0 && path[len] == '/' && !serve_tree_has(pc->tree, path + len + 1))
			return lerr_set(pc->err, LADING_ERR_SIGNATURE,
					"'%s/%s': listed in the signed lading.json but missing (or not a regular file)",
					pc->dir, path);
	}
	return 0;
}

static int check_entries(const char *dir, const char *json, size_t json_len, const struct logger *lg, struct lerr *err)
{
	struct bundle_manifest manifest;
	struct serve_tree *tree = NULL;
	struct part_check pc = {dir, NULL, NULL, &manifest, err};
	size_t i;
	int r = -1;

	if (bundle_manifest_parse(json, json_len, &manifest, err) != 0) {
		lerr_prefix(err, "'%s/lading.json'", dir);
		return -1;
	}
	if (bundle_manifest_sort(&manifest, err) != 0)
		goto out;
	for (i = 0; i < sizeof(served_parts) / sizeof(served_parts[0]); i++) {
		char *part_dir = xasprintf("%s/%s", dir, served_parts[i]);
		int loaded = serve_tree_load(part_dir, lg, &tree, err);

		free(part_dir);
		if (loaded != 0)
			goto out;
		pc.part = served_parts[i];
		pc.tree = tree;
		if (serve_tree_each(tree, check_file, &pc) != 0 || check_listed(&pc) != 0)
			goto out;
		serve_tree_free(tree);
		tree = NULL;
	}
	r = 0;
out:
	serve_tree_free(tree);
	bundle_manifest_free(&manifest);
	return r;
}

/* Reads dir/name into b; *missing set (and 0 returned) when it does not exist. */
static int read_optional(const char *dir, const char *name, struct buf *b, int *missing, struct lerr *err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int r = 0;

	*missing = access(path, F_OK) != 0 && errno == ENOENT;
	if (!*missing)
		r = fs_read_file(path, b, err);
	free(path);
	return r;
}

int serve_dirsig_check(const char *dir, const struct serve_source_opts *opts, int *verified, struct lerr *err)
{
	const struct logger *lg = opts->lg;
	int insecure = opts->insecure_skip_signature;
	struct buf json = BUF_INIT(BUNDLE_MANIFEST_MAX), sig = BUF_INIT(DIRSIG_SIG_MAX);
	struct trust_set trust;
	struct bundle_sig_check check;
	char *what = xasprintf("'%s'", dir);
	int no_json = 1, no_sig = 1, r = -1;

	*verified = 0;
	trust_init(&trust);
	bundle_sig_check_init(&check, &trust, what, insecure);
	check.allow_expired = opts->allow_expired;
	check.allow_downgrade = opts->allow_downgrade;
	if (read_optional(dir, BUNDLE_SIGNATURE_NAME, &sig, &no_sig, err) != 0 ||
	    (!no_sig && read_optional(dir, BUNDLE_MANIFEST_NAME, &json, &no_json, err) != 0))
		goto out;
	if (no_sig || no_json) {
		/* As `serve BUNDLE` does for an unsigned bundle: refused unless asked for. */
		lerr_set(err, LADING_ERR_SIGNATURE, "%s: the directory is not signed (no %s%s)", what,
			 no_sig ? BUNDLE_SIGNATURE_NAME : BUNDLE_MANIFEST_NAME, no_sig ? "" : " next to the signature");
		if (!insecure) {
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
				 "; serve the signed bundle file, or pass --insecure-skip-signature");
			goto out;
		}
		log_msg(lg, LOG_WARN, "%s (--insecure-skip-signature: serving it anyway; every blob is hashed)",
			err->msg);
		r = 0;
		goto out;
	}
	if (trust_load(&trust, opts->pubkeys, opts->pubkey_count, err) != 0 ||
	    bundle_sig_check_head(&check, json.data, json.len, sig.data, sig.len, NULL, err) != 0)
		goto out;
	if (!check.verified) {
		log_msg(lg, LOG_WARN, "%s (--insecure-skip-signature: serving it anyway; every blob is hashed)",
			check.problem.msg);
		r = 0;
		goto out;
	}
	log_msg(lg, LOG_INFO, "%s: signed by key %s; hashing every served file against lading.json", dir, check.key_id);
	if (check_entries(dir, json.data, json.len, lg, err) != 0)
		goto out;
	bundle_sig_check_accept(&check, lg);
	*verified = 1;
	r = 0;
out:
	bundle_sig_check_free(&check);
	trust_free(&trust);
	buf_free(&json);
	buf_free(&sig);
	free(what);
	return r;
}
