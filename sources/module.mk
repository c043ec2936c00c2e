# sources/module.mk: libxcsource (the xcs contract and its backends) and xenclaim-snapshot.
#
# The library is sources/*.c plus every backend folder sources/*/*.c
# except sources/tools, whose files are programs: sources/tools/NAME.c is
# build/bin/NAME.  The xenctrl backend loads libxenctrl with dlopen (no
# link-time dependency); it only needs Debian's <xenctrl.h> to build.

XCS_SRCS   := $(filter-out sources/tools/%,$(wildcard sources/*.c sources/*/*.c))
LIB_XCS    := $(LIBDIR)/libxcsource.a
$(LIB_XCS): $(call objs,$(XCS_SRCS))
LIBS       += $(LIB_XCS)
HEADERS    += sources/xcs.h

XCS_TOOLS  := $(patsubst sources/tools/%.c,$(BIN)/%,$(wildcard sources/tools/*.c))
$(XCS_TOOLS): $(BIN)/%: $(OBJ)/sources/tools/%.o $(LIB_XCS) $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
PROGS      += $(XCS_TOOLS)
MANPAGES   += $(wildcard sources/man/*.1)
