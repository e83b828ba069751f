#include "provision/vsphere/run.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/pool.h"
#include "lib/xmalloc.h"
#include "provision/vsphere/api.h"

/* The objects every clone shares, looked up once. */
struct shared {
	struct vs_ref source;
	struct vs_ref folder;
	struct vs_ref pool;
	struct vs_ref datastore;
	struct vs_ref network;
	int has_datastore;
	int has_network;
};

struct pool_state {
	struct vs_run *run;
	const struct shared *shared;
	struct vs_soap_opts soap_opts;
	pthread_mutex_t lock;	    /* run->failures and run->report */
	struct vs_client **clients; /* one vCenter session per worker */
};

static void set_failed(struct vs_result *res, const char *status, const char *msg)
{
	res->status = status;
	res->failed = 1;
	snprintf(res->error, sizeof(res->error), "%s", msg);
}

/* Finds a required object of the given type, with one clear line when it is missing. */
static int find_required(struct vs_client *client, const char *key, const char *path, const char *type,
			 struct vs_ref *ref, struct lerr *err)
{
	int found;

	if (vs_find(client, path, ref, &found, err) != 0)
		return lerr_prefix(err, "%s", key);
	if (!found)
		return lerr_set(err, LADING_ERR_NOTFOUND, "%s '%s': not found (NotFound)", key, path);
	if (type != NULL && strcmp(ref->type, type) != 0)
		return lerr_set(err, LADING_ERR_USAGE, "%s '%s' is a %s, not a %s", key, path, ref->type, type);
	return 0;
}

static int resolve_shared(struct vs_client *client, const struct vs_site *site, struct shared *shared, struct lerr *err)
{
	memset(shared, 0, sizeof(*shared));
	if (site->datacenter != NULL) {
		char *path = xasprintf("/%s", site->datacenter);
		struct vs_ref datacenter;
		int r = find_required(client, "datacenter", path, "Datacenter", &datacenter, err);

		free(path);
		if (r != 0)
			return -1;
	}
	if (find_required(client, "template", site->template_path, "VirtualMachine", &shared->source, err) != 0 ||
	    find_required(client, "folder", site->folder, "Folder", &shared->folder, err) != 0)
		return -1;
	if (vs_find_pool(client, site->cluster != NULL ? site->cluster : site->resource_pool, &shared->pool, err) != 0)
		return lerr_prefix(err, "%s", site->cluster != NULL ? "cluster" : "resource_pool");
	if (site->datastore != NULL) {
		if (find_required(client, "datastore", site->datastore, "Datastore", &shared->datastore, err) != 0)
			return -1;
		shared->has_datastore = 1;
	}
	if (site->network != NULL) {
		if (find_required(client, "network", site->network, NULL, &shared->network, err) != 0)
			return -1;
		if (strcmp(shared->network.type, "Network") != 0 &&
		    strcmp(shared->network.type, "DistributedVirtualPortgroup") != 0 &&
		    strcmp(shared->network.type, "OpaqueNetwork") != 0)
			return lerr_set(err, LADING_ERR_USAGE, "network '%s' is a %s, not a network", site->network,
					shared->network.type);
		shared->has_network = 1;
	}
	return 0;
}

static char *base64(const char *text)
{
	size_t len = strlen(text);
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)len);
	return out;
}

/* YAML double-quoted scalar (the values have no control characters: the site parser refuses them). */
static void yaml_quote(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			buf_puts(b, "\\");
		buf_add(b, s, 1, NULL);
	}
	buf_puts(b, "\"");
}

/* guestinfo.* keys read by cloud-init's VMware datasource (DataSourceVMware, base64 encoding). */
static size_t cloud_init_options(const struct vs_site *site, const struct vs_vm_spec *vm, char *values[4],
				 struct vs_option *extra)
{
	struct buf meta = BUF_INIT(0), user = BUF_INIT(0);

