# tests/module.mk: every tests/unit/test_NAME.c is a cmocka program build/tests/test_NAME.

TEST_SRCS  := $(wildcard tests/unit/test_*.c)
TEST_LIBS  = $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
TESTS      += $(patsubst tests/unit/%.c,$(TESTBIN)/%,$(TEST_SRCS))
TEST_HELPERS := $(call objs,$(wildcard tests/lib/*.c))

$(TESTBIN)/test_%: $(OBJ)/tests/unit/test_%.o $(TEST_HELPERS) $(TEST_LIBS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)
$(call objs,$(TEST_SRCS) $(wildcard tests/lib/*.c)): MODCFLAGS := -Imock -Itests/lib
