#ifndef LADING_IMAGES_CMD_IMAGE_H
#define LADING_IMAGES_CMD_IMAGE_H

/* `lading image pull ...`: fetch images into a local store (see lading-image(1)). */
int cmd_image(int argc, char **argv);

#endif