	buf_puts(&meta, "instance-id: ");
	yaml_quote(&meta, vm->name);
	buf_puts(&meta, "\nlocal-hostname: ");
	yaml_quote(&meta, vm->name);
	buf_puts(&meta, "\n");
	buf_puts(&user, "#cloud-config\nhostname: ");
	yaml_quote(&user, vm->name);
	buf_puts(&user, "\n");
	if (site->ssh_authorized_key != NULL) {
		buf_puts(&user, "ssh_authorized_keys:\n  - ");
		yaml_quote(&user, site->ssh_authorized_key);
		buf_puts(&user, "\n");
	}
	values[0] = base64(meta.data);
	values[1] = base64(user.data);
	extra[0] = (struct vs_option){"guestinfo.metadata", values[0]};
	extra[1] = (struct vs_option){"guestinfo.metadata.encoding", "base64"};
	extra[2] = (struct vs_option){"guestinfo.userdata", values[1]};
	extra[3] = (struct vs_option){"guestinfo.userdata.encoding", "base64"};
	buf_free(&meta);
	buf_free(&user);
	return 4;
}

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static int clone_one(struct vs_client *client, const struct pool_state *ps, const struct vs_vm_spec *vm,
		     struct vs_ref *ref, struct lerr *err)
{
	const struct vs_site *site = ps->run->site;
	struct vs_option extra[5];
	char *values[4] = {NULL, NULL, NULL, NULL};
	struct vs_clone_req req;
	size_t i, count = 0;
	int r;

	extra[count++] = (struct vs_option){VS_MARKER_KEY, "true"};
	if (site->cloud_init)
		count += cloud_init_options(site, vm, values, extra + count);
	memset(&req, 0, sizeof(req));
	req.source = &ps->shared->source;
	req.folder = &ps->shared->folder;
	req.pool = &ps->shared->pool;
	req.datastore = ps->shared->has_datastore ? &ps->shared->datastore : NULL;
	req.network = ps->shared->has_network ? &ps->shared->network : NULL;
	req.network_name = site->network != NULL ? last_component(site->network) : NULL;
	req.name = vm->name;
	req.cpus = (long)vm->cpus;
	req.memory_mb = (long)vm->memory_mb;
	req.extra = extra;
	req.extra_count = count;
	req.ip = vm->ip;
	req.prefix_len = vm->prefix_len;
	req.gateway = vm->gateway;
	req.dns = (const char *const *)vm->dns;
	req.dns_count = vm->dns_count;
	req.domain = site->domain;
	req.timeout_s = ps->run->timeout_s;
	r = vs_clone(client, &req, ref, err);
	for (i = 0; i < 4; i++)
		free(values[i]);
	return r;
}

static char *vm_path(const struct vs_site *site, const struct vs_vm_spec *vm)
{
	size_t len = strlen(site->folder);

	while (len > 0 && site->folder[len - 1] == '/')
		len--;
	return xasprintf("%.*s/%s", (int)len, site->folder, vm->name);
}

/* An existing VM: lading's is reported ok (with its address when up), another is refused. */
static void create_existing(struct vs_client *client, const struct vs_run *run, const struct vs_vm_spec *vm,
			    const struct vs_ref *ref, struct vs_result *res)
{
	struct vs_vm_info info;
	struct lerr err;

	if (vs_vm_info(client, ref, &info, &err) != 0) {
		set_failed(res, "failed", err.msg);
		return;
	}
	snprintf(res->power, sizeof(res->power), "%s", info.power);
	if (!info.managed) {
		snprintf(res->error, sizeof(res->error),
			 "a VM named '%s' already exists in '%s' and was not created by lading (no %s marker): "
			 "refusing to use it",
			 vm->name, run->site->folder, VS_MARKER_KEY);
		res->status = "refused";
		res->failed = 1;
	} else if (strcmp(info.power, "poweredOn") != 0) {
		res->status = "ok";
		log_msg(run->lg, LOG_WARN, "%s: exists but is %s: left as it is, not in the inventory", vm->name,
			info.power);
	} else if (vs_wait_ip(client, ref, vm->ip, run->timeout_s, &res->ip, &err) != 0) {
		set_failed(res, "failed", err.msg);
	} else {
		res->status = "ok";
	}
	vs_vm_info_clear(&info);
}

static void do_create(struct vs_client *client, const struct pool_state *ps, size_t i, struct vs_result *res)
{
	const struct vs_run *run = ps->run;
	const struct vs_vm_spec *vm = &run->site->vms[i];
	char *path = vm_path(run->site, vm);
	struct vs_ref ref;
	struct lerr err;
	int found;

	if (vs_find(client, path, &ref, &found, &err) != 0) {
		set_failed(res, "failed", err.msg);
		goto out;
	}
	if (found) {
		create_existing(client, run, vm, &ref, res);
		goto out;
	}
	log_msg(run->lg, LOG_INFO, "%s: cloning from '%s'", vm->name, run->site->template_path);
	if (clone_one(client, ps, vm, &ref, &err) != 0) {
		set_failed(res, "failed", err.msg);
		goto out;
	}
	log_msg(run->lg, LOG_INFO, "%s: cloned (%s), powering on", vm->name, ref.value);
	if (vs_power(client, &ref, 1, run->timeout_s, &err) != 0) {
		set_failed(res, "failed", err.msg);
		goto out;
	}
	snprintf(res->power, sizeof(res->power), "poweredOn");
	log_msg(run->lg, LOG_INFO, "%s: waiting for VMware Tools to report %s", vm->name,
		vm->ip != NULL ? vm->ip : "an address");
	if (vs_wait_ip(client, &ref, vm->ip, run->timeout_s, &res->ip, &err) != 0) {
		set_failed(res, "failed", err.msg);
		goto out;
	}
	res->status = "created";
out:
	free(path);
}

