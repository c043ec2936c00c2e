# exporters/module.mk: libxcexport (metric sets, renderers, remote write, event stream), xenclaim-exporter and xenclaim-events-dump.
#
# The .proto files in exporters/proto are compiled by protoc-c at build
# time into build/gen/exporters/proto (shared by every build variant:
# generated code does not depend on the sanitizer flags) and their C is
# part of libxcexport.  The library needs only libprotobuf-c and
# libsnappy; the HTTP server (libmicrohttpd) and the remote-write client
# (libcurl) live in the exporter's own folder.

XCE_GEN      := build/gen/exporters/proto
XCE_PROTOS   := $(wildcard exporters/proto/*.proto)
XCE_GEN_SRCS := $(patsubst exporters/proto/%.proto,$(XCE_GEN)/%.pb-c.c,$(XCE_PROTOS))
XCE_GEN_HDRS := $(XCE_GEN_SRCS:.c=.h)

$(XCE_GEN)/%.pb-c.c $(XCE_GEN)/%.pb-c.h: exporters/proto/%.proto
	@mkdir -p $(XCE_GEN)
	protoc-c --c_out=$(XCE_GEN) -Iexporters/proto $<

# Keep the generated files (make would delete them as intermediates).
.SECONDARY: $(XCE_GEN_SRCS) $(XCE_GEN_HDRS)

XCE_CFLAGS   := -Iexporters/lib -I$(XCE_GEN)
XCE_LIB_SRCS := $(wildcard exporters/lib/*.c)
LIB_EXPORT   := $(LIBDIR)/libxcexport.a
$(LIB_EXPORT): $(call objs,$(XCE_LIB_SRCS) $(XCE_GEN_SRCS))
LIBS         += $(LIB_EXPORT)
XCE_LDLIBS   := -lprotobuf-c -lsnappy

$(call objs,$(XCE_LIB_SRCS)): MODCFLAGS := $(XCE_CFLAGS)
$(call objs,$(XCE_LIB_SRCS)): | $(XCE_GEN_HDRS)
# protoc-c's output is not ours to fix: no -Werror, no unused warnings.
$(call objs,$(XCE_GEN_SRCS)): MODCFLAGS := $(XCE_CFLAGS) -Wno-error -Wno-unused

# Programs: every exporters/cmd/NAME/ is build/bin/NAME.  The exporter
# needs the sources library (libxcsource), which sources/module.mk
# defines; until it exists only the dump tool is built.
XCE_CMD_CFLAGS := $(XCE_CFLAGS) -Iexporters/cmd/xenclaim-exporter

XCE_DUMP     := $(BIN)/xenclaim-events-dump
XCE_DUMP_OBJS := $(call objs,$(wildcard exporters/cmd/xenclaim-events-dump/*.c))
$(XCE_DUMP): $(XCE_DUMP_OBJS) $(LIB_EXPORT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XCE_LDLIBS) $(LDLIBS)
$(XCE_DUMP_OBJS): MODCFLAGS := $(XCE_CFLAGS)
$(XCE_DUMP_OBJS): | $(XCE_GEN_HDRS)
PROGS        += $(XCE_DUMP)

XCE_EXPORTER := $(BIN)/xenclaim-exporter
XCE_EXP_OBJS := $(call objs,$(wildcard exporters/cmd/xenclaim-exporter/*.c))
$(XCE_EXP_OBJS): MODCFLAGS := $(XCE_CMD_CFLAGS)
$(XCE_EXP_OBJS): | $(XCE_GEN_HDRS)
ifneq ($(LIB_XCS),)
$(XCE_EXPORTER): $(XCE_EXP_OBJS) $(LIB_EXPORT) $(LIB_XCS) $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmicrohttpd -lcurl $(XCE_LDLIBS) $(LDLIBS_XCS) $(LDLIBS)
PROGS        += $(XCE_EXPORTER)
endif

MANPAGES     += $(wildcard exporters/*.1)
# The event stream's schema, for readers in other languages.
DATAFILES    += exporters/proto/xcev.proto

# Unit tests (tests/unit/test_exporter_*.c): the library, its libraries
# and the generated headers (included as build/gen/exporters/proto/...).
XCE_UNIT     := $(patsubst tests/unit/%.c,$(TESTBIN)/%,$(wildcard tests/unit/test_exporter_*.c))
$(XCE_UNIT): $(LIB_EXPORT)
$(call objs,$(wildcard tests/unit/test_exporter_*.c)): | $(XCE_GEN_HDRS)
TEST_LDLIBS  += $(XCE_LDLIBS)

# The render benchmark (bench/run.d/exporter.sh runs it).
XCE_BENCH    := $(BUILD)/bench/exporter_bench
XCE_BENCH_OBJS := $(call objs,exporters/bench/exporter_bench.c)
$(XCE_BENCH): $(XCE_BENCH_OBJS) $(LIB_EXPORT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XCE_LDLIBS) $(LDLIBS)
$(XCE_BENCH_OBJS): MODCFLAGS := $(XCE_CFLAGS)
$(XCE_BENCH_OBJS): | $(XCE_GEN_HDRS)
all: $(XCE_BENCH)

# Test helpers: a remote-write receiver that answers what it is told
# (tests/scripts/exporter_*.sh); built with the tests, not installed.
XCE_RW_SINK  := $(TESTBIN)/xce-rw-sink
XCE_RW_SINK_OBJS := $(call objs,exporters/tests/rw_sink.c)
$(XCE_RW_SINK): $(XCE_RW_SINK_OBJS) $(LIB_EXPORT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmicrohttpd $(XCE_LDLIBS) $(LDLIBS)
$(XCE_RW_SINK_OBJS): MODCFLAGS := $(XCE_CFLAGS)
$(XCE_RW_SINK_OBJS): | $(XCE_GEN_HDRS)
TESTS        += $(XCE_RW_SINK)
