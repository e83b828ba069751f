#ifndef LADING_BUNDLE_IMAGE_LIST_H
#define LADING_BUNDLE_IMAGE_LIST_H

/*
 * images_from: in lading.yaml and `bundle create --images-file`: image
 * references read from a file, told apart by content. A plain list has one
 * reference a line ('#' comments, blank lines, an optional "- "), as zarf,
 * mindthegap and `kubeadm config images list` write them; Kubernetes
 * manifests (multi-document YAML with apiVersion/kind) give the `image:` of
 * every container, initContainer and ephemeralContainer, pod templates of
 * Deployments, StatefulSets, DaemonSets, Jobs and CronJobs included.
 */
#include "bundle/spec.h"
#include "lib/err.h"

/* Files are read whole: this caps one. */
#define IMAGE_LIST_MAX (16u << 20)

/*
 * Appends the images of the file at path to spec->images (those already
 * listed are skipped), each with its source "FILE:LINE[:COL]". Fails naming
 * FILE:LINE for a line or value that is not a reference (LADING_ERR_USAGE),
 * or the file when it cannot be read or parsed.
 */
int bundle_image_list_add(struct bundle_spec *spec, const char *path, struct lerr *err);

/* Every images_from: file of spec (paths relative to the spec's directory), then extra_file (may be NULL). */
int bundle_image_lists_add(struct bundle_spec *spec, const char *extra_file, struct lerr *err);

#endif
