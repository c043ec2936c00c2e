# mock/libxc/module.mk: libxenctrl.so.4.17, a libxenctrl-compatible library over the mock daemon.
# SPDX-License-Identifier: LGPL-2.1-only
#
# Programs linked against Debian's libxenctrl (libxen-dev 4.17) run against
# the mock with LD_LIBRARY_PATH=build/lib.  The library is built from
# mock/libxc/*.c plus the xcm client objects of mock/proto (not the whole
# libxcmock.a, which also holds the hypervisor host code), with Debian's
# SONAME and symbol version node.  It is not installed by `make install`:
# in $(PREFIX)/lib it would shadow the real libxenctrl of a Xen host.

LIBXC_SRCS   := $(wildcard mock/libxc/*.c)
LIBXC_OBJS   := $(call objs,$(LIBXC_SRCS))
LIBXC_DEPS   := $(call objs,$(wildcard mock/proto/*.c))
LIBXC_MAP    := mock/libxc/libxenctrl.map
LIBXC_SONAME := libxenctrl.so.4.17
LIBXC_SO     := $(LIBDIR)/$(LIBXC_SONAME)
LIBXC_LINK   := $(LIBDIR)/libxenctrl.so

$(LIBXC_OBJS): MODCFLAGS := -fvisibility=hidden

$(LIBXC_SO): $(LIBXC_OBJS) $(LIBXC_DEPS) $(LIBXC_MAP)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -shared -fPIC -Wl,-soname,$(LIBXC_SONAME) \
	    -Wl,--version-script=$(LIBXC_MAP) -Wl,--no-undefined -Wl,-z,defs \
	    -o $@ $(filter %.o,$^) $(LDLIBS)

$(LIBXC_LINK): $(LIBXC_SO)
	ln -sfn $(LIBXC_SONAME) $@

LIBS += $(LIBXC_SO) $(LIBXC_LINK)
