#!/bin/bash
# tests/scripts/ctl.sh: xenclaimctl against a real xenclaim-mock daemon (TAP).
#
# Starts `xenclaim-mock serve` on a private socket (2 GiB host, 256 MiB
# dom0, 14 Xen pages per domain, a 64 MiB tmem pool), drives every
# command, and checks each effect against numbers the script computes
# itself from physinfo's raw page counts and the sizes it asked for.
# Ends with boot storms: 8 parallel creates whose sum exceeds free memory.
#
# Environment: XENCLAIMCTL, XENCLAIM_MOCK override the programs' paths.

set -u
cd "$(dirname "$0")/../.."

CTL=${XENCLAIMCTL:-build/bin/xenclaimctl}
MOCK=${XENCLAIM_MOCK:-build/bin/xenclaim-mock}
XEN_PAGES=14            # --xen-pages-per-domain given to the daemon
MIB=256                 # pages per MiB

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
# check DESC EXPECTED SEEN
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}
# check_match DESC REGEX TEXT
check_match() {
    if [[ $3 =~ $2 ]]; then ok "$1"; else notok "$1: expected /$2/, got '$3'"; fi
}
# check_nomatch DESC REGEX TEXT
check_nomatch() {
    if [[ $3 =~ $2 ]]; then notok "$1: did not expect /$2/, got '$3'"; else ok "$1"; fi
}

for p in "$CTL" "$MOCK"; do
    if [ ! -x "$p" ]; then
        echo "1..0 # SKIP $p not built"
        exit 0
    fi
done

