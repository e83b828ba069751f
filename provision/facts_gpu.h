#ifndef LADING_PROVISION_FACTS_GPU_H
#define LADING_PROVISION_FACTS_GPU_H

/*
 * The NVIDIA part of the facts (provision/facts.c): PCI functions from sysfs,
 * the preflight state (Secure Boot, nouveau, nvidia module) and nvidia-smi
 * rows merged into the GPU rows by PCI address. See facts.h for the keys.
 */
#include <jansson.h>

/* Adds the GPU keys with their "nothing found" values to facts. */
void facts_gpu_init(json_t *facts);

/*
 * Takes one tab-split line of the facts script if it is a GPU one; returns 1
 * when taken, 0 when the line is not a GPU line.
 */
int facts_gpu_line(json_t *facts, char **field, int count);

/* A new JSON integer from decimal text, or JSON null when it is not one. */
json_t *facts_integer_or_null(const char *text);

/*
 * Writes nvidia-smi's bus id ("00000000:3B:00.0") as sysfs names the device
 * ("0000:3b:00.0") into out; returns -1 (out unchanged) when it is no bus id.
 */
int facts_gpu_bus_id(const char *bus_id, char *out, size_t size);

#endif
