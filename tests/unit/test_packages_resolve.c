#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/buf.h"
#include "packages/baseline.h"
#include "packages/index.h"
#include "packages/resolve.h"

/* Feeds a string to the index a few bytes at a time, so lines straddle reads. */
struct text_reader {
	const char *text;
	size_t len, pos, step;
};

static long read_text(void *ctx, char *buf, size_t len, struct lerr *err)
{
	struct text_reader *tr = ctx;
	size_t left = tr->len - tr->pos;
	size_t n = left < len ? left : len;

	(void)err;
	if (n > tr->step)
		n = tr->step;
	memcpy(buf, tr->text + tr->pos, n);
	tr->pos += n;
	return (long)n;
}

static int load_bytes(struct apt_index *idx, const char *text, size_t len, size_t step, struct lerr *err)
{
	static const char *const archs[] = {"amd64"};
	struct text_reader tr = {text, len, 0, step};

	return apt_index_load(idx, read_text, &tr, "main/binary-amd64/Packages", archs, 1, err);
}

static int load(struct apt_index *idx, const char *text, size_t step, struct lerr *err)
{
	return load_bytes(idx, text, strlen(text), step, err);
}

/* A small archive: every case of the resolver in one index. */
static const char archive[] =
    "Package: app\nVersion: 1.0\nArchitecture: amd64\nDepends: libfoo (>= 2), mta | mail-transport-agent,\n"
    " tool:any\nPre-Depends: init-helper\nRecommends: never-followed\nFilename: pool/a/app_1.0_amd64.deb\n"
    "SHA256: 0000000000000000000000000000000000000000000000000000000000000001\nSize: 100\n\n"
    "Package: libfoo\nVersion: 1.5\nArchitecture: amd64\nFilename: pool/l/libfoo_1.5.deb\n\n"
    "Package: libfoo\nVersion: 2.1\nArchitecture: amd64\nDepends: libc\nFilename: pool/l/libfoo_2.1.deb\n\n"
    "Package: libfoo\nVersion: 3.0~rc1\nArchitecture: amd64\nDepends: libc (>= 2)\nFilename: pool/l/libfoo_3.deb\n\n"
    "Package: libc\nVersion: 2.36\nArchitecture: amd64\nPriority: optional\nFilename: pool/l/libc.deb\n\n"
    "Package: postfix\nVersion: 3.7\nArchitecture: amd64\nProvides: mail-transport-agent\nPriority: optional\n"
    "Filename: pool/p/postfix.deb\n\n"
    "Package: exim4\nVersion: 4.96\nArchitecture: amd64\nProvides: mail-transport-agent\nPriority: standard\n"
    "Conflicts: mail-transport-agent\nFilename: pool/e/exim4.deb\n\n"
    "Package: tool\nVersion: 1\nArchitecture: amd64\nMulti-Arch: allowed\nFilename: pool/t/tool.deb\n\n"
    "Package: init-helper\nVersion: 0.5\nArchitecture: all\nDepends: libc\nFilename: pool/i/init.deb\n\n"
    "Package: i386-only\nVersion: 1\nArchitecture: i386\nFilename: pool/i/i386.deb\n\n"
    "Package: ping\nVersion: 1\nArchitecture: all\nDepends: pong\nFilename: pool/p/ping.deb\n\n"
    "Package: pong\nVersion: 1\nArchitecture: all\nDepends: ping\nFilename: pool/p/pong.deb\n\n"
    "Package: wants-virtual-v\nVersion: 1\nArchitecture: all\nDepends: virt (>= 1.0)\nFilename: pool/w/v.deb\n\n"
    "Package: gives-virt-unversioned\nVersion: 1\nArchitecture: all\nProvides: virt\nFilename: pool/g/u.deb\n\n"
    "Package: gives-virt-versioned\nVersion: 1\nArchitecture: all\nProvides: virt (= 1.2)\nFilename: pool/g/v.deb\n\n"
    "Package: wants-virt-2\nVersion: 1\nArchitecture: all\nDepends: virt (>= 2)\nFilename: pool/w/2.deb\n\n"
    "Package: nvidia-driver\nVersion: 535.1\nArchitecture: amd64\nDepends: nvidia-kernel-dkms (= 535.1)\n"
    "Filename: pool/n/d.deb\n\n"
    "Package: nvidia-kernel-dkms\nVersion: 535.1\nArchitecture: amd64\nDepends: dkms (>= 3)\nFilename: pool/n/k.deb\n\n"
    "Package: dkms\nVersion: 2.8\nArchitecture: all\nFilename: pool/d/dkms.deb\n\n"
    "Package: wants-ghost\nVersion: 1\nArchitecture: all\nDepends: ghost\nFilename: pool/w/g.deb\n\n"
    "Package: wants-tool-any\nVersion: 1\nArchitecture: all\nDepends: plain:any\nFilename: pool/w/t.deb\n\n"
    "Package: plain\nVersion: 1\nArchitecture: amd64\nFilename: pool/p/plain.deb\n\n"
    "Package: needs-new-libc\nVersion: 1\nArchitecture: all\nDepends: libc (>= 2.36)\nFilename: pool/n/n.deb\n\n"
    "Package: base-files\nVersion: 12\nArchitecture: amd64\nPriority: required\nEssential: yes\nDepends: libc\n"
    "Filename: pool/b/b.deb\n\n"
    "Package: old-conflict\nVersion: 1\nArchitecture: all\nBreaks: libc (<< 3)\nFilename: pool/o/o.deb\n";

