# analyze/module.mk: libxcanalyze (post-mortem analysis), xenclaim-analyze, its trace generator, tests' link rule and fuzz target.
#
# analyze/xca_*.c make the library (prefix xca_, header analyze/xca.h),
# analyze/cmd/xenclaim-analyze.c the program; analyze/tools/ holds the
# benchmark's trace generator and reader+replay timer (built, not
# installed).

XCA_SRCS    := $(wildcard analyze/xca_*.c)
LIB_ANALYZE := $(LIBDIR)/libxcanalyze.a
$(LIB_ANALYZE): $(call objs,$(XCA_SRCS))
LIBS        += $(LIB_ANALYZE)
$(call objs,$(XCA_SRCS)): MODCFLAGS := $(HOTOPT)
XCA_LDLIBS  := -lm

$(BIN)/xenclaim-analyze: $(OBJ)/analyze/cmd/xenclaim-analyze.o $(LIB_ANALYZE) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(XCA_LDLIBS) $(LDLIBS)
PROGS       += $(BIN)/xenclaim-analyze
MANPAGES    += analyze/xenclaim-analyze.1

# analyze/tools/NAME.c: benchmark helpers build/bin/NAME, built, not installed.
XCA_TOOLS   := $(patsubst analyze/tools/%.c,$(BIN)/%,$(wildcard analyze/tools/*.c))
$(XCA_TOOLS): $(BIN)/%: $(OBJ)/analyze/tools/%.o $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
all: $(XCA_TOOLS)

# Unit tests tests/unit/test_analyze*.c: an explicit rule for them, so
# make uses it rather than tests/module.mk's test_% pattern, links the
# analysis library before libxctrace and adds the test trace writer.
XCA_TESTS   := $(patsubst tests/unit/%.c,$(TESTBIN)/%,$(wildcard tests/unit/test_analyze*.c))
$(XCA_TESTS): $(TESTBIN)/%: $(OBJ)/tests/unit/%.o $(OBJ)/tests/lib/xct_testtrace.o \
                            $(LIB_ANALYZE) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(XCA_LDLIBS) $(LDLIBS)
TEST_LDLIBS += $(XCA_LDLIBS)

# make fuzz-analyze: the analyzer's libFuzzer target, built with clang and
# sanitizers from the sources (tests/scripts/analyze_fuzz.sh runs it).
XCA_FUZZ    := $(BUILD)/fuzz/fuzz_analyze
$(XCA_FUZZ): tests/fuzz/fuzz_analyze.c $(XCA_SRCS) $(wildcard tracepoints/xct_*.c) \
             $(wildcard analyze/*.h tracepoints/xct_*.h)
	@mkdir -p $(@D)
	clang -std=gnu11 $(WARN) -g -O1 -D_GNU_SOURCE -I. -Itracepoints \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ tests/fuzz/fuzz_analyze.c $(XCA_SRCS) \
	    $(wildcard tracepoints/xct_*.c) -lm
.PHONY: fuzz-analyze
fuzz-analyze: $(XCA_FUZZ)