TMP=$(mktemp -d /tmp/xenclaim-ctl.XXXXXX)
S=$TMP/s
daemon_pid=
cleanup() {
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# run ARGS...: $out, $err and $rc of one xenclaimctl call on our socket.
run() {
    out=$("$CTL" -s "$S" "$@" 2>"$TMP/err")
    rc=$?
    err=$(cat "$TMP/err")
}
# pi KEY: one figure of physinfo.
pi() {
    "$CTL" -s "$S" physinfo | sed -n "s/^$1=//p"
}
# json EXPR ARGS...: evaluate a Python expression on the JSON output (j).
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1
json() {
    local expr=$1
    shift
    "$CTL" -s "$S" "$@" | python3 -c "import json,sys; j=json.load(sys.stdin); print($expr)"
}
# A domain's figure from list --json: dom_field NAME FIELD
dom_field() {
    json "[d['$2'] for d in j['domains'] if d['name'] == '$1'][0]" list --json
}
# The list without its Time(s) column, for before/after comparisons.
list_shape() {
    "$CTL" -s "$S" list | awk '{ $6 = ""; print }'
}

# ---- before the daemon: usage, help, no daemon --------------------------

commands="create destroy pause unpause rename domid domname list claims claim
populate mem-set mem-max info physinfo tmem offline online"
for c in $commands; do
    "$CTL" -s "$S" "$c" --help >"$TMP/help" 2>&1
    rc=$?
    if [ "$rc" = 0 ] && grep -q "^Usage: .* $c" "$TMP/help"; then
        ok "$c --help exits 0 with its usage"
    else
        notok "$c --help: expected exit 0 and 'Usage: ... $c', got $rc: $(head -1 "$TMP/help")"
    fi
done
"$CTL" --help >"$TMP/help"; check "--help exits 0" 0 $?
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
check "--version prints the build's version" "xenclaimctl (xenclaim) $version" "$("$CTL" -V)"

run frobnicate
check "unknown command exits 2" 2 "$rc"
check_match "unknown command names it and suggests --help" \
    "^xenclaimctl: unknown command 'frobnicate'.*--help" "$err"
run lst
check_match "a near miss suggests the command" "did you mean 'list'" "$err"
run
check "no command exits 2" 2 "$rc"
run --bogus info
check "unknown global option exits 2" 2 "$rc"

run info
check "daemon not running: exit 3" 3 "$rc"
check_match "daemon not running: says how to start it" \
    "^xenclaimctl: info: cannot reach the mock daemon at $S: (ENOENT|ECONNREFUSED).*xenclaim-mock serve --socket $S" "$err"

# Usage errors are found before the daemon is needed.
run claim 1
check "claim without PAGES exits 2" 2 "$rc"
check_match "claim without PAGES says what is missing" "claim: missing PAGES" "$err"
run claim 1 12Q
check "bad size exits 2" 2 "$rc"
check_match "bad size is named" "claim: bad PAGES '12Q'" "$err"
run claim 1 -5
check "negative PAGES exits 2" 2 "$rc"
check_match "negative PAGES is named" "negative numbers are not allowed" "$err"
run mem-set 1 -1G
check "negative SIZE exits 2" 2 "$rc"
run claim -3 100
check "negative domain id exits 2" 2 "$rc"
run claim 1 4097B
check "a size that is no whole page exits 2" 2 "$rc"
run populate 1 100 --order 9
check "populate PAGES not a multiple of the extent exits 2" 2 "$rc"
run create memory=64
check "create without name= exits 2" 2 "$rc"
run create name=x memory=64 maxmem=32
check "create with maxmem below memory exits 2" 2 "$rc"
run create --claim-mode maybe name=x memory=64
check "bad --claim-mode exits 2" 2 "$rc"
run list --nope
check "unknown command option exits 2" 2 "$rc"
check_match "unknown command option points at the command's help" \
    "list: unknown option '--nope'; see 'xenclaimctl list --help'" "$err"
printf 'name = "cfg"\n# a comment\nmemory = 64 # MiB\nmaxmem = "nope"\n' >"$TMP/bad.cfg"
run create -f "$TMP/bad.cfg"
check "bad config value exits 2" 2 "$rc"
check_match "bad config value names file and line" "bad.cfg:4: bad maxmem 'nope'" "$err"

# ---- start the daemon ---------------------------------------------------

"$MOCK" serve --socket "$S" --memory 2G --dom0-mem 256M --tmem 64M \
    --xen-pages-per-domain $XEN_PAGES --trace-area none \
    >"$TMP/daemon.log" 2>&1 &
daemon_pid=$!
ready=0
for _ in $(seq 1 400); do
    if "$CTL" -s "$S" info >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.025
done
if [ "$ready" != 1 ]; then
    notok "daemon ready: $(tail -3 "$TMP/daemon.log")"
    echo "1..$n"
    exit 1
fi
ok "daemon answers info"

total=$(pi total_pages)
check "physinfo total_pages is 2 GiB" $((2048 * MIB)) "$total"
free0=$(pi free_pages)
check "physinfo free is total minus dom0" $((2048 * MIB - 256 * MIB)) "$free0"
check "physinfo reports the daemon's Xen pages per domain" $XEN_PAGES "$(pi xen_pages_per_domain)"

# info: xl's layout, free_memory = (free - outstanding) in MiB.
run info
check "info pads keys to 23 columns" "free_memory            : " \
    "$(grep '^free_memory' <<<"$out" | cut -c1-25)"
info_free=$(sed -n 's/^free_memory *: //p' <<<"$out")
check "info free_memory = (free - outstanding) * 4 / 1024" \
    $(( ($(pi free_pages) - $(pi outstanding_pages)) * 4 / 1024 )) "$info_free"
check "info total_memory" 2048 "$(sed -n 's/^total_memory *: //p' <<<"$out")"
check "info outstanding_claims" 0 "$(sed -n 's/^outstanding_claims *: //p' <<<"$out")"

# ---- create -------------------------------------------------------------

list0=$(list_shape)
run create name=a memory=512
check "create a exits 0" 0 "$rc"
ida=$out
check_match "create prints the domid" '^[0-9]+$' "$ida"
free1=$(pi free_pages)
check "create a: free dropped by 512 MiB + Xen's pages" \
    $((free0 - 512 * MIB - XEN_PAGES)) "$free1"
check "create a: no claim left behind" 0 "$(pi outstanding_pages)"
run list
check "list shows a with 512 MiB" "a $ida 512 1 r-----" \
    "$(awk '$1 == "a" { print $1, $2, $3, $4, $5 }' <<<"$out")"
check "list header is xl's" "Name ID Mem VCPUs State Time(s)" "$(head -1 <<<"$out" | xargs)"
run claims
check "claims shows a with 0 claimed" "a $ida 512 0" \
    "$(awk '$1 == "a" { print $1, $2, $3, $7 }' <<<"$out")"
run domid a
check "domid a" "$ida" "$out"
run domname "$ida"
check "domname" a "$out"

# info again after a create.
run info
check "info free_memory after create" \
    $(( ($(pi free_pages) - $(pi outstanding_pages)) * 4 / 1024 )) \
    "$(sed -n 's/^free_memory *: //p' <<<"$out")"

# A config file, overridden on the command line; a quoted name, a list.
cat >"$TMP/b.cfg" <<'EOF'
# a guest
name = "b-from-file"
memory = 128   # MiB
maxmem = '256'
vcpus = 1
disk = [ 'phy:/dev/x,xvda,w',
         'file:/y,xvdb,r' ]
EOF
free_before=$(pi free_pages)
run create -q -f "$TMP/b.cfg" name=b memory=64M
check "create from a config file exits 0" 0 "$rc"
idb=$out
check "config: the command line's name wins" "b" "$("$CTL" -s "$S" domname "$idb")"
check "config: the command line's memory wins (64 MiB)" \
    $((free_before - 64 * MIB - XEN_PAGES)) "$(pi free_pages)"
if [ $have_python = 1 ]; then
    check "config: maxmem from the file (256 MiB)" $((256 * MIB)) "$(dom_field b max_pages)"
    check "config: tot_pages 64 MiB" $((64 * MIB)) "$(dom_field b tot_pages)"
fi

# ---- a guest larger than free memory ------------------------------------

free_before=$(pi free_pages)
list_before=$(list_shape)
big=$(( free_before / MIB + 64 ))      # MiB: more than is free
run create name=big memory=$big
check "too big, claim mode: exit 1" 1 "$rc"
check_match "too big, claim mode: fails at the claim with ENOMEM" \
    "^xenclaimctl: create d[0-9]+ 'big': claim $((big * MIB)) pages \(domain destroyed\): ENOMEM \(Cannot allocate memory\)$" "$err"
check "too big, claim mode: free unchanged" "$free_before" "$(pi free_pages)"
check "too big, claim mode: list unchanged" "$list_before" "$(list_shape)"
check "too big, claim mode: no claim left" 0 "$(pi outstanding_pages)"

run create --claim-mode off name=big memory=$big
check "too big, claim mode off: exit 1" 1 "$rc"
check_match "too big, claim mode off: fails half-way and says how far" \
    "'big': populate stopped at [0-9]+ of $((big * MIB)) pages \([0-9]+ of $big MiB; domain destroyed\): ENOMEM" "$err"
got=$(sed -n 's/.*populate stopped at \([0-9]*\) of.*/\1/p' <<<"$err")
check "too big, claim mode off: it got as far as free memory" \
    $((free_before - XEN_PAGES)) "$got"
check "too big, claim mode off: free unchanged after the destroy" "$free_before" "$(pi free_pages)"
check "too big, claim mode off: list unchanged" "$list_before" "$(list_shape)"

out=$(XENCLAIM_CLAIM_MODE=off "$CTL" -s "$S" create name=big memory=$big 2>&1)
check_match "XENCLAIM_CLAIM_MODE=off turns claim mode off" "populate stopped" "$out"
out=$(XENCLAIM_CLAIM_MODE=off "$CTL" -s "$S" create --claim-mode on name=big memory=$big 2>&1)
check_match "--claim-mode on beats the environment" "claim $((big * MIB)) pages" "$out"

# ---- claim --------------------------------------------------------------

run create name=c memory=64 maxmem=4G
idc=$out
check "create c (maxmem 4 GiB)" 0 "$rc"
# c owns 16384 pages; a target of 32768 claims 16384 more.
run claim c 32768
check "claim c 32768 exits 0" 0 "$rc"
check "claim: host outstanding = target - tot" $((32768 - 64 * MIB)) "$(pi outstanding_pages)"
run claims
check "claims shows c's claim in MiB" "c $idc 128 64" \
    "$(awk '$1 == "c" { print $1, $2, $3, $7 }' <<<"$out")"
run list
check "list Mem is current plus outstanding" 128 \
    "$(awk '$1 == "c" { print $3 }' <<<"$out")"
run info
check "info outstanding_claims in MiB" 64 "$(sed -n 's/^outstanding_claims *: //p' <<<"$out")"
check "info free_memory with a claim" \
    $(( ($(pi free_pages) - $(pi outstanding_pages)) * 4 / 1024 )) \
    "$(sed -n 's/^free_memory *: //p' <<<"$out")"
run claim c 40000
check "a second claim exits 1" 1 "$rc"
check "a second claim: EINVAL, one line" \
    "xenclaimctl: claim d$idc: 40000 pages: EINVAL (Invalid argument)" "$err"
run populate c 1024 --order 9
check "populate 2 extents of order 9" 0 "$rc"
check "populate draws the claim down" $((32768 - 64 * MIB - 1024)) "$(pi outstanding_pages)"
run claim c 0
check "claim 0 cancels" 0 "$(pi outstanding_pages)"
run claim c 1G
check "claim with a unit (1G = 262144 pages)" $((262144 - 64 * MIB - 1024)) "$(pi outstanding_pages)"
run claim c 0
free_now=$(pi free_pages)
run claim c $((free_now + 64 * MIB + 1024 + 1))
check "claim one page more than free: exit 1" 1 "$rc"
check "claim one page more than free: ENOMEM, with the errno's name and text" \
    "xenclaimctl: claim d$idc: $((free_now + 64 * MIB + 1024 + 1)) pages: ENOMEM (Cannot allocate memory)" "$err"
run claim c $((free_now + 64 * MIB + 1024))
check "claim exactly free: exit 0" 0 "$rc"
check "claim exactly free: outstanding = free" "$free_now" "$(pi outstanding_pages)"
run info
check "info free_memory is 0 with all memory claimed" 0 "$(sed -n 's/^free_memory *: //p' <<<"$out")"
run claim c 0
run claim c 100 --free-only
check "claim below tot_pages: EINVAL" 1 "$rc"

# populate with an explicit gfn, and a gfn already mapped.
tot=$(( 64 * MIB + 1024 ))
run populate c 16 --gfn 0x100000
check "populate at an explicit gfn" 0 "$rc"
run populate c 16 --gfn 0x100000
check "populate a mapped gfn: exit 1" 1 "$rc"
check_match "populate a mapped gfn: says how far it got" \
    "populate d$idc: stopped after 0 of 16 extents \(order 0\) at gfn 0x100000" "$err"

# ---- mem-set, mem-max, pause, rename ------------------------------------

run mem-set c 32
check "mem-set c 32 exits 0" 0 "$rc"
if [ $have_python = 1 ]; then
    check "mem-set: tot_pages is 32 MiB" $((32 * MIB)) "$(dom_field c tot_pages)"
fi
run list
check "mem-set: list shows 32" 32 "$(awk '$1 == "c" { print $3 }' <<<"$out")"
run mem-max c 128M
if [ $have_python = 1 ]; then
    check "mem-max: max_pages is 128 MiB" $((128 * MIB)) "$(dom_field c max_pages)"
fi
run mem-set c 256
check "mem-set above max: exit 1" 1 "$rc"
check_match "mem-set above max: ENOMEM" "mem-set d$idc: to 256 MiB \(65536 pages\): ENOMEM" "$err"
run mem-set c 32
run pause c
run list
check "pause: state --p---" "--p---" "$(awk '$1 == "c" { print $5 }' <<<"$out")"
run unpause c
run list
check "unpause: state r-----" "r-----" "$(awk '$1 == "c" { print $5 }' <<<"$out")"
run create -p name=pz memory=16
idp=$out
run list
check "create -p leaves it paused" "--p---" "$(awk '$1 == "pz" { print $5 }' <<<"$out")"
run rename pz pz2
run domid pz2
check "rename" "$idp" "$out"
run rename pz2 a
check "rename to a taken name: exit 1" 1 "$rc"
check_match "rename to a taken name: EEXIST" "EEXIST" "$err"
run destroy pz2
check "destroy by name" 0 "$rc"

# ---- unknown domains, --as ----------------------------------------------

run destroy nosuch
check "unknown name: exit 1" 1 "$rc"
check "unknown name: message" \
    "xenclaimctl: destroy 'nosuch': no such domain: ESRCH (No such process)" "$err"
run claim 7777 100
check "unknown id: exit 1" 1 "$rc"
check "unknown id: message" \
    "xenclaimctl: claim d7777: no such domain: ESRCH (No such process)" "$err"
run domname 7777
check "domname of an unknown id: exit 1" 1 "$rc"

out=$("$CTL" -s "$S" --as "$ida" claim "$idc" 50000 2>&1)
rc=$?
check "--as: claim on another domain exits 1" 1 "$rc"
check_match "--as: EPERM" "claim d$idc: 50000 pages: EPERM \(Operation not permitted\)" "$out"
out=$("$CTL" -s "$S" --as "$ida" info 2>&1)
check_match "--as: info is EPERM" "EPERM" "$out"
out=$("$CTL" -s "$S" --as "$ida" create name=z memory=16 2>&1)
check_match "--as: create is EPERM" "create 'z': create the domain: EPERM" "$out"
out=$("$CTL" -s "$S" --as "$ida" list 2>&1)
check "--as: list shows only itself" "a" "$(awk 'NR > 1 { print $1 }' <<<"$out")"
out=$("$CTL" -s "$S" --as 7777 list 2>&1)
rc=$?
check "--as an unknown domain: exit 1" 1 "$rc"

# ---- tmem, offline ------------------------------------------------------

free_before=$(pi free_pages)
run tmem put 1000
check "tmem put 1000 exits 0" 0 "$rc"
check "tmem put: freeable +1000" 1000 "$(pi freeable_pages)"
check "tmem put: free -1000" $((free_before - 1000)) "$(pi free_pages)"
run info
check "info tmem_freeable_memory" $((1000 / MIB)) "$(sed -n 's/^tmem_freeable_memory *: //p' <<<"$out")"
run tmem flush 1000
check "tmem flush: freeable back to 0" 0 "$(pi freeable_pages)"
check "tmem flush: free back" "$free_before" "$(pi free_pages)"
run tmem put 64M
run tmem put 1
check "tmem put beyond the pool: exit 1" 1 "$rc"
run tmem flush 16384
run tmem drop 1
check "tmem with an unknown action: exit 2" 2 "$rc"


# ---- JSON ---------------------------------------------------------------

if [ $have_python = 1 ]; then
    check "info --json free_memory_pages = free - outstanding" \
        $(( $(pi free_pages) - $(pi outstanding_pages) )) \
        "$(json "j['free_memory_pages']" info --json)"
    check "info --json total_memory_bytes" $((total * 4096)) \
        "$(json "j['total_memory_bytes']" info --json)"
    check "list --json has as many domains as list" \
        $(( $("$CTL" -s "$S" list | wc -l) - 1 )) "$(json "len(j['domains'])" list --json)"
    run claim c 20000
    check "claims --json total = physinfo outstanding" "$(pi outstanding_pages)" \
        "$(json "j['outstanding_claims_pages']" claims --json)"
    check "claims --json per domain in bytes" $(( (20000 - 32 * MIB) * 4096 )) \
        "$(json "[d['outstanding_bytes'] for d in j['domains'] if d['name'] == 'c'][0]" claims --json)"
    run claim c 0
else
    ok "# SKIP JSON checks: no python3"
fi

# ---- progress line: on a terminal only ----------------------------------

if command -v script >/dev/null 2>&1; then
    script -qec "$CTL -s $S create name=tty memory=512" /dev/null >"$TMP/tty.out" 2>&1
    check_match "progress line on a terminal" "tty.: [0-9]+/131072 pages \([0-9]+/512 MiB\)" \
        "$(tr '\r' '\n' <"$TMP/tty.out")"
    run destroy tty
    run create name=pipe memory=512
    check "no progress when stderr is not a terminal" "" "$err"
    run destroy pipe
fi

# ---- destroy everything: memory comes back ------------------------------

for d in a b c; do run destroy $d; done
check "after destroying all guests, free is back" "$free0" "$(pi free_pages)"
check "after destroying all guests, list is back" "$list0" "$(list_shape)"

# ---- offline, online (the heap hands out low frames first) ------------

free_before=$(pi free_pages)
run offline --any 3
check "offline --any 3 prints 3" 3 "$out"
check "offline: offline_pages 3" 3 "$(pi offline_pages)"
check "offline: free -3" $((free_before - 3)) "$(pi free_pages)"
# Bring them back: try frames from the top down (the ones --any takes).
back=0; first_back=
for k in $(seq 1 4096); do
    if "$CTL" -s "$S" online $((total - k)) 2>/dev/null; then
        back=$((back + 1)); first_back=${first_back:-$((total - k))}
        [ $back = 3 ] && break
    fi
done
check "online: the 3 frames came back" "3:0" "$back:$(pi offline_pages)"
check "online: free back" "$free_before" "$(pi free_pages)"
run online "$first_back"
check "online a frame that is not offline: exit 1" 1 "$rc"
run offline 0x$(printf %x "$first_back")
check "offline a free frame by hex mfn" "0:1" "$rc:$(pi offline_pages)"
run online "$first_back"
run offline 0
check "offline a frame in use (dom0's first): exit 1" 1 "$rc"
check_match "offline a frame in use: EBUSY" "offline: mfn 0x0: EBUSY" "$err"
check "no frame left offline" 0 "$(pi offline_pages)"

# ---- a fragmented heap: superpages fail, order-0 pages fill in ----------

# One frame offline in each of the top 64 2 MiB blocks leaves 64 blocks
# that can serve no superpage; a guest 32 MiB larger than the intact
# blocks must fall back to 4 KiB pages there.
F=$(pi free_pages)
for i in $(seq 0 63); do "$CTL" -s "$S" offline $((total - 1 - 512 * i)); done
check "fragmenting: 64 frames offline" 64 "$(pi offline_pages)"
gmib=$(( (F - 64 * 512) / MIB + 32 ))
run create -v name=frag memory=$gmib
check "fragmented heap: create succeeds" 0 "$rc"
stats=$(sed -n 's/.*populated \([0-9]*\) pages: \([0-9]*\) 2 MiB extents, \([0-9]*\) 4 KiB pages, \([0-9]*\) superpage misses.*/\1 \2 \3 \4/p' <<<"$err")
read -r pop sp small misses <<<"$stats"
check "fragmented heap: every page populated" $((gmib * MIB)) "${pop:-}"
check "fragmented heap: extents add up" $((gmib * MIB)) "$(( ${sp:-0} * 512 + ${small:-0} ))"
if [ "${misses:-0}" -ge 1 ] && [ "${small:-0}" -ge $((32 * MIB)) ]; then
    ok "fragmented heap: superpages missed ($misses), $small 4 KiB pages filled in"
else
    notok "fragmented heap: expected >= 1 miss and >= $((32 * MIB)) small pages, got '$stats'"
fi
check "fragmented heap: free dropped by the guest + Xen pages" \
    $((F - 64 - gmib * MIB - XEN_PAGES)) "$(pi free_pages)"
run destroy frag
for i in $(seq 0 63); do "$CTL" -s "$S" online $((total - 1 - 512 * i)); done
check "fragmenting undone" "0:$F" "$(pi offline_pages):$(pi free_pages)"

# ---- boot storm ---------------------------------------------------------

# storm MODE: 8 parallel creates of G pages each; G chosen so that exactly
# k = 3 fit in free memory with a margin larger than every in-flight
# domain's Xen pages, and a fourth does not.
storm() {
    local mode=$1 i pids=
    F=$(pi free_pages)
    G=$(( F * 2 / 7 / MIB ))            # MiB
    K=$(( F / (G * MIB + XEN_PAGES) ))
    rm -f "$TMP"/storm.*
    for i in 1 2 3 4 5 6 7 8; do
        ( "$CTL" -s "$S" create -q --claim-mode "$mode" name=s$i memory=$G \
            >"$TMP/storm.$i.out" 2>"$TMP/storm.$i.err"
          echo $? >"$TMP/storm.$i.rc" ) &
        pids="$pids $!"
    done
    wait $pids          # not a bare wait: the daemon is a child too
    succ=0; at_claim=0; half=0; other=0
    for i in 1 2 3 4 5 6 7 8; do
        case "$(cat "$TMP/storm.$i.rc"):$(cat "$TMP/storm.$i.err")" in
        0:) succ=$((succ + 1)) ;;
        1:*"claim $((G * MIB)) pages (domain destroyed): ENOMEM"*|\
        1:*"create the domain: ENOMEM"*) at_claim=$((at_claim + 1)) ;;
        1:*"populate stopped"*"domain destroyed"*) half=$((half + 1)) ;;
        *) other=$((other + 1)); echo "# s$i: $(cat "$TMP/storm.$i.rc"): $(cat "$TMP/storm.$i.err")" ;;
        esac
    done
}