static int resolve(const struct apt_index *idx, const struct apt_baseline *base, const char *const *install, size_t n,
		   char *out, size_t out_size, struct lerr *err)
{
	const struct apt_pkg **pkgs = NULL;
	size_t count = 0, i, used = 0;

	out[0] = '\0';
	if (apt_resolve(idx, base, install, n, "SOURCE", &pkgs, &count, err) != 0) {
		snprintf(out, out_size, "%s", err->msg);
		return -1;
	}
	for (i = 0; i < count; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%s=%s", i > 0 ? " " : "", pkgs[i]->name,
					 pkgs[i]->version);
	free(pkgs);
	return 0;
}

static int setup(void **state)
{
	struct apt_index *idx = calloc(1, sizeof(*idx));
	struct lerr err;

	apt_index_init(idx);
	if (load(idx, archive, 7, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = idx;
	return 0;
}

static int teardown(void **state)
{
	apt_index_free(*state);
	free(*state);
	return 0;
}

static void index_keeps_wanted_architectures_and_fields(void **state)
{
	const struct apt_index *idx = *state;
	const struct apt_pkg *const *pkgs;
	const struct apt_provide *provs;
	size_t n;

	pkgs = apt_index_find(idx, "app", &n);
	assert_int_equal(n, 1);
	assert_string_equal(pkgs[0]->depends, "libfoo (>= 2), mta | mail-transport-agent, tool:any");
	assert_string_equal(pkgs[0]->pre_depends, "init-helper");
	assert_string_equal(pkgs[0]->filename, "pool/a/app_1.0_amd64.deb");
	assert_string_equal(pkgs[0]->sha256, "0000000000000000000000000000000000000000000000000000000000000001");
	assert_int_equal(pkgs[0]->size, 100);
	assert_null(apt_index_find(idx, "i386-only", &n));
	assert_int_equal(n, 0);
	assert_non_null(apt_index_find(idx, "libfoo", &n));
	assert_int_equal(n, 3);
	provs = apt_index_providers(idx, "virt", &n);
	assert_int_equal(n, 2);
	assert_null(provs[0].version);
	assert_string_equal(provs[1].version, "1.2");
	pkgs = apt_index_find(idx, "base-files", &n);
	assert_true(pkgs[0]->essential);
	assert_string_equal(pkgs[0]->priority, "required");
	assert_int_equal(apt_index_find(idx, "tool", &n)[0]->multi_arch, APT_MA_ALLOWED);
}

static void index_load_twice_keeps_one_copy_and_adds_new_stanzas(void **state)
{
	struct apt_index idx;
	struct lerr err;
	size_t n;

	(void)state;
	apt_index_init(&idx);
	assert_int_equal(load(&idx, archive, 4096, &err), 0);
	assert_int_equal(load(&idx, archive, 1, &err), 0);
	assert_int_equal(load(&idx, "Package: libfoo\r\nVersion: 4\r\nArchitecture: amd64\r\n", 3, &err), 0);
	assert_non_null(apt_index_find(&idx, "libfoo", &n));
	assert_int_equal(n, 4);
	assert_string_equal(apt_index_find(&idx, "libfoo", &n)[3]->version, "4");
	apt_index_free(&idx);
}

static void index_rejects_garbage_with_line_numbers(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
	    {"Package: a\nVersion: 1\nArchitecture: all\n\nthis is not a field\n", "Packages:5: line without"},
	    {" continued\n", "Packages:1: continuation line outside a field"},
	    {"Package: a\nVersion: 1\n\n", "Packages:1: stanza without Package"},
	    {"\n\nPackage: a\nVersion: x1\nArchitecture: all\n", "Packages:3: a: invalid Version"},
	    {"Package: a\nVersion: 1\nArchitecture: all\nSize: 12k\n", "invalid Size"},
	    {"Package: a\nVersion: 1\nVersion: 2\nArchitecture: all\n", "Packages:3: field Version twice"},
	    {"Package: a\nVersion: 1\nArchitecture: all\nProvides: b (>= 1)\n", "a: Provides: only"},
	    {"Package: a\nVersion: 1\nArchitecture: all\nDescription: x\0y\n", "NUL"},
	};
	struct apt_index idx;
	struct lerr err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		apt_index_init(&idx);
		/* The last case holds a NUL: its length comes from the array, not strlen. */
		size_t len = i + 1 == sizeof(bad) / sizeof(bad[0])
				 ? sizeof("Package: a\nVersion: 1\nArchitecture: all\nDescription: x\0y\n") - 1
				 : strlen(bad[i].text);

		if (load_bytes(&idx, bad[i].text, len, 5, &err) == 0)
			fail_msg("case %zu loaded", i);
		if (strstr(err.msg, bad[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].want);
		assert_int_equal(err.code, LADING_ERR_FORMAT);
		apt_index_free(&idx);
	}
}

static void index_streams_a_very_long_field(void **state)
{
	struct buf text = BUF_INIT(0);
	struct apt_index idx;
	struct lerr err;
	size_t i, n;

	(void)state;
	buf_puts(&text, "Package: big\nVersion: 1\nArchitecture: amd64\nProvides: p0");
	for (i = 1; i < 60000; i++)
		buf_printf(&text, ", p%zu (= 1)", i);
	buf_puts(&text, "\nDescription: long\n .\n more\n\nPackage: after\nVersion: 1\nArchitecture: all");
	apt_index_init(&idx);
	assert_int_equal(load(&idx, text.data, 100000, &err), 0);
	assert_non_null(apt_index_providers(&idx, "p59999", &n));
	assert_non_null(apt_index_find(&idx, "after", &n));
	apt_index_free(&idx);
	buf_free(&text);
}

static void index_loads_a_file(void **state)
{
	char path[] = "/tmp/test_packages_XXXXXX";
	static const char *const archs[] = {"amd64"};
	struct apt_index idx;
	struct lerr err;
	size_t n;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, archive, sizeof(archive) - 1), (long)sizeof(archive) - 1);
	close(fd);
	apt_index_init(&idx);
	assert_int_equal(apt_index_load_file(&idx, path, NULL, archs, 1, &err), 0);
	assert_non_null(apt_index_find(&idx, "nvidia-driver", &n));
	unlink(path);
	assert_int_equal(apt_index_load_file(&idx, path, NULL, archs, 1, &err), -1);
	assert_int_equal(err.code, LADING_ERR_SYSTEM);
	apt_index_free(&idx);
}

