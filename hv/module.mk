# hv/module.mk: the hypervisor claim code, compiled for userspace through mock/hvhost.
#
# hv/ is built three ways: with tracing (the default, libxchv.a), and for the
# benchmark without CONFIG_TRACEBUFFER (libxchv-notrace.a).

HV_SRCS    := $(wildcard hv/*.c)
HV_CFLAGS  := -Imock/hvhost/include -include mock/hvhost/include/xen/config.h
LIB_HV     := $(LIBDIR)/libxchv.a
$(LIB_HV): $(call objs,$(HV_SRCS))
$(call objs,$(HV_SRCS)): MODCFLAGS := $(HV_CFLAGS) -DCONFIG_TRACEBUFFER
LIBS       += $(LIB_HV)

HV_NT_OBJS := $(patsubst %.c,$(OBJ)/hv-notrace/%.o,$(HV_SRCS))
$(OBJ)/hv-notrace/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(XCFLAGS) $(CFLAGS) $(HV_CFLAGS) -c $< -o $@
LIB_HV_NT  := $(LIBDIR)/libxchv-notrace.a
$(LIB_HV_NT): $(HV_NT_OBJS)
LIBS       += $(LIB_HV_NT)