/*
 * The VM at path and what vCenter says of it: 1 found (ref, info and res->power
 * filled), 0 absent (res->status "absent"), -1 failed (res marked failed).
 */
static int look_up_vm(struct vs_client *client, const char *path, struct vs_ref *ref, struct vs_vm_info *info,
		      struct vs_result *res)
{
	struct lerr err;
	int found;

	if (vs_find(client, path, ref, &found, &err) != 0 || (found && vs_vm_info(client, ref, info, &err) != 0)) {
		set_failed(res, "failed", err.msg);
		return -1;
	}
	if (!found) {
		res->status = "absent";
		return 0;
	}
	snprintf(res->power, sizeof(res->power), "%s", info->power);
	return 1;
}

static void do_destroy(struct vs_client *client, const struct vs_run *run, size_t i, struct vs_result *res)
{
	const struct vs_vm_spec *vm = &run->site->vms[i];
	char *path = vm_path(run->site, vm);
	struct vs_vm_info info = {"", NULL, 0, 0, 0, 0};
	struct vs_ref ref;
	struct lerr err;

	if (look_up_vm(client, path, &ref, &info, res) != 1)
		goto out;
	if (!info.managed) {
		snprintf(res->error, sizeof(res->error), "'%s' was not created by lading (no %s marker): left alone",
			 path, VS_MARKER_KEY);
		res->status = "refused";
		res->failed = 1;
		goto out;
	}
	if (strcmp(info.power, "poweredOff") != 0) {
		log_msg(run->lg, LOG_INFO, "%s: powering off", vm->name);
		if (vs_power(client, &ref, 0, run->timeout_s, &err) != 0) {
			set_failed(res, "failed", err.msg);
			goto out;
		}
	}
	log_msg(run->lg, LOG_INFO, "%s: destroying", vm->name);
	if (vs_destroy(client, &ref, run->timeout_s, &err) != 0) {
		set_failed(res, "failed", err.msg);
		goto out;
	}
	res->power[0] = '\0';
	res->status = "destroyed";
out:
	vs_vm_info_clear(&info);
	free(path);
}

static void do_list(struct vs_client *client, const struct vs_run *run, size_t i, struct vs_result *res)
{
	const struct vs_vm_spec *vm = &run->site->vms[i];
	char *path = vm_path(run->site, vm);
	struct vs_vm_info info = {"", NULL, 0, 0, 0, 0};
	struct vs_ref ref;

	if (look_up_vm(client, path, &ref, &info, res) == 1) {
		res->ip = info.ip;
		info.ip = NULL;
		res->status = info.managed ? "managed" : "foreign";
	}
	vs_vm_info_clear(&info);
	free(path);
}

/* Each worker logs in on its own thread; one that cannot leaves the VMs to the others. */
static int worker_login(size_t worker, void *ctx, struct lerr *err)
{
	struct pool_state *ps = ctx;

	return vs_login(&ps->soap_opts, ps->run->site->username, ps->run->password, &ps->clients[worker], err);
}

static void worker_logout(size_t worker, void *ctx)
{
	struct pool_state *ps = ctx;

	vs_logout(ps->clients[worker]);
	ps->clients[worker] = NULL;
}

static void vm_done(struct pool_state *ps, size_t i)
{
	struct vs_run *run = ps->run;

	pthread_mutex_lock(&ps->lock);
	if (run->results[i].failed)
		run->failures++;
	if (run->report != NULL)
		run->report(run, i);
	pthread_mutex_unlock(&ps->lock);
}

/* A pool job: the VM's outcome goes to its result, never to the pool (one VM failing stops no other). */
static int vm_job(void *item, size_t worker, void *ctx, struct lerr *unused)
{
	struct pool_state *ps = ctx;
	struct vs_run *run = ps->run;
	struct vs_result *res = item;
	size_t i = (size_t)(res - run->results);

	(void)unused;
	if (run->verb == VS_VERB_CREATE)
		do_create(ps->clients[worker], ps, i, res);
	else if (run->verb == VS_VERB_DESTROY)
		do_destroy(ps->clients[worker], run, i, res);
	else
		do_list(ps->clients[worker], run, i, res);
	vm_done(ps, i);
	return 0;
}

