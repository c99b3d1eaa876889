# lumbung — build, test, benchmark.  See README.md.
#
#   make            build binaries into build/
#   make demo       an aggregator and three villages on loopback: sync, USB, audit, reports, API
#   make test       unit tests (cmocka) and black-box CLI tests
#   make test-asan  the same under AddressSanitizer + UBSan (build-asan/)
#   make fuzz       libFuzzer on every decoder (clang; FUZZ_SECONDS, FUZZ_TARGETS)
#   make bench      benchmarks; writes docs/PERFORMANCE.md
#   make coverage   line and branch coverage of the test suite; writes docs/COVERAGE.md
#   make mutate     disables each check in tests/mutations.txt; every one must be caught
#   make install PREFIX=/usr/local [DESTDIR=...]   binaries, man pages, units, /etc/lumbung
#   make uninstall  removes what install put (a changed configuration file stays)
#   make deb        a Debian package (tools/mkdeb.sh)
#
# Every target first runs `make deps`, which installs missing Debian
# packages, so a fresh machine needs nothing done by hand.

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKGS := lmdb msgpack libsodium libcurl jansson libmicrohttpd xlsxwriter libzstd libpq libarchive cairo fontconfig libqrencode

# pkg-config is only asked once deps has run (it may be installed by deps).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -llmdb -lmsgpackc -lsodium -lcurl -ljansson -lmicrohttpd -lxlsxwriter -lzstd -lpq -larchive -lcairo -lfontconfig -lqrencode)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# libcsv ships no pkg-config file
PKG_LIBS += -lcsv

OPT ?= -O2
SAN ?=
CFLAGS_ALL = -std=c11 -Wall -Wextra -Werror -g $(OPT) $(SAN) -D_DEFAULT_SOURCE $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

