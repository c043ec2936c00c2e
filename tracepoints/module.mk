# tracepoints/module.mk: libxctrace (event table, codec, reader, replay, dump) and its tools.

XCT_SRCS   := $(wildcard tracepoints/*.c)
LIB_XCT    := $(LIBDIR)/libxctrace.a
$(LIB_XCT): $(call objs,$(XCT_SRCS))
LIBS       += $(LIB_XCT)
HEADERS    += $(wildcard tracepoints/xct_*.h)

# Each tracepoints/tools/NAME.c is a program build/bin/NAME.
XCT_TOOLS  := $(patsubst tracepoints/tools/%.c,$(BIN)/%,$(wildcard tracepoints/tools/*.c))
$(XCT_TOOLS): $(BIN)/%: $(OBJ)/tracepoints/tools/%.o $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
PROGS      += $(XCT_TOOLS)
MANPAGES   += $(wildcard tracepoints/man/*.1)
