# tests/module.mk: every tests/unit/test_NAME.c is a cmocka program build/tests/test_NAME.

TEST_SRCS  := $(wildcard tests/unit/test_*.c)
TEST_LIBS  = $(LIB_XCS) $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
TESTS      += $(patsubst tests/unit/%.c,$(TESTBIN)/%,$(TEST_SRCS))
TEST_HELPERS := $(call objs,$(wildcard tests/lib/*.c))

$(TESTBIN)/test_%: $(OBJ)/tests/unit/test_%.o $(TEST_HELPERS) $(TEST_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(TEST_LDLIBS) $(LDLIBS)
$(call objs,$(TEST_SRCS) $(wildcard tests/lib/*.c)): MODCFLAGS := -Imock -Itests/lib
# The reference model (tests/model) is linked into every test program; the hv tests see hv/'s headers.
$(patsubst tests/unit/%.c,$(TESTBIN)/%,$(TEST_SRCS)): $(call objs,$(wildcard tests/model/*.c))
$(call objs,$(wildcard tests/unit/test_hv_*.c)): MODCFLAGS += $(HV_CFLAGS)
TEST_LIBS := $(LIB_ANALYZE) $(TEST_LIBS)
