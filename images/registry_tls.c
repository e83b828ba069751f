#include "images/registry_tls.h"

#include "images/registry_config.h"

const struct http_tls *registry_tls_lookup(const char *hostport, void *arg)
{
	struct registry_tls_ctx *ctx = arg;
	const struct registry_config *rc = registry_config_find(ctx->registries, hostport);

	if (rc == NULL)
		return NULL;
	ctx->tls.ca_file = rc->ca_file;
	ctx->tls.insecure_skip_verify = rc->insecure_skip_verify;
	return &ctx->tls;
}

const char *registry_tls_scheme(const struct registry_set *registries, const char *hostport)
{
	const struct registry_config *rc = registry_config_find(registries, hostport);

	return rc != NULL && rc->plain_http ? "http" : "https";
}
