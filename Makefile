# kairan — plain Makefile. `make` builds the protocol library and the
# programs; `make check` runs every test; `make demo` starts a local
# federation. See README.md.
#
# Out-of-tree builds: make BUILD=/tmp/b BIN=/tmp/b/bin
# Sanitizers:         make SANITIZE=1   (ASan+UBSan, into build-san/)
#                     make SANITIZE=thread  (TSan, everything, into build-tsan/)
#                     make tsan         (the modules with threads and their
#                                        unit tests under TSan; in make check)

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build-san
BIN ?= $(BUILD)/bin
else ifeq ($(SANITIZE),thread)
BUILD ?= build-tsan
BIN ?= $(BUILD)/bin
else
BUILD ?= build
BIN ?= bin
endif
DATA ?= ../shared/data

CC ?= cc
PKGS = openssl libprotobuf-c sqlite3 inih jansson libwebsockets libargon2 libcurl
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# relayd's warning set on top of -Wall -Wextra.
WARNINGS = -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wmissing-declarations -Wshadow -Wpointer-arith -Wsign-compare \
	-Wcast-qual
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -pthread
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),thread)
CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif
# -isystem: the generated INIT macros cast away const (-Wcast-qual).
CPPFLAGS += -Iinclude -isystem $(BUILD)/gen $(PKG_CFLAGS)
# libev: the node (and relay) call ev_* on the loop they share with lws.
LDLIBS += $(PKG_LIBS) -lev -pthread

