/*
 * lading: carry container images, charts, providers and files across an air
 * gap in one signed tarball, and provision the nodes on the far side.
 * This file only dispatches: every command parses its own options.
 */
#include <curl/curl.h>
#include <libssh2.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bundle/cmd_fetch.h"
#include "bundle/cmd_bundle.h"
#include "bundle/cmd_cache.h"
#include "images/cmd_image.h"
#include "lib/version.h"
#include "sign/cmd_key.h"
#include "inventory/cmd_inventory.h"
#include "provision/vsphere/cmd_vsphere.h"
#include "provision/baremetal/cmd_baremetal.h"
#include "serve/cmd_serve.h"
#include "provision/cmd_provision.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
    {"bundle", cmd_bundle, "create, inspect, verify, sign, extract and push bundles"},
    {"key", cmd_key, "minisign-compatible keys: generate, sign and verify files"},
    {"image", cmd_image, "pull images into a local store, push them to a registry"},
    {"fetch", cmd_fetch, "fetch one chart, provider or file into the store, verified"},
    {"cache", cmd_cache, "remove what killed runs left behind (lading cache prune)"},
    {"serve", cmd_serve, "serve a bundle or directory: OCI registry, Helm repo, provider mirror, files"},
    {"inventory", cmd_inventory, "list and graph Ansible inventories (YAML or INI)"},
    {"provision", cmd_provision, "run commands and roles on inventory hosts over SSH"},
    {"vsphere", cmd_vsphere, "clone VMs from a vSphere template, list or destroy them"},
    {"baremetal", cmd_baremetal, "power and boot bare-metal nodes through their BMC (Redfish)"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	const struct command *cmd;

	fprintf(out, "usage: lading <command> [options]\n"
		     "       lading --version | --help\n\n"
		     "commands:\n");
	for (cmd = commands; cmd->name != NULL; cmd++)
		fprintf(out, "  %-10s %s\n", cmd->name, cmd->summary);
	fprintf(out, "\nRun 'lading <command> --help' for a command's options; see lading(1).\n");
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int status;

	setlocale(LC_CTYPE, "");
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		return version_print(stdout) == 0 ? 0 : 1;
	}
	for (cmd = commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[1]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "lading: unknown command '%s' (see 'lading --help')\n", argv[1]);
		return 2;
	}
	/* libcurl and libssh2 want one global init before any thread exists. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "lading: cannot initialise libcurl\n");
		return 1;
	}
	if (libssh2_init(0) != 0) {
		fprintf(stderr, "lading: cannot initialise libssh2\n");
		curl_global_cleanup();
		return 1;
	}
	status = cmd->run(argc - 1, argv + 1);
	libssh2_exit();
	curl_global_cleanup();
	return status;
}
