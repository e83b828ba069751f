#ifndef LADING_IMAGES_REGISTRY_CONFIG_H
#define LADING_IMAGES_REGISTRY_CONFIG_H

#include "images/fetch.h"
#include "lib/err.h"
#include "lib/yamltree.h"

/*
 * The `registries:` list of lading.yaml (and of `lading image --registry-config`):
 *   - host: 127.0.0.1:5000    # required, host[:port] as in image references
 *     plain_http: true        # http:// instead of https://
 *     ca_file: /etc/ssl/lab-ca.pem
 *     insecure_skip_verify: false
 * Relative ca_file paths are taken from the directory of the file.
 */

/* Parses seq (a YAML sequence) into out (free with registry_config_free); errors name file:line:col. */
int registry_config_parse(const struct ynode *seq, struct registry_set *out, struct lerr *err);

/* Loads a YAML file whose top level is a map with one key `registries:`. */
int registry_config_load(const char *path, struct registry_set *out, struct lerr *err);

/* The entry for host ("host[:port]"), or NULL. */
const struct registry_config *registry_config_find(const struct registry_set *set, const char *host);

void registry_config_free(struct registry_set *set);

#endif