# "COUNT:ALL_COMPLETE:OUTSTANDING" of the storm's guests, from list --json.
storm_state() {
    json "(lambda g: '%d:%s:%d' % (len(g), all(d['tot_pages'] == $((G * MIB)) for d in g), sum(d['outstanding_pages'] for d in j['domains'])))([d for d in j['domains'] if d['name'] in ['s%d' % i for i in range(1, 9)]])" list --json
}

storm on
margin=$(( F - K * (G * MIB + XEN_PAGES) ))
if [ "$K" = 3 ] && [ $margin -ge $((8 * XEN_PAGES)) ] && [ $margin -lt $((G * MIB)) ]; then
    ok "storm sizes: $G MiB x 8 on $((F / MIB)) MiB free, 3 fit (margin $margin pages)"
else
    notok "storm sizes: expected 3 to fit with a margin, got K=$K margin=$margin"
fi
check "claim mode storm: exactly the guests that fit succeed" "$K" "$succ"
check "claim mode storm: the others fail at the claim" $((8 - K)) "$at_claim"
check "claim mode storm: nothing fails half-way" 0 "$half"
check "claim mode storm: no other outcome" 0 "$other"
if [ $have_python = 1 ]; then
    check "claim mode storm: every listed guest has exactly its memory" \
        "$succ:True:0" "$(storm_state)"
