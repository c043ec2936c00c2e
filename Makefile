# Makefile: builds xenclaim into build/ (programs in build/bin, libraries in build/lib).
#
#   make            build everything
#   make check      install missing Debian packages, build, run every test
#   make bench      run the benchmarks (figures beside their baselines)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Variants: BUILD=build/asan SAN=asan (ASan+UBSan), BUILD=build/tsan SAN=tsan.

VERSION  := 0.1.0
BUILD    ?= build
SAN      ?=
CC       ?= gcc
PREFIX   ?= /usr/local
DESTDIR  ?=

NPROC    := $(shell nproc 2>/dev/null || echo 2)
OBJ      := $(BUILD)/obj
BIN      := $(BUILD)/bin
LIBDIR   := $(BUILD)/lib
TESTBIN  := $(BUILD)/tests

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS   ?= -O2 -g
# The trace reader, the replay and the analysis handle every record of a
# trace: built with HOTOPT after CFLAGS (make HOTOPT= to leave them be).
HOTOPT   ?= -O3
XCFLAGS  := -std=gnu11 $(WARN) -fPIC -D_GNU_SOURCE -DXENCLAIM_VERSION='"$(VERSION)"' \
            -I. -Itracepoints -MMD -MP
LDLIBS   := -lpthread

ifeq ($(SAN),asan)
XCFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(SAN),tsan)
XCFLAGS  += -fsanitize=thread
LDFLAGS  += -fsanitize=thread
endif

# Filled in by the module makefiles.
LIBS     :=
PROGS    :=
TESTS    :=
MANPAGES :=
HEADERS  :=

.PHONY: all check bench install clean tests fuzz
all:

include mk/rules.mk
include tracepoints/module.mk
include hv/module.mk
include mock/module.mk
-include sources/module.mk
-include xenclaimtop/module.mk
-include exporters/module.mk
-include analyze/module.mk
include tests/module.mk
-include bench/module.mk

all: $(LIBS) $(PROGS) $(TESTS)
tests: $(TESTS)

check:
	@scripts/deps.sh check
	@echo "building (plain, ASan+UBSan, TSan); log in build/check-build.log"
	@mkdir -p build && $(MAKE) --no-print-directory -j$(NPROC) all >build/check-build.log 2>&1 || { tail -30 build/check-build.log; echo "the build failed"; echo "0 passed, 1 failed"; exit 1; }
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/asan SAN=asan tests >>build/check-build.log 2>&1 || { tail -30 build/check-build.log; echo "the build failed"; echo "0 passed, 1 failed"; exit 1; }
	@$(MAKE) --no-print-directory -j$(NPROC) BUILD=build/tsan SAN=tsan build/tsan/tests/test_tbuf build/tsan/tests/test_hv_stress build/tsan/tests/test_analyze build/tsan/tests/test_sources \
	    >>build/check-build.log 2>&1 || { tail -30 build/check-build.log; echo "the build failed"; echo "0 passed, 1 failed"; exit 1; }
	@tests/run.sh

bench:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	    $(DESTDIR)$(PREFIX)/include/xenclaim $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/xenclaim
	$(if $(PROGS),install -m 0755 $(PROGS) $(DESTDIR)$(PREFIX)/bin)
	$(if $(INSTALL_LIBS),cp -P $(INSTALL_LIBS) $(DESTDIR)$(PREFIX)/lib)
	$(if $(HEADERS),install -m 0644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/xenclaim)
	$(if $(MANPAGES),install -m 0644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(DATAFILES),install -m 0644 $(DATAFILES) $(DESTDIR)$(PREFIX)/share/xenclaim)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
