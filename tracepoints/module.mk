# tracepoints/module.mk: libxctrace (event table, codec, reader, replay, dump) and its tools.

XCT_SRCS   := $(wildcard tracepoints/*.c)
LIB_XCT    := $(LIBDIR)/libxctrace.a
$(LIB_XCT): $(call objs,$(XCT_SRCS))
LIBS       += $(LIB_XCT)
$(call objs,$(XCT_SRCS)): MODCFLAGS := $(HOTOPT)
HEADERS    += $(wildcard tracepoints/xct_*.h)

# Each tracepoints/tools/NAME.c is a program build/bin/NAME.
XCT_TOOLS  := $(patsubst tracepoints/tools/%.c,$(BIN)/%,$(wildcard tracepoints/tools/*.c))
$(XCT_TOOLS): $(BIN)/%: $(OBJ)/tracepoints/tools/%.o $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
PROGS      += $(XCT_TOOLS)
MANPAGES   += $(wildcard tracepoints/man/*.1)

# The xentrace_format rules file for our events, generated from the table
# by xenclaim-formats and installed into share/xenclaim.
XCT_FORMATS := $(BUILD)/share/xenclaim/formats
$(XCT_FORMATS): $(BIN)/xenclaim-formats
	@mkdir -p $(@D)
	$(BIN)/xenclaim-formats > $@.tmp && mv $@.tmp $@
DATAFILES  += $(XCT_FORMATS)
all: $(XCT_FORMATS)

# mktraces (tests/tools): writes the test traces the scripts check and
# times the reader; built with the tests, not installed.
XCT_MKTRACES := $(TESTBIN)/mktraces
XCT_MKTRACES_OBJS := $(call objs,tests/tools/mktraces.c tests/lib/xct_testtrace.c)
$(XCT_MKTRACES): $(XCT_MKTRACES_OBJS) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(call objs,tests/tools/mktraces.c): MODCFLAGS := -Itests/lib
TESTS      += $(XCT_MKTRACES)

# make fuzz: the reader's libFuzzer target, built with clang and sanitizers
# straight from the sources (tests/scripts/fuzz.sh runs it).
XCT_FUZZ_SRCS := tracepoints/xct_desc.c tracepoints/xct_reader.c tracepoints/xct_dump.c
XCT_FUZZ   := $(BUILD)/fuzz/fuzz_reader
$(XCT_FUZZ): tests/fuzz/fuzz_reader.c $(XCT_FUZZ_SRCS) $(wildcard tracepoints/xct_*.h)
	@mkdir -p $(@D)
	clang -std=gnu11 $(WARN) -g -O1 -D_GNU_SOURCE -I. -Itracepoints \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ tests/fuzz/fuzz_reader.c $(XCT_FUZZ_SRCS)
fuzz: $(XCT_FUZZ)

# libxctrace and its headers are installed for other consumers.
INSTALL_LIBS += $(LIB_XCT)