static void run_pool(struct pool_state *ps)
{
	struct vs_run *run = ps->run;
	struct pool_opts opts = {0};
	struct lerr login_err;
	size_t i;

	opts.workers = (int)run->jobs;
	opts.mode = POOL_KEEP_GOING;
	opts.run = vm_job;
	opts.worker_start = worker_login;
	opts.worker_stop = worker_logout;
	opts.ctx = ps;
	ps->clients = xcalloc((size_t)(run->jobs > 0 ? run->jobs : 1), sizeof(*ps->clients));
	if (pool_run_each(&opts, run->results, run->site->vm_count, sizeof(*run->results), &login_err) != 0) {
		/* No worker could log in: the VMs none took fail with the reason. */
		for (i = 0; i < run->site->vm_count; i++) {
			if (run->results[i].status != NULL)
				continue;
			set_failed(&run->results[i], "failed", login_err.msg);
			vm_done(ps, i);
		}
	}
	free(ps->clients);
	ps->clients = NULL;
}

int vs_run(struct vs_run *run, struct lerr *err)
{
	struct pool_state ps;
	struct shared shared;
	struct vs_client *client = NULL;
	int r = -1;

	memset(&ps, 0, sizeof(ps));
	ps.run = run;
	ps.shared = &shared;
	ps.soap_opts.url = run->site->url;
	ps.soap_opts.ca_file = run->site->ca_file;
	ps.soap_opts.insecure = run->site->insecure;
	ps.soap_opts.timeout_s = 120;
	run->results = xcalloc(run->site->vm_count, sizeof(*run->results));
	/* One session up front: a wrong password or path fails once, in one line, before any clone. */
	if (vs_login(&ps.soap_opts, run->site->username, run->password, &client, err) != 0)
		return -1;
	if (run->verb == VS_VERB_CREATE) {
		if (resolve_shared(client, run->site, &shared, err) != 0)
			goto out;
	} else if (find_required(client, "folder", run->site->folder, "Folder", &shared.folder, err) != 0) {
		goto out;
	}
	vs_logout(client);
	client = NULL;
	if (pthread_mutex_init(&ps.lock, NULL) != 0) {
		lerr_sys(err, "cannot create a mutex");
		goto out;
	}
	run_pool(&ps);
	pthread_mutex_destroy(&ps.lock);
	r = 0;
out:
	vs_logout(client);
	return r;
}

int vs_run_write_inventory(const struct vs_run *run, const char *path, struct lerr *err)
{
	const struct vs_site *site = run->site;
	struct buf out = BUF_INIT(0);
	size_t i, j, k;
	int r;

	buf_printf(&out, "# Written by lading vsphere create from %s: VMs up with an address.\nall:\n  children:\n",
		   site->file);
	for (i = 0; i < site->vm_count; i++) {
		int first = 1;

		for (j = 0; j < i && first; j++)
			first = strcmp(site->vms[j].group, site->vms[i].group) != 0;
		if (!first)
			continue;
		buf_puts(&out, "    ");
		yaml_quote(&out, site->vms[i].group);
		buf_puts(&out, ":\n      hosts:");
		for (j = i, first = 1; j < site->vm_count; j++) {
			const struct vs_vm_spec *vm = &site->vms[j];

			if (strcmp(vm->group, site->vms[i].group) != 0 || run->results[j].ip == NULL ||
			    run->results[j].failed)
				continue;
			buf_puts(&out, first ? "\n" : "");
			first = 0;
			buf_puts(&out, "        ");
			yaml_quote(&out, vm->name);
			buf_puts(&out, ":\n          ansible_host: ");
			yaml_quote(&out, run->results[j].ip);
			buf_puts(&out, "\n");
			for (k = 0; k < vm->var_count; k++) {
				buf_puts(&out, "          ");
				yaml_quote(&out, vm->vars[k].name);
				buf_puts(&out, ": ");
				yaml_quote(&out, vm->vars[k].value);
				buf_puts(&out, "\n");
			}
		}
		if (first)
			buf_puts(&out, " {}\n");
	}
	r = fs_write_file(path, out.data, out.len, 0644, err);
	buf_free(&out);
	return r;
}

void vs_run_free(struct vs_run *run)
{
	size_t i;

	for (i = 0; run->results != NULL && i < run->site->vm_count; i++)
		free(run->results[i].ip);
	free(run->results);
	vs_site_free(run->site);
	run->results = NULL;
	run->site = NULL;
}
