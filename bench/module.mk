# bench/module.mk: every bench/bench_NAME.c is a program build/bench/bench_NAME (see bench/run.sh).

BENCH_SRCS := $(wildcard bench/bench_*.c)
BENCHES    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
$(call objs,$(BENCH_SRCS)): MODCFLAGS := $(HV_CFLAGS) -Imock -Itests/lib

$(BUILD)/bench/bench_%: $(OBJ)/bench/bench_%.o $(LIB_MOCK) $(LIB_HV) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# hv/ without CONFIG_TRACEBUFFER: the "compiled out" baseline.
$(BUILD)/bench/bench_claim_notrace: $(OBJ)/bench/bench_claim.o $(LIB_MOCK) $(LIB_HV_NT) $(LIB_XCT)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
BENCHES    += $(BUILD)/bench/bench_claim_notrace

bench-bin: $(BENCHES)
all: $(BENCHES)
