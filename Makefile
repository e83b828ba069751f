# lading: one binary, plain make. `make check` installs test dependencies first.
PROG      = lading
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc

SRCDIRS  = lib images charts providers packages sign bundle/format bundle serve inventory provision/ssh provision/vsphere provision/baremetal provision
PKGS     = libarchive libzstd libcurl yaml-0.1 openssl jansson libssh2 libxml-2.0 libmicrohttpd
# IPMI BMCs (lading baremetal, protocol ipmi) through libfreeipmi. IPMI=0 builds without it: such a
# lading names the missing library for every IPMI node. The static release binary has IPMI (FreeIPMI,
# libgcrypt and libgpg-error in scripts/release/deps/).
IPMI     ?= 1
ifeq ($(IPMI),1)
PKGS     += libfreeipmi
else
override CFLAGS += -DLADING_NO_IPMI
endif

SRCS     = $(wildcard $(addsuffix /*.c,$(SRCDIRS)))
OBJS     = $(SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(BUILD)/lading.o
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
MANS     = $(wildcard man/*.[0-9])
TESTS    = $(sort $(wildcard tests/t[0-9]*.sh))

CFLAGS   ?= -O2 -g
override CFLAGS += -std=c11 -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700 -Wall -Wextra -Werror \
            -I. $(shell pkg-config --cflags $(PKGS)) -MMD -MP
override LDLIBS += $(shell pkg-config --libs $(PKGS)) -lpthread
SANFLAGS  = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

PROVE    ?= prove
PROVE_FLAGS ?= -j2

.PHONY: all check check-asan unit demo bench install clean deps lint format fuzz fuzz-build fuzz-bins

all: $(PROG)

$(PROG): $(BUILD)/$(PROG)
	cp $< $@

$(BUILD)/$(PROG): $(MAIN_OBJ) $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/unit/%: tests/unit/%.c $(OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(OBJS) $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)

deps:
	./scripts/deps

# Every test prints TAP; prove runs unit binaries and shell tests alike.
check: deps
	$(MAKE) lint
	$(MAKE) $(PROG) unit
	LADING=$(CURDIR)/$(BUILD)/$(PROG) LADING_UNIT_DIR=$(CURDIR)/$(BUILD)/tests/unit \
	CMOCKA_MESSAGE_OUTPUT=TAP $(PROVE) $(PROVE_FLAGS) -e '' $(UNIT_BINS) $(TESTS)

check-asan: deps
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g $(SANFLAGS)" LDFLAGS="$(SANFLAGS)" \
		build-asan/$(PROG) unit
	LADING=$(CURDIR)/build-asan/$(PROG) LADING_UNIT_DIR=$(CURDIR)/build-asan/tests/unit \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	CMOCKA_MESSAGE_OUTPUT=TAP $(PROVE) $(PROVE_FLAGS) -e '' \
		$(UNIT_SRCS:tests/unit/%.c=build-asan/tests/unit/%) $(TESTS)

demo: deps $(PROG)
	./scripts/demo

bench: deps $(PROG)
	@for b in scripts/bench/*.sh; do echo "== $$b"; bash $$b || exit 1; done

# Every C file and header of the tree (tests included) for clang-format.
FORMAT_SRCS = lading.c $(SRCS) $(wildcard $(addsuffix /*.h,$(SRCDIRS))) $(UNIT_SRCS) $(wildcard tests/fuzz/*.[ch])

# Man pages lint clean; the code is formatted; folders include only what their
# main header allows (scripts/check-layers); no block of code is kept in two C files.
lint:
	mandoc -Tlint -Wwarning $(MANS)
	@clang-format --dry-run -Werror $(FORMAT_SRCS) && echo "clang-format: $(words $(FORMAT_SRCS)) files formatted"
	./scripts/check-layers
	./scripts/check-duplicates

format:
	clang-format -i $(FORMAT_SRCS)

# libFuzzer targets (tests/fuzz/README): the project's objects built with clang into
# $(FUZZ_BUILD) with ASan+UBSan and fuzzer coverage, one binary per tests/fuzz/fuzz_*.c.
# `make fuzz FUZZ_SECONDS=600` runs each in turn and fails on any crash, leak or timeout.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES    = $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz-build:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-bins

fuzz-bins: $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/liblading.a: $(OBJS)
	rm -f $@
	ar rcs $@ $^

# kept (not deleted as intermediates) so a rebuild relinks only what changed
.PRECIOUS: $(BUILD)/tests/fuzz/fuzz_%.o

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/liblading.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/liblading.a $(LDLIBS)

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) ./tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_NAMES)

install: $(PROG)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(PROG) $(DESTDIR)$(PREFIX)/bin/$(PROG)
	for m in $(MANS); do \
		sec=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$sec/; done

clean:
	rm -rf build build-asan build-fuzz $(PROG)

-include $(OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(wildcard $(BUILD)/tests/fuzz/*.d)

# `lading --version` names the commit (issue 18): lading-commit.h in the build
# folder, rewritten only when HEAD (or a change to tracked files) moves, so
# only lib/version.o recompiles. LADING_COMMIT=... overrides (a tarball build).
LADING_COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)
$(BUILD)/gen/lading-commit.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define LADING_COMMIT "%s"\n' '$(LADING_COMMIT)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/lib/version.o: $(BUILD)/gen/lading-commit.h
$(BUILD)/lib/version.o: override CFLAGS += -I$(BUILD)/gen
FORCE:

# Static release binary (issue 18, README "Release binary"): every library
# built from Debian's sources with musl into RELEASE_CACHE, then lading into
# dist/lading-VERSION-linux-{amd64,arm64}, dist/SHA256SUMS (+ .minisig with
# RELEASE_KEY=secret.key). Not part of `make check`; `make check-release`
# runs the binary in an empty root.
RELEASE_ARCHES ?= amd64 arm64
.PHONY: release release-deps check-release FORCE
release-deps:
	./scripts/release/install-packages
release: release-deps
	for a in $(RELEASE_ARCHES); do ./scripts/release/build $$a || exit 1; done
	./scripts/release/sums
check-release: release
	./scripts/release/check
