# xenclaimtop/module.mk: xenclaimtop (build/bin/xenclaimtop), its unit tests (test_top), bench trace writer and man page.
#
# xenclaimtop/*.c are the program's modules (main.c holds main());
# xenclaimtop/tests/test_top.c tests the modules without a terminal and
# runs in tests/run.sh like every build/tests/test_*; top-mktrace writes
# the large traces bench/run.d/top.sh replays.  Everything is built only
# once sources/module.mk provides the xcs library.

TOP_SRCS    := $(filter-out xenclaimtop/main.c,$(wildcard xenclaimtop/*.c))
TOP_OBJS    := $(call objs,$(TOP_SRCS))
TOP_CURSES  := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
TOP_LDLIBS  := $(TOP_CURSES) -ldl -lpthread
TOP_LIBS     = $(LIB_XCS) $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)

$(call objs,$(wildcard xenclaimtop/*.c xenclaimtop/tests/*.c)): MODCFLAGS := -Ixenclaimtop -Itests/lib

ifneq ($(LIB_XCS),)
$(BIN)/xenclaimtop: $(OBJ)/xenclaimtop/main.o $(TOP_OBJS) $(TOP_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(TOP_LDLIBS) $(LDLIBS)
PROGS       += $(BIN)/xenclaimtop
MANPAGES    += xenclaimtop/xenclaimtop.1

$(TESTBIN)/test_top: $(OBJ)/xenclaimtop/tests/test_top.o $(OBJ)/tests/lib/xct_testtrace.o $(TOP_OBJS) $(TOP_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(TOP_LDLIBS) $(LDLIBS)
TESTS       += $(TESTBIN)/test_top

$(TESTBIN)/top-mktrace: $(OBJ)/xenclaimtop/tests/top_mktrace.o $(OBJ)/tests/lib/xct_testtrace.o $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
TESTS       += $(TESTBIN)/top-mktrace
endif
