#ifndef LADING_IMAGES_REF_H
#define LADING_IMAGES_REF_H

#include <stddef.h>

#include "lib/err.h"

/*
 * An image reference split and normalised like Docker does (SPECS §1.1):
 * "nginx" is docker.io/library/nginx:latest; a first component with a dot, a
 * colon or equal to "localhost" is a registry host.
 */
struct image_ref {
	char *domain;	  /* "docker.io", "127.0.0.1:5000" */
	char *repository; /* "library/nginx" */
	char *tag;	  /* "latest" unless a digest alone was given; may be NULL */
	char *digest;	  /* "sha256:<hex>" or NULL */
};

/* Parses text into out (free with image_ref_free); fails with LADING_ERR_USAGE naming text. */
int image_ref_parse(const char *text, struct image_ref *out, struct lerr *err);

/* The normalised text "domain/repository[:tag][@digest]"; newly allocated. */
char *image_ref_string(const struct image_ref *ref);

/* The host that serves the API: registry-1.docker.io for docker.io, else the domain. */
const char *image_ref_api_host(const struct image_ref *ref);

void image_ref_free(struct image_ref *ref);

/* True when s[0..len) is one repository path component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* (SPECS §1.1). */
int image_ref_component_valid(const char *s, size_t len);

#endif
