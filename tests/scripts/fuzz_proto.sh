#!/bin/bash
# tests/scripts/fuzz_proto.sh: build the protocol decoders' libFuzzer target with clang and run it 20 s on a seed corpus; TAP output.
#
# The target (tests/fuzz/fuzz_proto.c) is compiled straight from the
# sources with -fsanitize=fuzzer,address,undefined.  Seeds: one valid
# message per op, written here by hand.  A crash, a sanitizer report or a
# failed round-trip check is "not ok".  FUZZ_SECONDS overrides 20.
set -u
cd "$(dirname "$0")/../.."
n=0
bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }

seconds=${FUZZ_SECONDS:-20}
dir=build/fuzz-proto
fuzzer=$dir/fuzz_proto
seeds=$dir/seeds
work=$dir/work
log=$dir/fuzz.log
mkdir -p "$dir"

if ! command -v clang >/dev/null 2>&1; then
    echo "ok 1 # SKIP clang is not installed"
    echo "1..1"
    exit 0
fi

srcs="tests/fuzz/fuzz_proto.c mock/proto/xcm_proto.c"
if clang -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter \
    -g -O1 -D_GNU_SOURCE -I. -Imock \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -o "$fuzzer" $srcs >"$dir/build.log" 2>&1; then
    ok "fuzz_proto builds"
else
    nok "fuzz_proto builds: expected success, got: $(tail -3 "$dir/build.log" | tr '\n' ' ')"
    echo "1..$n"
    exit 1
fi

# Seeds: mode byte 0 (request) + a valid request of each op; mode byte 1
# + request selector + a valid reply for a few ops.
rm -rf "$seeds"
mkdir -p "$seeds" "$work"
python3 - "$seeds" <<'EOF'
import struct, sys, os
d = sys.argv[1]
def req(op, payload, seq=1, act=0):
    return b'\0' + struct.pack('<IHHIII', 0x51434d58, 1, op, seq, act,
                               len(payload)) + payload
name = lambda s: s.encode() + b'\0' * (64 - len(s))
seeds = {
    'hello': req(1, b''), 'ping': req(2, b''),
    'trace': req(3, struct.pack('<I', 1)), 'physinfo': req(4, b''),
    'create': req(5, struct.pack('<I', 0) + name('vm1')),
    'destroy': req(6, struct.pack('<I', 3)),
    'setmaxmem': req(7, struct.pack('<IIQ', 3, 0, 1 << 20)),
    'pause': req(8, struct.pack('<II', 3, 1)),
    'rename': req(9, struct.pack('<I', 3) + name('vm2')),
    'getinfo': req(10, struct.pack('<II', 0, 256)),
    'lookup': req(11, name('Domain-0')),
    'claim': req(12, struct.pack('<IIQ', 3, 0, 4096)),
    'populate': req(13, struct.pack('<IIIIII', 3, 0, 0, 3, 1, 0) +
                    struct.pack('<QQQ', 0, 1, 2)),
    'decrease': req(14, struct.pack('<IIII', 3, 9, 1, 0) +
                    struct.pack('<Q', 512)),
    'target': req(15, struct.pack('<IIQ', 3, 0, 100)),
    'tmem_put': req(16, struct.pack('<Q', 5)),
    'offline': req(18, struct.pack('<Q', 1234)),
    # Replies: mode 1, selector (op = 1 + b0 % 20, count = b1 % 8).
    'rep_ping': b'\x01\x01\x00' + struct.pack('<IIiI', 0x52434d58, 0, 0, 0),
    'rep_create': b'\x01\x04\x00' + struct.pack('<IIiII', 0x52434d58, 0, 0,
                                                4, 7),
    'rep_populate': b'\x01\x0c\x82' + struct.pack('<IIiIQQ', 0x52434d58, 0,
                                                  2, 16, 5, 6),
    'rep_err': b'\x01\x0b\x00' + struct.pack('<IIiI', 0x52434d58, 0, -12, 0),
}
for k, v in seeds.items():
    with open(os.path.join(d, k), 'wb') as f:
        f.write(v)
EOF
check_seeds=$(ls "$seeds" | wc -l)
if [ "$check_seeds" -ge 20 ]; then ok "seed corpus written ($check_seeds files)"
else nok "seed corpus: expected >= 20 files, got $check_seeds"; fi

"$fuzzer" -max_total_time="$seconds" -max_len=66000 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/" \
    "$work" "$seeds" >"$log" 2>&1
rc=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
if [ "$rc" -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
    ok "fuzz_proto ran ${seconds}s: $runs inputs, no crash"
else
    nok "fuzz_proto ${seconds}s: expected exit 0 and some runs, got exit $rc, runs '${runs:-none}': $(grep -E 'ERROR|check failed|SUMMARY|Test unit written' "$log" | head -4 | tr '\n' ' ')"
fi
echo "1..$n"
exit $bad
