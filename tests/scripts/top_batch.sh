#!/bin/bash
# tests/scripts/top_batch.sh: xenclaimtop's batch mode (text, CSV, JSON lines) against a private mock, every figure checked against the daemon's own (TAP).
#
# Figures come from xenclaimctl physinfo and list --json and from the
# script's own arithmetic (headroom, shares, MiB).  Also: frame count and
# pacing, SIGTERM/SIGINT, a daemon that dies and comes back, no daemon,
# bad usage, no terminal.

set -u
cd "$(dirname "$0")/../.."
. xenclaimtop/tests/lib.sh
need "$TOP" "$MOCK" "$CTL"

start_mock -m 4G -n 2 --tmem 256M -S 256 -c 2
ctl create name=alpha memory=64 maxmem=1024 -p -q >/dev/null
ctl create name='be,ta' memory=32 maxmem=1024 -p -q >/dev/null
ctl create name=gamma memory=16 maxmem=2048 -p -q >/dev/null
ctl claim alpha 50000 >/dev/null
ctl claim gamma 100000 >/dev/null
ctl tmem put 3000 >/dev/null

# ---- CSV in pages ---------------------------------------------------------
"$TOP" -s "$T/s" --csv -u pages -i 3 -d 0.25 >"$T/csv" 2>"$T/err"
check "--csv -i 3 exits 0" "0" "$?"
hdr=$(head -1 "$T/csv")
check_match "the header names units" '^frame,wall_time_s,source_time_s,state,kind,domid,name,tot_pages,max_pages,claim_pages,' "$hdr"
nf=$(head -1 "$T/csv" | awk -F, '{ print NF }')
# Fields per line, counting a quoted comma once.
bad=$(tail -n +2 "$T/csv" | sed 's/"[^"]*"/q/g' | awk -F, -v nf="$nf" 'NF != nf' | wc -l)
check "every CSV line has the header's $nf fields" "0" "$bad"
check "three frames" "1 2 3 " "$(tail -n +2 "$T/csv" | cut -d, -f1 | uniq | tr '\n' ' ')"
t1=$(awk -F, '$1 == 1 { print $2; exit }' "$T/csv")
t3=$(awk -F, '$1 == 3 { print $2; exit }' "$T/csv")
check "frames 0.25 s apart (two gaps: 0.4-1.0 s)" "yes" \
    "$(awk -v a="$t1" -v b="$t3" 'BEGIN { d = b - a; print (d >= 0.4 && d <= 1.0) ? "yes" : "no: " d }')"

