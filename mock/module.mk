# mock/module.mk: libxcmock (heap, trace buffers, hv host glue) and the mock's programs.
#
# Library code lives in mock/heap, mock/tbuf and mock/hvhost; every folder
# mock/cmd/NAME/ holds the sources of one program, build/bin/NAME.

MOCK_SRCS  := $(wildcard mock/heap/*.c mock/tbuf/*.c mock/hvhost/*.c mock/hyp/*.c mock/proto/*.c mock/scenario/*.c)
LIB_MOCK   := $(LIBDIR)/libxcmock.a
$(LIB_MOCK): $(call objs,$(MOCK_SRCS))
LIBS       += $(LIB_MOCK)
$(call objs,$(wildcard mock/hvhost/*.c mock/hyp/*.c)): MODCFLAGS := $(HV_CFLAGS) -DCONFIG_TRACEBUFFER -Imock

MOCK_CMDS  := $(notdir $(wildcard mock/cmd/*))
define mock_cmd_rule
$(BIN)/$(1): $(call objs,$(wildcard mock/cmd/$(1)/*.c)) $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$(LDLIBS_$(1))
$(call objs,$(wildcard mock/cmd/$(1)/*.c)): MODCFLAGS := -Imock
$(if $(filter %-selftest %-bench xenclaim-scenario,$(1)),NOINST_PROGS,PROGS) += $(BIN)/$(1)
endef
$(foreach c,$(MOCK_CMDS),$(eval $(call mock_cmd_rule,$(c))))
MANPAGES   += $(wildcard mock/man/*.1)
all: $(NOINST_PROGS)

# The libxenctrl-compatible library has rules of its own.
-include mock/libxc/module.mk
