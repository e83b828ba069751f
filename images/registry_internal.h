#ifndef LADING_IMAGES_REGISTRY_INTERNAL_H
#define LADING_IMAGES_REGISTRY_INTERNAL_H

/*
 * Shared by registry.c (pull) and registry_push.c (push) only: the client's
 * insides and its request helpers. Nothing else includes this file.
 */
#include "images/auth.h"
#include "images/registry.h"
#include "lib/http.h"

struct registry_client {
	char *domain;
	char *api_host;
	char *repository;
	char *name; /* "domain/repository" */
	char *base_url;
	struct registry_client_opts opts;
	struct http_session *http;
	struct http_tls tls; /* answer of the TLS lookup */
	struct auth_creds creds;
	int have_creds;
	char *authorization; /* "Bearer ..." or "Basic ..."; never logged */
};

/* Performs req against the registry, answering one 401 challenge (rewinding an upload source). */
int registry_do(struct registry_client *c, struct http_request *req, struct http_response *resp, struct lerr *err);

/* Fills err from a failed reply: what was asked, the status and the registry's error code. Returns -1. */
int registry_status_error(const struct registry_client *c, const struct http_response *resp, const char *what,
			  struct lerr *err);

#endif
