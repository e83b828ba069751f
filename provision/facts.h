#ifndef LADING_PROVISION_FACTS_H
#define LADING_PROVISION_FACTS_H

/*
 * What a host is: OS (/etc/os-release), kernel, arch, CPUs, memory, disks
 * (/sys/block), NVIDIA GPUs and NVSwitches (/sys/bus/pci/devices), the GPU
 * preflight state (Secure Boot, nouveau, nvidia module) and nvidia-smi's view.
 * Gathered by one POSIX sh script over one exec: no Python on targets.
 */
#include <jansson.h>

#include "lib/err.h"
#include "provision/ssh/ssh.h"

/* The gathering script (static text) that facts_parse reads the output of. */
const char *facts_script(void);

/*
 * Runs the script on conn (NULL: on this machine) and returns the facts as a JSON object (caller
 * decrefs): {hostname, os{id,version_id,pretty_name,codename}, kernel, arch,
 * cpu{count,model}, memory{total_bytes}, disks[{name,size_bytes,rotational,model}],
 * gpus[{pci_address,vendor_id,device_id,class, and from nvidia-smi: index,uuid,name,
 * memory_mib,driver_version,mig_mode}], nvswitches (count), efi, secure_boot (null
 * when not EFI), nouveau_loaded, nvidia_module{loaded,version}, nvidia_smi_exit
 * (null when there is no nvidia-smi)}.
 */
int facts_gather(struct ssh_conn *conn, json_t **out, struct lerr *err);

/* Turns the script's output (tab-separated lines) into the JSON object above. */
int facts_parse(const char *text, json_t **out, struct lerr *err);

#endif