GEN = $(BUILD)/gen/kairan.pb-c.c $(BUILD)/gen/kairan.pb-c.h
LIB_SRC = $(wildcard proto/*.c)
LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/kairan.pb-c.o
LIB = $(BUILD)/libkairan.a
# What needs libwebsockets or the loop's other clients (libev, libcurl:
# proto/lws/mail.c) lives apart (proto/lws/), so that the protocol code
# above builds and fuzzes without them.
LWS_SRC = $(wildcard proto/lws/*.c)
LWS_OBJ = $(LWS_SRC:%.c=$(BUILD)/%.o)
LWS_LIB = $(BUILD)/libkairan-lws.a

RELAY_SRC = $(filter-out relay/main.c,$(wildcard relay/*.c))
RELAY_OBJ = $(RELAY_SRC:%.c=$(BUILD)/%.o)
RELAY_LIB = $(BUILD)/librelay.a
NODE_SRC = $(filter-out node/main.c,$(wildcard node/*.c))
NODE_OBJ = $(NODE_SRC:%.c=$(BUILD)/%.o)
NODE_LIB = $(BUILD)/libnode.a

PROGS = $(BIN)/kairan-dir
ifneq ($(wildcard relay/main.c),)
PROGS += $(BIN)/kairan-relay
endif
ifneq ($(wildcard node/main.c),)
PROGS += $(BIN)/kairan-node
endif

UNIT_SRC = $(wildcard tests/unit/test_*.c)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps check unit unit-build integration fuzz fuzz-seeds demo demo-stop \
	bench clean directory py install tsan
.DEFAULT_GOAL := all

all: $(PROGS) $(BUILD)/directory.json py $(BUILD)/bench/loadgen

deps:
	@sh deploy/deps.sh

$(GEN): proto/kairan.proto
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=proto --c_out=$(BUILD)/gen proto/kairan.proto

# Generated code follows protobuf-c's conventions, not our warning set.
$(BUILD)/gen/kairan.pb-c.o: $(BUILD)/gen/kairan.pb-c.c
	$(CC) $(CFLAGS) -Wall -Werror $(CPPFLAGS) -c -o $@ $<

# Each object's header dependencies name it both ways, absolute and
# relative: a build once made with BUILD=$(abspath ...) and then without
# would otherwise see no dependencies at all and keep stale objects.
DEPFLAGS = -MMD -MP -MT $(abspath $@) -MT $(patsubst $(CURDIR)/%,%,$(abspath $@))

$(BUILD)/%.o: %.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) $(DEPFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(LWS_LIB): $(LWS_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(RELAY_LIB): $(RELAY_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(NODE_LIB): $(NODE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN)/kairan-dir: $(BUILD)/proto/cmd/kairan-dir.o $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/kairan-relay: $(BUILD)/relay/main.o $(RELAY_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BIN)/kairan-node: $(BUILD)/node/main.o $(NODE_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(BIN)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The directory, built from the real data in ../shared/data (never copied
# into the repository).
directory: $(BUILD)/directory.json
$(BUILD)/directory.json: $(BIN)/kairan-dir deploy/contacts-demo.csv
	$(BIN)/kairan-dir import --codes $(DATA)/codes \
	    --adjacency $(DATA)/adjacency --contacts deploy/contacts-demo.csv \
	    -o $@

# Python bindings for the independent test client.
py: $(BUILD)/py/kairan_pb2.py
$(BUILD)/py/kairan_pb2.py: proto/kairan.proto
	@mkdir -p $(BUILD)/py
	protoc --proto_path=proto --python_out=$(BUILD)/py proto/kairan.proto

# The unit tests' PKI (tests/unit/mkpki.sh over certs/kairan-pki); its path
# is compiled into the tests as KAIRAN_FIXTURES.
FIXTURES = $(BUILD)/fixtures/pki
UNIT_CPPFLAGS = -DKAIRAN_FIXTURES=\"$(abspath $(FIXTURES))\"
$(FIXTURES)/.done: tests/unit/mkpki.sh certs/kairan-pki
	rm -rf $(FIXTURES)
	bash tests/unit/mkpki.sh $(FIXTURES)
	touch $@

# Unit tests: tests/unit/test_relay_*.c link the relay's modules,
# test_node_*.c the node's, the others the protocol library only.
$(BUILD)/tests/test_relay_%: tests/unit/test_relay_%.c $(RELAY_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) -Irelay $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
$(BUILD)/tests/test_node_%: tests/unit/test_node_%.c $(NODE_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) -Inode $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
# test_form: proto/form.c; its fixtures are report JSON, read with the
# node's parser (node/report.c), so it links the node's modules too.
$(BUILD)/tests/test_form: tests/unit/test_form.c $(NODE_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) -Inode $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
# test_link, test_mail: the libwebsockets part of the library (proto/lws/) too.
$(BUILD)/tests/test_link $(BUILD)/tests/test_mail: $(BUILD)/tests/test_%: tests/unit/test_%.c $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# walsync with its test hook (-DKAIRAN_TEST_HOOKS: KAIRAN_TEST_SYNC_GATE
# holds a sync before its fsync), for its unit test and for the relay of
# scenario 68 ($(BUILD)/tests/hooks/kairan-relay); never in bin/. Linked
# before librelay.a, so that the archive's walsync.o is not taken.
HOOKS_OBJ = $(BUILD)/tests/hooks/walsync.o
$(HOOKS_OBJ): relay/walsync.c $(GEN)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) -DKAIRAN_TEST_HOOKS $(DEPFLAGS) -c -o $@ $<
$(BUILD)/tests/hooks/kairan-relay: $(BUILD)/relay/main.o $(HOOKS_OBJ) $(RELAY_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/test_relay_walsync: tests/unit/test_relay_walsync.c $(HOOKS_OBJ) $(RELAY_LIB) $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) $(UNIT_CPPFLAGS) -Irelay $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

unit-build: all $(FIXTURES)/.done $(UNIT_BIN) $(BUILD)/tests/hooks/kairan-relay

# Threads under ThreadSanitizer: the modules that start a thread, built
# with -fsanitize=thread together with their unit tests (the rest of the
# library, which runs on the loop's one thread, is linked as is), into
# $(BUILD)/tsan/tests/ for tests/run.sh.
TSAN_BIN = $(BUILD)/tsan/tests/test_relay_pwcheck
$(BUILD)/tsan/tests/test_relay_pwcheck: tests/unit/test_relay_pwcheck.c \
    relay/pwcheck.c relay/operator.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) -Irelay $(LDFLAGS) -fsanitize=thread -o $@ $^ -lcmocka $(LDLIBS)
# walsync's thread and the store it shares the database with.
TSAN_BIN += $(BUILD)/tsan/tests/test_relay_walsync
$(BUILD)/tsan/tests/test_relay_walsync: tests/unit/test_relay_walsync.c \
    relay/walsync.c relay/store.c relay/storedb.c relay/store_message.c \
    relay/store_console.c relay/store_mail.c relay/audit.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=thread -DKAIRAN_TEST_HOOKS $(WARNINGS) -Wno-missing-prototypes -Wno-missing-declarations $(CPPFLAGS) -Irelay $(LDFLAGS) -fsanitize=thread -o $@ $^ -lcmocka $(LDLIBS)
tsan: $(TSAN_BIN)

# make check: everything, then one summary line "N passed, M failed".
check: deps
	@$(MAKE) --no-print-directory all unit-build tsan
	@$(MAKE) --no-print-directory SANITIZE=1 all unit-build
	@bash tests/run.sh

unit: all $(FIXTURES)/.done $(UNIT_BIN)
	@bash tests/run.sh unit

integration: all
	@bash tests/run.sh integration

# libFuzzer harnesses (clang), each run for FUZZ_SECONDS (default 30; 10
# inside make check). fuzz-seeds rewrites the committed seed corpus
# (tests/fuzz/corpus/) from the harnesses' seed mode.
fuzz: $(GEN) $(FIXTURES)/.done
	@BUILD=$(abspath $(BUILD)) FIXTURES=$(abspath $(FIXTURES)) \
	    sh tests/fuzz/run.sh
fuzz-seeds: $(GEN) $(FIXTURES)/.done
	@BUILD=$(abspath $(BUILD)) FIXTURES=$(abspath $(FIXTURES)) \
	    sh tests/fuzz/run.sh seed

demo: deps
	@$(MAKE) --no-print-directory all
	@KAIRAN_BIN=$(abspath $(BIN)) KAIRAN_BUILD=$(abspath $(BUILD)) \
	    bash deploy/demo/run.sh

demo-stop:
	@bash deploy/demo/run.sh stop

# Benchmarks print figures (tests/bench/README.md).
$(BUILD)/bench/bench_crypto: tests/bench/bench_crypto.c $(LIB) $(FIXTURES)/.done
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes $(CPPFLAGS) $(UNIT_CPPFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)
$(BUILD)/bench/bench_store: tests/bench/bench_store.c $(RELAY_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) -Wno-missing-prototypes $(CPPFLAGS) -Irelay $(LDFLAGS) -o $@ $< $(RELAY_LIB) $(LIB) $(LDLIBS)

$(BUILD)/bench/bench_floor: tests/bench/bench_floor.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< -lssl -lcrypto -lsqlite3

# The load generator (tests/bench/loadgen.c): built by `make` (all), so
# that it cannot rot, and run only by `make bench`.
LOADGEN = $(BUILD)/bench/loadgen
$(LOADGEN): tests/bench/loadgen.c $(LWS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARNINGS) $(CPPFLAGS) $(LDFLAGS) -o $@ $< $(LWS_LIB) $(LIB) $(LDLIBS)

bench: all $(BUILD)/bench/bench_crypto $(BUILD)/bench/bench_store $(BUILD)/bench/bench_floor $(LOADGEN)
	@BUILD=$(BUILD) BIN=$(BIN) DATA=$(DATA) bash tests/bench/run.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the programs, the systemd
# units, the system users, the example configurations and the
# documentation, at the paths the units name (deploy/README.md). The units
# in deploy/ name PREFIX=/usr/local and CONFDIR=/etc/kairan; other values
# are written into the installed copies. Installs what is built (it builds
# only what is out of date); never overwrites a configuration: the examples
# go to CONFDIR as *.conf.example.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/kairan
CONSOLEDIR ?= $(PREFIX)/share/kairan/console
CONFDIR ?= /etc/kairan
INSTALL ?= install
UNIT_SED = -e 's|/usr/local/bin/|$(BINDIR)/|g' \
	-e 's|/usr/local/share/doc/kairan/|$(DOCDIR)/|g' \
	-e 's|/usr/local/share/kairan/console|$(CONSOLEDIR)|g' \
	-e 's|/etc/kairan|$(CONFDIR)|g'
DOCS = README.md deploy/README.md relay/README.md node/README.md \
	certs/README.md proto/README.md proto/PROTOCOL.md
install: $(PROGS)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(CONFDIR)
	$(INSTALL) -m 0755 $(PROGS) certs/kairan-pki $(DESTDIR)$(BINDIR)/
	for u in kairan-relay kairan-node; do \
	    sed $(UNIT_SED) deploy/$$u.service >$(DESTDIR)$(UNITDIR)/$$u.service.tmp && \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service.tmp && \
	    mv $(DESTDIR)$(UNITDIR)/$$u.service.tmp $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done
	$(INSTALL) -m 0644 deploy/kairan.sysusers $(DESTDIR)$(SYSUSERSDIR)/kairan.conf
	for c in relay node; do \
	    sed $(UNIT_SED) deploy/$$c.conf.example >$(DESTDIR)$(CONFDIR)/$$c.conf.example && \
	    chmod 0644 $(DESTDIR)$(CONFDIR)/$$c.conf.example || exit 1; \
	done
	for d in $(DOCS); do \
	    $(INSTALL) -D -m 0644 $$d $(DESTDIR)$(DOCDIR)/$$d || exit 1; \
	done
	$(INSTALL) -d -m 0755 $(DESTDIR)$(CONSOLEDIR)
	$(INSTALL) -m 0644 relay/console/* $(DESTDIR)$(CONSOLEDIR)/
	@echo "installed into $(DESTDIR)$(PREFIX) (and $(DESTDIR)$(CONFDIR)); next: deploy/README.md"

clean:
	rm -rf build build-san build-tsan bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