LIB_SRC := $(wildcard schema/*.c) $(filter-out node/cli%.c,$(wildcard node/*.c)) \
	$(filter-out sync/%_cli.c,$(wildcard sync/*.c)) $(filter-out agg/cli%.c agg/lumbung_main.c,$(wildcard agg/*.c)) \
	$(filter-out tools/audit/%_cli.c,$(wildcard tools/audit/*.c))
AUDIT_CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tools/audit/*_cli.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC := $(wildcard node/cli*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BINS := $(BUILD)/lumbung $(BUILD)/lumbung-agg $(BUILD)/lumbung-gen $(BUILD)/lumbung-bench \
	$(BUILD)/lumbung-bench-sync $(if $(AUDIT_CLI_OBJ),$(BUILD)/lumbung-audit) \
	$(BUILD)/lumbung-bench-audit

.PHONY: pot FORCE all deps demo vectors test test-unit test-cli test-asan bench coverage mutate install install-files uninstall deb clean fmt \
	lint fuzz fuzz-bins fuzz-corpus

all: deps
	@$(MAKE) --no-print-directory binaries

binaries: $(BINS) $(UNIT_BIN) $(BUILD)/locale/id/LC_MESSAGES/lumbung.mo $(BUILD)/v1log $(BUILD)/cutproxy $(BUILD)/forge-receipt $(BUILD)/sign-proof $(BUILD)/nfdelay \
	$(BUILD)/evil-relay $(BUILD)/shapeproxy $(BUILD)/pdf-report

deps:
	@sh tools/deps.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# Every released schema version is compiled in (schema/builtin.c).
SCHEMA_FILES := $(sort $(wildcard schema/v*.schema))
$(BUILD)/gen/schema_data.h: $(SCHEMA_FILES) tools/embed.sh
	@mkdir -p $(dir $@)
	sh tools/embed.sh $(SCHEMA_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/schema/builtin.o: schema/builtin.c $(BUILD)/gen/schema_data.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/gen -MMD -MP -c $< -o $@

# The dashboard's pages and Chart.js (libjs-chart.js) are compiled in (agg/web.c).
CHARTJS ?= /usr/share/javascript/chart.js/chart.min.js
WEB_FILES := /index.html=agg/web/index.html /assets/app.js=agg/web/app.js \
	/assets/app.css=agg/web/app.css /assets/icon.svg=agg/web/icon.svg /assets/chart.min.js=$(CHARTJS) \
	/assets/messages.js=$(BUILD)/gen/messages.js
# The dashboard's strings are t("English") in app.js; their Indonesian comes
# from the same catalogue as the programs' (po/), compiled into messages.js.
XGETTEXT_JS_FLAGS := -L JavaScript --from-code=UTF-8 --add-comments=TRANSLATORS: --no-wrap \
	--sort-by-file -kt -ktn --package-name=lumbung --msgid-bugs-address=none
$(BUILD)/gen/messages.js: agg/web/app.js $(BUILD)/locale/id/LC_MESSAGES/lumbung.mo tools/po2json.py
	xgettext $(XGETTEXT_JS_FLAGS) --force-po -o $(BUILD)/gen/web.pot agg/web/app.js
	msgmerge -q --no-fuzzy-matching -o $(BUILD)/gen/web-id.po $(BUILD)/gen/id.po $(BUILD)/gen/web.pot
	msgfmt -c -o $(BUILD)/gen/web-id.mo $(BUILD)/gen/web-id.po
	python3 tools/po2json.py id=$(BUILD)/gen/web-id.mo > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/web_data.h: $(foreach f,$(WEB_FILES),$(lastword $(subst =, ,$(f)))) tools/embed_files.sh
	@mkdir -p $(dir $@)
	sh tools/embed_files.sh $(WEB_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/agg/web.o: agg/web.c $(BUILD)/gen/web_data.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/gen -MMD -MP -c $< -o $@

# The mirror's report views (agg/mirror_views.c) are compiled in.
$(BUILD)/gen/mirror_views_data.h: agg/mirror_views.sql tools/embed_files.sh
	@mkdir -p $(dir $@)
	sh tools/embed_files.sh mirror_views.sql=agg/mirror_views.sql > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/agg/mirror_views.o: agg/mirror_views.c $(BUILD)/gen/mirror_views_data.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/gen -MMD -MP -c $< -o $@

# Messages in Indonesian (schema/i18n.h): po/id.po (and po/part-*.po while
# a piece of work is being translated) compiled next to the binaries, where
# lb_i18n_init looks first.  msgfmt -c checks every translation keeps its
# format's conversions, so a translation can never mismatch printf's args.
PO_FILES := $(sort $(wildcard po/id.po po/part-*.po))
$(BUILD)/locale/id/LC_MESSAGES/lumbung.mo: $(PO_FILES)
	@mkdir -p $(dir $@) $(BUILD)/gen
	msgcat --force-po --use-first -o $(BUILD)/gen/id.po $(PO_FILES)
	msgfmt -c -o $@ $(BUILD)/gen/id.po

# The catalogue template: every lb_fail/lb_diag_prefix format and every _()/N_() string.
XGETTEXT_FLAGS := --from-code=UTF-8 --add-comments=TRANSLATORS: --no-wrap --sort-by-file \
	-k_ -kN_ -klb_fail:3 -klb_diag_prefix:2 -klb_cli_usage_error:2 --flag=lb_fail:3:c-format \
	--flag=lb_cli_usage_error:2:c-format \
	--flag=lb_diag_prefix:2:c-format --flag=_:1:pass-c-format --flag=N_:1:pass-c-format \
	--package-name=lumbung --msgid-bugs-address=none
POT_SRC = $(sort $(wildcard schema/*.c node/*.c sync/*.c agg/*.c tools/audit/*.c tools/*.c)) agg/web/app.js
POT ?= po/lumbung.pot
pot:
	rm -f $(POT)
	$(if $(filter-out %.js,$(POT_SRC)),xgettext $(XGETTEXT_FLAGS) -o $(POT) $(filter-out %.js,$(POT_SRC)))
	$(if $(filter %.js,$(POT_SRC)),xgettext $(XGETTEXT_JS_FLAGS) $$(test -f $(POT) && echo -j) -o $(POT) $(filter %.js,$(POT_SRC)))

# One version for every program (--version): git describe at build time.
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
$(BUILD)/gen/version_gen.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define LB_VERSION "$(VERSION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/obj/schema/version.o: schema/version.c $(BUILD)/gen/version_gen.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -I$(BUILD)/gen -MMD -MP -c $< -o $@
$(BUILD)/obj/schema/i18n.o: schema/i18n.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DLB_LOCALEDIR='"$(PREFIX)/share/locale"' -MMD -MP -c $< -o $@
FORCE:

$(BUILD)/liblumbung.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# main() is agg/lumbung_main.c: `report` needs the aggregator's report engine
$(BUILD)/lumbung: $(CLI_OBJ) $(BUILD)/obj/agg/lumbung_main.o $(BUILD)/obj/agg/cli_vreport.o \
	$(BUILD)/obj/sync/push_cli.o $(BUILD)/obj/sync/rcpt_cli.o \
	$(BUILD)/obj/sync/repair_cli.o $(BUILD)/obj/sync/restore_cli.o \
	$(BUILD)/obj/sync/catalogue_cli.o \
	$(BUILD)/obj/sync/datang_cli.o \
	$(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

AGG_CLI_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out agg/cli_vreport.c,$(wildcard agg/cli*.c)))
# the node's command line (node/cli*.c) is linked in for the commands they share
$(BUILD)/lumbung-agg: $(AGG_CLI_OBJ) $(CLI_OBJ) $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/lumbung-audit: $(AUDIT_CLI_OBJ) $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/lumbung-gen: $(BUILD)/obj/tools/gen.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/lumbung-bench: $(BUILD)/obj/tools/bench_node.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# a TCP proxy that cuts or stalls connections, for the sync tests
$(BUILD)/cutproxy: $(BUILD)/obj/tests/tools/cutproxy.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^

# a TCP proxy that limits rate and adds delay, for the slow-link test and benchmark
$(BUILD)/shapeproxy: $(BUILD)/obj/tests/tools/shapeproxy.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^

# re-signs a receipt with one field changed, for the lying-aggregator test
$(BUILD)/forge-receipt: $(BUILD)/obj/tests/tools/forge_receipt.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# a village's signed proof of its key for the HTTP API, for the moves test
$(BUILD)/sign-proof: $(BUILD)/obj/tests/tools/sign_proof.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# renders a report's JSON as the printed PDF (agg/pdf.h), for the PDF test
$(BUILD)/pdf-report: $(BUILD)/obj/tests/tools/pdf_report.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# a village log under schema version 1, for the mixed-version test
$(BUILD)/v1log: $(BUILD)/obj/tests/tools/v1log.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# what a dishonest kecamatan could send, for the malicious-relay test
$(BUILD)/evil-relay: $(BUILD)/obj/tests/tools/evil_relay.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# a stamped village report, for the check-report test
binaries: $(BUILD)/stamp-report
$(BUILD)/stamp-report: $(BUILD)/obj/tests/tools/stamp_report.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

# an NFQUEUE program that delays packets, for the lossy-link test
$(BUILD)/nfdelay: $(BUILD)/obj/tests/tools/nfdelay.o
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs libnetfilter_queue 2>/dev/null || echo -lnetfilter_queue -lnfnetlink)

$(BUILD)/lumbung-bench-sync: $(BUILD)/obj/tools/bench_sync.o $(BUILD)/obj/tools/benchlib.o \
	$(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/lumbung-bench-audit: $(BUILD)/obj/tools/bench_audit.o $(BUILD)/obj/tools/benchlib.o \
	$(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/liblumbung.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# ---- fuzzing (tests/fuzz/README.md) -------------------------------------
# A target is tests/fuzz/fuzz_NAME.c with seeds in tests/fuzz/corpus/NAME/;
# nothing else to add.  `make test` replays every seed corpus through
# test_fuzz_NAME (the target linked with replay.c, any compiler); `make
# fuzz` builds fuzz_NAME with clang's libFuzzer, ASan and UBSan and runs each
# target FUZZ_SECONDS, new inputs going to FUZZ_WORK (not the repository).
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TARGETS ?= $(FUZZ_NAMES)
FUZZ_SECONDS ?= 30
FUZZ_BUILD ?= build-fuzz
FUZZ_WORK ?= $(FUZZ_BUILD)/work
FUZZ_SAN := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

binaries: $(FUZZ_NAMES:%=$(BUILD)/tests/test_fuzz_%)

$(BUILD)/obj/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DLB_FUZZ_CORPUS='"$(CURDIR)/tests/fuzz/corpus"' -MMD -MP -c $< -o $@

$(BUILD)/tests/test_fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o \
	$(BUILD)/liblumbung.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/liblumbung.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS)

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

fuzz: deps
	@sh tools/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 SAN="$(FUZZ_SAN)" \
		FUZZ_TARGETS="$(FUZZ_TARGETS)" fuzz-bins
	@sh tests/fuzz/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_WORK) $(FUZZ_TARGETS)

# Regenerate the seed corpora from real objects (review, then commit).
fuzz-corpus: all $(BUILD)/fuzz-gencorpus
	$(BUILD)/fuzz-gencorpus tests/fuzz/corpus

$(BUILD)/fuzz-gencorpus: $(BUILD)/obj/tests/fuzz/gencorpus.o $(BUILD)/liblumbung.a
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

demo: all
	@sh tools/demo.sh $(BUILD)

# The conformance vectors of docs/FORMAT.md (docs/vectors/README.md), written
# by a Python generator that uses none of our C code; tests/cli/vectors.sh
# checks the committed files are what it writes.
vectors:
	rm -f docs/vectors/*.lla docs/vectors/*.msgpack docs/vectors/vectors.json
	python3 tools/vectors.py docs/vectors

test: all
	@BUILD=$(BUILD) sh tests/run.sh

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" binaries
	@BUILD=build-asan LUMBUNG_ASAN=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh tests/run.sh

coverage: deps
	@$(MAKE) --no-print-directory BUILD=build-cov OPT=-O0 SAN=--coverage binaries
	@sh tools/coverage.sh build-cov docs/COVERAGE.md

mutate: all
	@sh tools/mutate.sh tests/mutations.txt $(MUTATE)

bench: all
	@sh tools/bench.sh $(BUILD)

# Install paths (make install PREFIX=... DESTDIR=...; make deb uses PREFIX=/usr).
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
LOCALEDIR ?= $(PREFIX)/share/locale
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INSTALL_BINS := lumbung lumbung-agg lumbung-audit lumbung-gen
UNITS := $(notdir $(wildcard dist/systemd/*.service dist/systemd/*.timer))
MAN_EN := $(notdir $(wildcard docs/*.1))
MAN_ID := $(notdir $(wildcard docs/id/*.1))
ETC_CONFS := lumbung.conf agg.conf

install: all
	@$(MAKE) --no-print-directory install-files

# What install copies, from binaries already built in $(BUILD).  The units
# name the programs where they are installed ($(BINDIR)); the configuration
# files are examples with every key explained, never written over.
install-files:
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(INSTALL_BINS:%=$(BUILD)/%) $(DESTDIR)$(BINDIR)/
	install -d $(DESTDIR)$(LOCALEDIR)/id/LC_MESSAGES
	install -m 644 $(BUILD)/locale/id/LC_MESSAGES/lumbung.mo $(DESTDIR)$(LOCALEDIR)/id/LC_MESSAGES/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/id/man1
	install -m 644 $(MAN_EN:%=docs/%) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN_ID:%=docs/id/%) $(DESTDIR)$(MANDIR)/id/man1/
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	for u in $(UNITS); do \
		sed 's|@bindir@|$(BINDIR)|g' dist/systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 644 dist/sysusers.d/lumbung.conf $(DESTDIR)$(SYSUSERSDIR)/lumbung.conf
	install -m 644 dist/tmpfiles.d/lumbung.conf $(DESTDIR)$(TMPFILESDIR)/lumbung.conf
	install -d $(DESTDIR)$(SYSCONFDIR)/lumbung
	for f in $(ETC_CONFS); do \
		if [ -e $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f ]; then echo "kept $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f"; \
		else install -m 644 dist/$$f.example $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f || exit 1; fi; \
	done

# Removes what install put; a configuration file that was changed stays.
uninstall:
	rm -f $(INSTALL_BINS:%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(DESTDIR)$(LOCALEDIR)/id/LC_MESSAGES/lumbung.mo
	rm -f $(MAN_EN:%=$(DESTDIR)$(MANDIR)/man1/%) $(MAN_ID:%=$(DESTDIR)$(MANDIR)/id/man1/%)
	rm -f $(UNITS:%=$(DESTDIR)$(UNITDIR)/%)
	rm -f $(DESTDIR)$(SYSUSERSDIR)/lumbung.conf $(DESTDIR)$(TMPFILESDIR)/lumbung.conf
	for f in $(ETC_CONFS); do \
		if cmp -s dist/$$f.example $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f; then rm -f $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f; \
		elif [ -e $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f ]; then echo "kept $(DESTDIR)$(SYSCONFDIR)/lumbung/$$f (changed)"; fi; \
	done
	rmdir $(DESTDIR)$(SYSCONFDIR)/lumbung 2>/dev/null || true

# A Debian package of the programs built in $(BUILD) (tools/mkdeb.sh): into DEBDIR.
DEBDIR ?= $(BUILD)
deb: all
	@sh tools/mkdeb.sh $(BUILD) $(DEBDIR)

fmt:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(wildcard */*.h tools/*.c tests/unit/*.c)

clean:
	rm -rf build build-asan build-cov build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
.SECONDARY:
