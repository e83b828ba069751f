#ifndef LADING_PROVIDERS_TFVERSION_H
#define LADING_PROVIDERS_TFVERSION_H

/*
 * Terraform/OpenTofu version constraints (hashicorp/go-version dialect):
 * "~> 2.10", ">= 1.0, < 2.0", "= 1.2.3", "!= 1.3.0". Comma means AND.
 * "~>" keeps every given segment but the last fixed; prereleases match only
 * an exact "=" of the same version.
 */
#include "lib/err.h"
#include "lib/semver.h"

struct tf_constraint;

/* Parses text; errors name it. Free with tf_constraint_free. */
int tf_constraint_parse(const char *text, struct tf_constraint **out, struct lerr *err);
int tf_constraint_check(const struct tf_constraint *c, const struct semver *v);
void tf_constraint_free(struct tf_constraint *c);

#endif
