#ifndef LADING_SERVE_MODULES_H
#define LADING_SERVE_MODULES_H

/*
 * Internal to serve/: the Terraform module registry protocol (SPECS-2 §7) over
 * the carried modules/HOST/NS/NAME/SYSTEM/VERSION.tar.gz: discovery
 * (/.well-known/terraform.json), /v1/modules/NS/NAME/SYSTEM/versions and
 * …/VERSION/download (204 + X-Terraform-Get pointing at /modules/…). The
 * host is dropped from the API paths: a site maps the original host to serve
 * in its CLI config, so one NS/NAME/SYSTEM may come from one host only.
 */
#include "lib/err.h"
#include "serve/request.h"
#include "serve/tree.h"

/* True when path is answered here. */
int serve_modules_route(const char *path);

/* Answers a path serve_modules_route accepted, from modules (may be empty). */
enum MHD_Result serve_modules_handle(struct serve_request *req, const struct serve_tree *modules);

/* Fails (LADING_ERR_USAGE, naming both) when two hosts carry the same NS/NAME/SYSTEM. */
int serve_modules_check(const struct serve_tree *modules, const char *root, struct lerr *err);

#endif
