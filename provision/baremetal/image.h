#ifndef LADING_PROVISION_BAREMETAL_IMAGE_H
#define LADING_PROVISION_BAREMETAL_IMAGE_H

/*
 * A node's live boot image (lading baremetal image): the site's base
 * initramfs followed by a small cpio archive with the node's identity (its
 * SSH host key, root's authorized key, its address, the registry's CA and
 * the /init that applies them; the kernel unpacks concatenated archives in
 * order), and a BIOS-bootable ISO (El Torito, isolinux) holding the kernel
 * and that initramfs. Everything lands under OUT/NODE/, the private host key
 * 0600 beside the images; an existing key is kept, so a node keeps its
 * identity from one image to the next.
 */
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"
#include "provision/baremetal/site.h"

struct bm_image {
	char *dir;		     /* OUT/NODE */
	char *initrd;		     /* OUT/NODE/initrd.img, or NULL for a node with a ready iso */
	char *iso;		     /* the ISO to boot: OUT/NODE/NODE.iso or the node's own, or NULL */
	unsigned char host_blob[64]; /* the host key (SSH wire format) the image holds */
	size_t host_blob_len;	     /* 0 for a node with a ready iso: lading put no key into it */
	char host_fingerprint[64];   /* "SHA256:..." or "" */
	int key_created;	     /* the host key was generated now */
};

/*
 * Builds the node's image under out_dir. A node with `iso:` needs nothing
 * built: img->iso names it. Otherwise kernel, initrd and authorized_key are
 * required (errors name the node and the key to add), and the ISO is built
 * when isolinux is given. Free img with bm_image_free.
 */
int bm_image_build(const struct bm_node *node, const char *out_dir, const struct logger *lg, struct bm_image *img,
		   struct lerr *err);

void bm_image_free(struct bm_image *img);

#endif
