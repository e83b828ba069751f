#ifndef LADING_PROVIDERS_TFCREDS_H
#define LADING_PROVIDERS_TFCREDS_H

/*
 * API tokens for Terraform provider registries, found where Terraform finds them
 * (developer.hashicorp.com/terraform/cli/config/config-file#credentials), in its
 * order of precedence:
 *   1. TF_TOKEN_<host>: dots as '_', hyphens as '__' (or '-'); hosts without a port;
 *   2. credentials "HOST" { token = "..." } blocks of the CLI configuration file,
 *      $TF_CLI_CONFIG_FILE, else $TERRAFORM_CONFIG, else ~/.terraformrc;
 *   3. ~/.terraform.d/credentials.tfrc.json, as `terraform login` writes it.
 * Sent as "Authorization: Bearer TOKEN" to that host only, never logged.
 */
#include <stddef.h>

#include "lib/err.h"

struct tf_credential {
	char *host; /* lowercase "host[:port]" */
	char *token;
};

struct tf_credentials {
	struct tf_credential *items;
	size_t count;
};

/*
 * Reads the configuration files (missing ones are fine). A file that cannot be parsed
 * is an error naming it and its line; TF_TOKEN_ variables are read when asked.
 */
int tf_credentials_load(struct tf_credentials *creds, struct lerr *err);

/* Reads credentials blocks from HCL text (what names it in errors); appends to creds. */
int tf_credentials_parse_hcl(struct tf_credentials *creds, const char *text, size_t len, const char *what,
			     struct lerr *err);

/* The TF_TOKEN_ variable name for a host (caller frees), hyphens written as "__". */
char *tf_credentials_env_name(const char *host);

/* An http_auth_lookup_fn (lib/http.h); arg is a struct tf_credentials. */
char *tf_credentials_auth(const char *hostport, void *arg);

/* Wipes the tokens and frees; the set may be loaded again. */
void tf_credentials_free(struct tf_credentials *creds);

#endif