col() { head -1 "$T/csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
last=$(tail -n +2 "$T/csv" | sed 's/"[^"]*"/q/g' | awk -F, '$1 == 3')
hostrow=$(echo "$last" | awk -F, '$5 == "host"')
hv() { echo "$hostrow" | cut -d, -f"$(col "$1")"; }
free=$(pi free_pages)
freeable=$(pi freeable_pages)
outst=$(pi outstanding_pages)
check "state UP" "UP" "$(hv state)"
check "total as physinfo" "$(pi total_pages)" "$(hv total_pages)"
check "free as physinfo" "$free" "$(hv free_pages)"
check "freeable as physinfo" "$freeable" "$(hv freeable_pages)"
check "outstanding as physinfo" "$outst" "$(hv outstanding_pages)"
check "headroom = free + freeable - outstanding" "$((free + freeable - outst))" "$(hv headroom_pages)"
check "domains as list --json" "$(dom_json domid | wc -l)" "$(hv domains)"
check "exact after the dump" "1" "$(hv exact)"

# Domain rows against list --json.
dv() { echo "$last" | awk -F, -v d="$1" -v c="$(col "$2")" '$5 == "domain" && $6 == d { print $c }'; }
errs=""
while read -r id claim; do
    [ "$(dv "$id" claim_pages)" = "$claim" ] || errs="$errs claim:$id"
    want=$(awk -v c="$claim" -v p="$((free + freeable))" 'BEGIN { printf "%.6f", c * 100 / p }')
    [ "$(dv "$id" share_pct)" = "$want" ] || errs="$errs share:$id"
done < <(dom_json outstanding_pages)
while read -r id v; do [ "$(dv "$id" tot_pages)" = "$v" ] || errs="$errs tot:$id"; done < <(dom_json tot_pages)
while read -r id v; do [ "$(dv "$id" max_pages)" = "$v" ] || errs="$errs max:$id"; done < <(dom_json max_pages)
check "claims, shares, tot and max of every domain as the daemon says" "" "$errs"
check_match "a name with a comma is quoted" ',domain,[0-9]+,"be,ta",' "$(cat "$T/csv")"
check "largest claim first" "$(dom_json outstanding_pages | sort -k2,2nr -k1,1n | head -1 | cut -d' ' -f1)" \
    "$(echo "$last" | awk -F, '$5 == "domain" { print $6; exit }')"

# ---- MiB: exact decimals ---------------------------------------------------
"$TOP" -s "$T/s" --csv -u mib -i 1 >"$T/csv_mib"
exact() { awk -v p="$1" 'BEGIN { s = sprintf("%.8f", p / 256); sub(/0+$/, "", s); sub(/\.$/, "", s); print s }'; }
hdr=$(head -1 "$T/csv_mib")
check_match "MiB: header keys say mib" 'free_mib,freeable_mib,outstanding_mib,headroom_mib' "$hdr"
c=$(echo "$hdr" | tr ',' '\n' | grep -nx free_mib | cut -d: -f1)
check "MiB: free exactly free/256" "$(exact "$free")" "$(awk -F, '$5 == "host" { print $'"$c"' }' "$T/csv_mib")"
c=$(echo "$hdr" | tr ',' '\n' | grep -nx outstanding_mib | cut -d: -f1)
check "MiB: outstanding exactly outstanding/256" "$(exact "$outst")" "$(awk -F, '$5 == "host" { print $'"$c"' }' "$T/csv_mib")"

# ---- JSON lines ------------------------------------------------------------
"$TOP" -s "$T/s" --json -u pages -i 2 -d 0.2 >"$T/json"
check "--json: one line per frame" "2" "$(wc -l <"$T/json")"
if command -v jq >/dev/null 2>&1; then
    check "--json: every line is JSON" "2" "$(jq -c . "$T/json" 2>/dev/null | wc -l)"
    j=$(tail -1 "$T/json")
    check "JSON free_pages" "$free" "$(echo "$j" | jq .host.free_pages)"
    check "JSON outstanding_pages" "$outst" "$(echo "$j" | jq .host.outstanding_pages)"
    check "JSON headroom_pages" "$((free + freeable - outst))" "$(echo "$j" | jq .host.headroom_pages)"
    check "JSON claims of every domain" "$(dom_json outstanding_pages | sort -n)" \
        "$(echo "$j" | jq -r '.domains[] | "\(.domid) \(.claim_pages)"' | sort -n)"
    check "JSON names" "$(ctl list | awk 'NR > 1 { print $1 }' | sort)" \
        "$(echo "$j" | jq -r '.domains[].name' | sort)"
    nodes=$(echo "$j" | jq -r '.host.nodes[] | "\(.node) \(.free_pages)"')
    cur=$(echo "$j" | jq .host.nodes_current)
    sum=$(echo "$nodes" | awk '{ s += $2 } END { print s + 0 }')
    check "nodes_current says whether the nodes add up to free" \
        "$([ "$sum" = "$(echo "$j" | jq .host.free_pages)" ] && echo true || echo false)" "$cur"
    if [ "$cur" = true ]; then
        check "per-node free as physinfo" "$(ctl physinfo | sed -n 's/^node\([0-9]*\)_free_pages=/\1 /p')" "$nodes"
    else
        skip "per-node free as physinfo" "the source's node figures are from its last dump"
    fi
    check "first frame: rates unknown (null)" "null" "$(head -1 "$T/json" | jq .host.stakes_per_s)"
    check "second frame: rates known" "number" "$(tail -1 "$T/json" | jq -r '.host.stakes_per_s | type')"
else
    skip "--json parsed with jq" "jq not installed"
fi

# ---- text --------------------------------------------------------------------
"$TOP" -s "$T/s" -b -u pages -i 1 >"$T/text"
check_match "-b: host line with physinfo's free" "free $free  freeable $freeable  claims $outst  headroom $((free + freeable - outst))" "$(cat "$T/text")"
check_match "-b: the table header" 'DOMID NAME +TOT +MAX +CLAIM SHARE%' "$(cat "$T/text")"

# ---- libxenctrl polling, through the mock's libxenctrl.so.4.17 -------------
if [ -e build/lib/libxenctrl.so.4.17 ]; then
    LD_LIBRARY_PATH=build/lib XENCLAIM_SOCKET=$T/s "$TOP" --xenctrl --csv -u pages -i 2 -d 0.2 >"$T/xc" 2>"$T/xce"
    check "--xenctrl: exit status 0" "0" "$?"
    last=$(tail -n +2 "$T/xc" | sed 's/"[^"]*"/q/g' | awk -F, '$1 == 2')
    hostrow=$(echo "$last" | awk -F, '$5 == "host"')
    col() { head -1 "$T/xc" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
    check "--xenctrl: free as physinfo" "$(pi free_pages)" "$(hv free_pages)"
    check "--xenctrl: outstanding as physinfo" "$(pi outstanding_pages)" "$(hv outstanding_pages)"
    check "--xenctrl: no event counts drawn as known" ",,,," \
        "$(hv stakes),$(hv refused),$(hv host_denials),$(hv lost_records),"
    errs=""
    while read -r id claim; do
        [ "$(dv "$id" claim_pages)" = "$claim" ] || errs="$errs claim:$id"
        [ "$(dv "$id" denials)" = "" ] || errs="$errs denials:$id"
    done < <(dom_json outstanding_pages)
    check "--xenctrl: every claim as list --json, denials unknown" "" "$errs"
else
    skip "--xenctrl through the mock's libxenctrl" "build/lib/libxenctrl.so.4.17 not built"
fi

# ---- signals ----------------------------------------------------------------------
for sig in TERM INT; do
    "$TOP" -s "$T/s" --csv -d 0.1 >"$T/sig" 2>&1 &
    pid=$!
    reap_pid "$pid"
    until_true 10 sh -c "[ \$(cut -d, -f1 $T/sig 2>/dev/null | sort -u | wc -l) -ge 3 ]"
    kill -"$sig" "$pid"
    wait "$pid"
    check "SIG$sig: clean exit 0" "0" "$?"
    check "SIG$sig: the output ends with a whole line" "" "$(tail -c 1 "$T/sig" | tr -d '\n')"
done

# ---- a daemon that dies, and comes back --------------------------------------------
"$TOP" -s "$T/s" --csv -u pages -d 0.1 >"$T/down" 2>&1 &
pid=$!
reap_pid "$pid"
until_true 10 grep -qs ',UP,host,' "$T/down"
stop_mock
if until_true 10 grep -qs ',DOWN,host' "$T/down"; then ok "the CSV says DOWN"; else notok "the CSV says DOWN: $(tail -3 "$T/down")"; fi
check "no figures while DOWN" "" \
    "$(awk -F, '$4 == "DOWN" { for (i = 6; i <= NF; i++) if ($i != "") print }' "$T/down")"
start_mock -m 2G -S 64
free2=$(pi free_pages)
if until_true 15 grep -qs ",UP,host,.*,$free2,0,0," "$T/down"; then
    ok "back UP with the new daemon's figures"
else
    notok "back UP with the new daemon's figures: $(tail -2 "$T/down")"
fi
stop_mock
until_true 10 sh -c "tail -1 $T/down | grep -q ',DOWN,host'"
kill -TERM "$pid"
wait "$pid"
check "exit status 1 when the source is down at the end" "1" "$?"

# ---- no daemon, bad usage, no terminal ------------------------------------------------
"$TOP" -b -s "$T/none" >"$T/o" 2>"$T/e"
check "no daemon: exit status 3" "3" "$?"
check_match "no daemon: says how to start one" 'xenclaim-mock serve' "$(cat "$T/e")"
check "no daemon: nothing on stdout" "" "$(cat "$T/o")"
XENCLAIM_SOCKET=$T/none "$TOP" -b >"$T/o" 2>"$T/e"
check "default source missing: exit status 3" "3" "$?"
check_match "default source missing: says what to do" 'no mock hypervisor to watch.*xenclaim-mock serve -d.*TRACE.*--xenctrl' "$(tr '\n' ' ' <"$T/e")"
"$TOP" --bogus >/dev/null 2>"$T/e"
check "bad option: exit status 2" "2" "$?"
"$TOP" -d 0 -b >/dev/null 2>&1
check "bad interval: exit status 2" "2" "$?"
"$TOP" -s "$T/none" </dev/null >"$T/o" 2>"$T/e"
check "no terminal: exit status 4" "4" "$?"
check_match "no terminal: says -b" '-b' "$(cat "$T/e")"
finish