fi
check "claim mode storm: free = before - succeeded * (guest + Xen pages)" \
    $(( F - succ * (G * MIB + XEN_PAGES) )) "$(pi free_pages)"
check "claim mode storm: no claim left" 0 "$(pi outstanding_pages)"
for i in 1 2 3 4 5 6 7 8; do "$CTL" -s "$S" destroy s$i 2>/dev/null; done
check "claim mode storm: all memory back" "$F" "$(pi free_pages)"

# Without claims the same storm may leave half-built failures; they are
# destroyed, so the end state must still add up.
storm off
echo "# claim mode off storm: $succ succeeded, $half failed half-way, $at_claim failed early"
check "claim-off storm: every failure is reported and cleaned up" 0 "$other"
check "claim-off storm: free = before - succeeded * (guest + Xen pages)" \
    $(( F - succ * (G * MIB + XEN_PAGES) )) "$(pi free_pages)"
if [ $have_python = 1 ]; then
    check "claim-off storm: every listed guest has exactly its memory" \
        "$succ:True:0" "$(storm_state)"
fi
for i in 1 2 3 4 5 6 7 8; do "$CTL" -s "$S" destroy s$i 2>/dev/null; done
check "claim-off storm: all memory back" "$F" "$(pi free_pages)"

# ---- the daemon goes away -----------------------------------------------

kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
run list
check "daemon gone: exit 3" 3 "$rc"

echo "1..$n"
[ "$fails" = 0 ]
