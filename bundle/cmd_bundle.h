#ifndef LADING_BUNDLE_CMD_BUNDLE_H
#define LADING_BUNDLE_CMD_BUNDLE_H

/*
 * bundle/: what is done with bundles: the spec (lading.yaml) and lading.lock,
 * the cache, create (images, charts, providers, files into one tarball),
 * inspect, verify, extract, sign, push, and the `lading bundle` and
 * `lading fetch` commands. The format itself is in bundle/format/.
 * May include: bundle/format/, sign/, images/, charts/, providers/, packages/, lib/
 */

/* `lading bundle <verb> …`: parses options, calls bundle/, prints, returns the exit status. */
int cmd_bundle(int argc, char **argv);

#endif