static void resolve_takes_the_highest_satisfying_version_and_skips_recommends(void **state)
{
	static const char *const install[] = {"app"};
	char out[1024];
	struct lerr err;

	if (resolve(*state, NULL, install, 1, out, sizeof(out), &err) != 0)
		fail_msg("%s", out);
	/*
	 * 3.0~rc1 sorts after 2.1: the highest version that satisfies (>= 2). Of the providers of
	 * mail-transport-agent, exim4 (Priority: standard) goes before postfix (optional).
	 */
	assert_string_equal(out, "app=1.0 exim4=4.96 init-helper=0.5 libc=2.36 libfoo=3.0~rc1 tool=1");
}

static void resolve_prefers_an_alternative_already_chosen_or_installed(void **state)
{
	static const char *const install[] = {"postfix", "app"};
	struct apt_baseline base;
	char out[1024];
	struct lerr err;

	/* postfix is chosen first: app's "mta | mail-transport-agent" takes it instead of exim4. */
	assert_int_equal(resolve(*state, NULL, install, 2, out, sizeof(out), &err), 0);
	assert_string_equal(out, "app=1.0 init-helper=0.5 libc=2.36 libfoo=3.0~rc1 postfix=3.7 tool=1");
	/* Installed on the node: nothing needed for the group, and the node's libc does for libfoo. */
	apt_baseline_init(&base);
	apt_baseline_add(&base, "postfix", "3.7");
	apt_baseline_add(&base, "libc:amd64", "2.36");
	assert_int_equal(resolve(*state, &base, install + 1, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "app=1.0 init-helper=0.5 libfoo=3.0~rc1 tool=1");
	apt_baseline_free(&base);
}

static void resolve_upgrades_a_baseline_package_too_old(void **state)
{
	static const char *const install[] = {"needs-new-libc"};
	struct apt_baseline base;
	char out[1024];
	struct lerr err;

	apt_baseline_init(&base);
	apt_baseline_add(&base, "libc", "2.31");
	assert_int_equal(resolve(*state, &base, install, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "libc=2.36 needs-new-libc=1");
	apt_baseline_add(&base, "libc", "2.36");
	assert_int_equal(resolve(*state, &base, install, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "needs-new-libc=1");
	apt_baseline_free(&base);
}

static void resolve_versioned_provides_only_satisfy_versioned_dependencies(void **state)
{
	static const char *const want_v[] = {"wants-virtual-v"};
	static const char *const want_2[] = {"wants-virt-2"};
	char out[1024];
	struct lerr err;

	assert_int_equal(resolve(*state, NULL, want_v, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "gives-virt-versioned=1 wants-virtual-v=1");
	assert_int_equal(resolve(*state, NULL, want_2, 1, out, sizeof(out), &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_string_equal(err.msg, "SOURCE: wants-virt-2 -> virt (>= 2): no version satisfies (only provided "
				     "without a version)");
}

static void resolve_follows_a_cycle_once(void **state)
{
	static const char *const install[] = {"ping"};
	char out[1024];
	struct lerr err;

	assert_int_equal(resolve(*state, NULL, install, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "ping=1 pong=1");
}

static void resolve_names_the_chain_of_an_unsatisfiable_dependency(void **state)
{
	static const char *const nvidia[] = {"nvidia-driver"};
	static const char *const ghost[] = {"wants-ghost"};
	static const char *const missing[] = {"no-such"};
	static const char *const any[] = {"wants-tool-any"};
	char out[1024];
	struct lerr err;

	assert_int_equal(resolve(*state, NULL, nvidia, 1, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: nvidia-driver -> nvidia-kernel-dkms (= 535.1) -> dkms (>= 3): no "
				     "version satisfies (have 2.8)");
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_int_equal(resolve(*state, NULL, ghost, 1, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: wants-ghost -> ghost: no such package");
	assert_int_equal(resolve(*state, NULL, missing, 1, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: no-such: no such package");
	/* ':any' needs Multi-Arch: allowed; plain has none. */
	assert_int_equal(resolve(*state, NULL, any, 1, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: wants-tool-any -> plain:any: no Multi-Arch: allowed version for ':any'");
}

static void resolve_installs_the_version_asked_for(void **state)
{
	static const char *const pinned[] = {"libfoo=1.5"};
	static const char *const absent[] = {"libfoo=9"};
	static const char *const clash[] = {"libfoo=1.5", "app"};
	char out[1024];
	struct lerr err;

	assert_int_equal(resolve(*state, NULL, pinned, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "libfoo=1.5");
	assert_int_equal(resolve(*state, NULL, absent, 1, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: libfoo=9: no such version (have 1.5, 2.1, 3.0~rc1)");
	assert_int_equal(resolve(*state, NULL, clash, 2, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: app -> libfoo (>= 2): libfoo 1.5 is already chosen (libfoo=1.5)");
}

static void resolve_reports_conflicts_between_chosen_packages(void **state)
{
	static const char *const both[] = {"exim4", "postfix"};
	static const char *const breaks[] = {"needs-new-libc", "old-conflict"};
	char out[1024];
	struct lerr err;

	assert_int_equal(resolve(*state, NULL, both, 2, out, sizeof(out), &err), -1);
	assert_string_equal(err.msg, "SOURCE: exim4 4.96 conflicts with postfix 3.7 (exim4; postfix)");
	assert_int_equal(resolve(*state, NULL, breaks, 2, out, sizeof(out), &err), -1);
	/* The install entries join first: libc, needed later, cannot join what breaks it. */
	assert_string_equal(err.msg,
			    "SOURCE: needs-new-libc -> libc (>= 2.36): libc 2.36 conflicts with old-conflict 1 "
			    "(old-conflict)");
}

static void baseline_reads_dpkg_query_and_required_packages(void **state)
{
	char path[] = "/tmp/test_baseline_XXXXXX";
	static const char listing[] =
	    "adduser\t3.134\nlibc6:amd64\t2.36-9+deb12u4\nremoved-pkg\t\n\nlibc6:i386\t2.36-9\n";
	struct apt_baseline base;
	struct lerr err;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, listing, sizeof(listing) - 1), (long)sizeof(listing) - 1);
	close(fd);
	apt_baseline_init(&base);
	assert_int_equal(apt_baseline_load(&base, path, &err), 0);
	assert_string_equal(apt_baseline_version(&base, "adduser"), "3.134");
	assert_string_equal(apt_baseline_version(&base, "libc6"), "2.36-9+deb12u4");
	assert_null(apt_baseline_version(&base, "removed-pkg"));
	assert_int_equal(base.count, 2);
	apt_baseline_required(&base, *state);
	assert_string_equal(apt_baseline_version(&base, "base-files"), "12");
	assert_string_equal(apt_baseline_version(&base, "libc"), "2.36");
	assert_null(apt_baseline_version(&base, "app"));
	apt_baseline_free(&base);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "ok\t1\nbroken line\n", 17), 17);
	close(fd);
	apt_baseline_init(&base);
	assert_int_equal(apt_baseline_load(&base, path, &err), -1);
	assert_non_null(strstr(err.msg, ":2: expected 'name<TAB>version'"));
	apt_baseline_free(&base);
	unlink(path);
}

/* An archive one point release newer than the node below: systemd-like binaries of one source pinned together. */
static const char newer_archive[] =
    "Package: libshared\nSource: sysd\nVersion: 2.0\nArchitecture: amd64\nFilename: pool/s/ls.deb\n\n"
    "Package: sysd\nVersion: 2.0\nArchitecture: amd64\nDepends: libshared (= 2.0)\nFilename: pool/s/s.deb\n\n"
    "Package: sysd-container\nSource: sysd\nVersion: 2.0\nArchitecture: amd64\nDepends: sysd (= 2.0), libshared (= "
    "2.0)\nFilename: pool/s/sc.deb\n\n"
    "Package: sysd-timesync\nSource: sysd\nVersion: 2.0\nArchitecture: amd64\nDepends: libshared (= 2.0), sysd\n"
    "Filename: pool/s/st.deb\n\n"
    "Package: libudev\nSource: sysd (2.0)\nVersion: 2.0+b1\nArchitecture: amd64\nFilename: pool/s/lu.deb\n\n"
    "Package: sysd-doc\nSource: sysd (1.5)\nVersion: 1.5\nArchitecture: all\nFilename: pool/s/sd.deb\n\n"
    "Package: unrelated\nVersion: 1.0\nArchitecture: amd64\nDepends: libshared (>= 1.0)\nFilename: pool/u/u.deb\n\n"
    "Package: newtool\nVersion: 1.0\nArchitecture: amd64\nBreaks: oldplug (<< 2)\nFilename: pool/n/n.deb\n\n"
    "Package: oldplug\nVersion: 2.0\nArchitecture: amd64\nFilename: pool/o/o.deb\n\n"
    "Package: libpin\nVersion: 2.0\nArchitecture: amd64\nFilename: pool/l/lp.deb\n\n"
    "Package: stuck\nVersion: 1.0\nArchitecture: amd64\nDepends: libpin (= 1.0)\nFilename: pool/s/stuck.deb\n\n"
    "Package: needs-libpin-2\nVersion: 1\nArchitecture: all\nDepends: libpin (>= 2)\nFilename: pool/n/nl.deb\n\n"
    "Package: needs-mta\nVersion: 1\nArchitecture: all\nDepends: mail-transport-agent\nFilename: pool/n/nm.deb\n";

/* The node's /var/lib/dpkg/status: packages as installed, a removed one, a forgotten one, a half-configured one. */
static const char node_status[] =
    "Package: libshared\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nSource: sysd\n"
    "Version: 1.0\nDescription: shared code\n a continuation line\n .\n\n"
    "Package: sysd\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDepends: libshared (= 1.0)\n"
    "Conffiles:\n /etc/sysd.conf 5d1ed271b8504ba019a3f0665106077f\n\n"
    "Package: sysd-timesync\nStatus: install ok installed\nArchitecture: amd64\nSource: sysd\nVersion: 1.0\n"
    "Depends: libshared (= 1.0),\n sysd\n\n"
    "Package: libudev\nStatus: install ok installed\nArchitecture: amd64\nSource: sysd\nVersion: 1.0\n\n"
    "Package: sysd-doc\nStatus: install ok installed\nArchitecture: all\nSource: sysd\nVersion: 1.0\n\n"
    "Package: unrelated\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDepends: libshared (>= "
    "1.0)\n\n"
    "Package: oldplug\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n"
    "Package: libpin\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n\n"
    "Package: stuck\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\nDepends: libpin (= 1.0)\n\n"
    "Package: removed\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 0.9\n\n"
    "Package: forgotten\nStatus: purge ok not-installed\n\n"
    "Package: halfway\nStatus: install ok half-configured\nArchitecture: all\nVersion: 3\n"
    "Provides: mail-transport-agent\n";

/* Writes text to a new temporary file; path gets its name. */
static void write_temp(char *path, const char *text)
{
	int fd = mkstemp(path);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (long)len);
	close(fd);
}

static void baseline_reads_a_dpkg_status_file(void **state)
{
	char path[] = "/tmp/test_status_XXXXXX";
	struct apt_baseline base;
	struct lerr err;
	size_t i;

	(void)state;
	write_temp(path, node_status);
	apt_baseline_init(&base);
	assert_int_equal(apt_baseline_load(&base, path, &err), 0);
	/* Installed and half-configured count (apt gives both a current version); config files alone do not. */
	assert_int_equal(base.count, 10);
	assert_string_equal(apt_baseline_version(&base, "sysd-timesync"), "1.0");
	assert_string_equal(apt_baseline_version(&base, "halfway"), "3");
	assert_null(apt_baseline_version(&base, "removed"));
	assert_null(apt_baseline_version(&base, "forgotten"));
	for (i = 0; i < base.count; i++)
		if (strcmp(base.entries[i].name, "sysd-timesync") == 0)
			break;
	assert_true(i < base.count);
	assert_non_null(base.entries[i].stanza);
	assert_string_equal(base.entries[i].stanza->depends, "libshared (= 1.0), sysd");
	apt_baseline_free(&base);

	/* A stanza the status file cannot have: named by its line. */
	unlink(path);
	strcpy(path, "/tmp/test_status_XXXXXX");
	write_temp(path,
		   "Package: a\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\nPackage: b\nbroken\n");
	apt_baseline_init(&base);
	assert_int_equal(apt_baseline_load(&base, path, &err), -1);
	assert_int_equal(err.code, LADING_ERR_FORMAT);
	assert_non_null(strstr(err.msg, ":7: line without 'Field:'"));
	apt_baseline_free(&base);
	unlink(path);
}

static void resolve_upgrades_installed_packages_the_chosen_ones_break(void **state)
{
	static const char *const container[] = {"sysd-container"};
	static const char *const newtool[] = {"newtool"};
	static const char *const libpin[] = {"needs-libpin-2"};
	static const char *const mta[] = {"needs-mta"};
	char path[] = "/tmp/test_status_XXXXXX";
	struct apt_index idx;
	struct apt_baseline base;
	char out[1024];
	struct lerr err;

	(void)state;
	apt_index_init(&idx);
	assert_int_equal(load(&idx, newer_archive, 11, &err), 0);
	write_temp(path, node_status);
	apt_baseline_init(&base);
	assert_int_equal(apt_baseline_load(&base, path, &err), 0);
	/*
	 * sysd-container needs the new sysd and libshared; the installed sysd-timesync pins the old libshared, so it
	 * is upgraded too; libudev is built from the same source version (a binNMU: "sysd (2.0)"), so it follows as
	 * apt's Upgrade-By-Source-Package does. sysd-doc's candidate is of another source version, unrelated's
	 * "libshared (>= 1.0)" still holds: both stay.
	 */
	if (resolve(&idx, &base, container, 1, out, sizeof(out), &err) != 0)
		fail_msg("%s", out);
	assert_string_equal(out, "libshared=2.0 libudev=2.0+b1 sysd=2.0 sysd-container=2.0 sysd-timesync=2.0");
	/* What a chosen package Breaks is upgraded out of the broken range. */
	assert_int_equal(resolve(&idx, &base, newtool, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "newtool=1.0 oldplug=2.0");
	/* An installed package the archive cannot upgrade: apt would remove it, lading says which and why. */
	assert_int_equal(resolve(&idx, &base, libpin, 1, out, sizeof(out), &err), -1);
	assert_int_equal(err.code, LADING_ERR_USAGE);
	assert_string_equal(err.msg, "SOURCE: needs-libpin-2 -> libpin (>= 2) -> stuck 1.0 (installed; Depends: "
				     "libpin (= 1.0)): the archive has no newer stuck to upgrade it to (apt would "
				     "remove it)");
	/* The Provides of a package as installed count, though the archive has no such version of it. */
	assert_int_equal(resolve(&idx, &base, mta, 1, out, sizeof(out), &err), 0);
	assert_string_equal(out, "needs-mta=1");
	apt_baseline_free(&base);
	apt_index_free(&idx);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(index_keeps_wanted_architectures_and_fields),
	    cmocka_unit_test(index_load_twice_keeps_one_copy_and_adds_new_stanzas),
	    cmocka_unit_test(index_rejects_garbage_with_line_numbers),
	    cmocka_unit_test(index_streams_a_very_long_field),
	    cmocka_unit_test(index_loads_a_file),
	    cmocka_unit_test(resolve_takes_the_highest_satisfying_version_and_skips_recommends),
	    cmocka_unit_test(resolve_prefers_an_alternative_already_chosen_or_installed),
	    cmocka_unit_test(resolve_upgrades_a_baseline_package_too_old),
	    cmocka_unit_test(resolve_versioned_provides_only_satisfy_versioned_dependencies),
	    cmocka_unit_test(resolve_follows_a_cycle_once),
	    cmocka_unit_test(resolve_names_the_chain_of_an_unsatisfiable_dependency),
	    cmocka_unit_test(resolve_installs_the_version_asked_for),
	    cmocka_unit_test(resolve_reports_conflicts_between_chosen_packages),
	    cmocka_unit_test(baseline_reads_dpkg_query_and_required_packages),
	    cmocka_unit_test(baseline_reads_a_dpkg_status_file),
	    cmocka_unit_test(resolve_upgrades_installed_packages_the_chosen_ones_break),
	};
	return cmocka_run_group_tests_name("packages_resolve", tests, setup, teardown);
}
