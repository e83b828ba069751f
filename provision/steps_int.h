#ifndef LADING_PROVISION_STEPS_INT_H
#define LADING_PROVISION_STEPS_INT_H

/* Shared between the step files (steps.c, steps_file.c, steps_service.c, steps_package.c, steps_script.c); not a public
 * interface. */
#include "provision/steps.h"

/* Renders text with the host's variables; messages name the step's file and line. Caller frees *out. */
int step_render(struct step_host *host, const struct site_step *step, const char *text, char **out, struct lerr *err);
/* Renders a template file into out. */
int step_render_file(struct step_host *host, const char *path, struct buf *out, struct lerr *err);

/*
 * Runs cmd on the host, logging it and its output; fills *status and, when
 * why is given, the last line of stderr (else stdout). -1 = transport failure.
 */
int step_sh(struct step_host *host, const char *cmd, int become, struct buf *out, int *status, char *why,
	    size_t why_len, struct lerr *err);

/* Appends a line to the host's log (no-op without one). */
void step_log(struct step_host *host, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void step_set(struct step_result *res, enum step_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The step's become, else the host's. */
int step_become(const struct step_host *host, const struct site_step *step);

/* Each returns -1 only on a transport failure (res says unreachable). */
int step_file(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_registry_hosts(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_service(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_apt_source(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_package(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_facts(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_script(struct step_host *host, const struct site_step *step, struct step_result *res);

/*
 * Makes dest hold text (mode 0644 when new), or local_path's bytes; *changed
 * when it differed. 0 = done or failed (res says which), -1 = transport.
 */
int step_put_text(struct step_host *host, const struct site_step *step, const char *text, size_t len, const char *dest,
		  int *changed, struct step_result *res);
int step_put_file(struct step_host *host, const struct site_step *step, const char *local_path, const char *dest,
		  int *changed, struct step_result *res);

/* registry_keep_host (site vars or inventory) is true: the registry names images with their upstream host. */
int step_keep_host(struct step_host *host);

/* registry_hosts for podman/CRI-O (dir /etc/containers) and Docker Engine (dir /etc/docker): steps_mirror.c. */
int step_registry_containers(struct step_host *host, const struct site_step *step, struct step_result *res);
int step_registry_docker(struct step_host *host, const struct site_step *step, struct step_result *res);

/* Sets (or replaces) a fact of the host: a variable later steps see before any other. */
void step_fact_set(struct step_host *host, const char *name, const char *value);

#endif
