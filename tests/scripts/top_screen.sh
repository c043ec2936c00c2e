#!/bin/bash
# tests/scripts/top_screen.sh: xenclaimtop in a real terminal (tmux) against a private mock, every figure checked against the daemon's own (TAP).
#
# The daemon's state comes from xenclaimctl physinfo and list --json; the
# screen comes from tmux capture-pane.  Keys are sent with send-keys and
# every expectation is polled for with a bounded timeout.  Covers sort and
# reverse, the filter, units, the detail view, pause, interval, help,
# resize down to a too-small terminal, colour on and off, a source that
# dies, and the exit status.

set -u
cd "$(dirname "$0")/../.."
. xenclaimtop/tests/lib.sh
need tmux "$TOP" "$MOCK" "$CTL"

start_mock -m 4G -n 2 --tmem 256M -S 256 -c 2

# Guests, paused, with claims of different sizes.
ctl create name=web1 memory=64 maxmem=1024 -p -q >/dev/null
ctl create name=web2 memory=32 maxmem=1024 -p -q >/dev/null
ctl create name=db memory=128 maxmem=2048 -p -q >/dev/null
ctl create name=cache memory=16 maxmem=1024 -p -q >/dev/null
ctl claim web1 60000 >/dev/null
ctl claim web2 9000 >/dev/null
ctl claim db 200000 >/dev/null
ctl tmem put 5000 >/dev/null

tmux_start 140 40 "$TOP -s $T/s -u pages -d 0.2"
wait_screen "the screen comes up and says UP" 10 '\[UP\]'
wait_screen "all five domains are listed" 10 'domains 5'

# ---- the host header against physinfo ----------------------------------
free=$(pi free_pages)
freeable=$(pi freeable_pages)
outst=$(pi outstanding_pages)
total=$(pi total_pages)
check "total pages as physinfo says" "$total" "$(header_field total)"
check "free pages as physinfo says" "$free" "$(header_field free)"
check "freeable pages as physinfo says" "$freeable" "$(header_field freeable)"
check "outstanding claims as physinfo says" "$outst" "$(header_field claims)"
check "headroom is free + freeable - claims" \
    "$((free + freeable - outst))" "$(header_field 'Headroom:')"

# ---- the table against list --json -------------------------------------
dom_json outstanding_pages | sort -n >"$T/claims"
dom_json tot_pages | sort -n >"$T/tot"
dom_json max_pages | sort -n >"$T/max"
rows | awk '{ print $1, $5 }' | sort -n >"$T/scr_claims"
rows | awk '{ print $1, $3 }' | sort -n >"$T/scr_tot"
rows | awk '{ print $1, $4 }' | sort -n >"$T/scr_max"
check "every claim as list --json says" "$(cat "$T/claims")" "$(cat "$T/scr_claims")"
check "every tot_pages as list --json says" "$(cat "$T/tot")" "$(cat "$T/scr_tot")"
check "every max_pages as list --json says" "$(cat "$T/max")" "$(cat "$T/scr_max")"
check "claims add up to the host's outstanding" "$outst" \
    "$(awk '{ s += $2 } END { print s }' "$T/claims")"

# Default order: largest claim first, ties by domid.
want=$(sort -k2,2nr -k1,1n "$T/claims" | awk '{ printf "%s ", $1 }')
check "sorted by claim, largest first" "$want" "$(rows | awk '{ printf "%s ", $1 }')"
keys I
wait_screen "I reverses the order" 5 'sort CLAIM \^'
want=$(sort -k2,2n -k1,1n "$T/claims" | awk '{ printf "%s ", $1 }')
check "reversed: smallest claim first, ties by domid" "$want" \
    "$(rows | awk '{ printf "%s ", $1 }')"
keys '<' '<' '<'
wait_screen "< moves the sort to NAME" 5 'sort NAME \^'
want=$(rows | awk '{ print $2 }' | sort -f | tr '\n' ' ')
check "sorted by name, any case" "$want" "$(rows | awk '{ print $2 }' | tr '\n' ' ')"
keys r
wait_screen "r reverses the name order" 5 'sort NAME v'
want=$(rows | awk '{ print $2 }' | sort -fr | tr '\n' ' ')
check "sorted by name, reversed" "$want" "$(rows | awk '{ print $2 }' | tr '\n' ' ')"
keys S S S
wait_screen "S cycles to the next columns" 5 'sort CLAIM v'

# ---- filter ----------------------------------------------------------------
keys /
wait_screen "/ opens the filter prompt" 5 '^Filter: _'
keys w
wait_screen "the filter applies as it is typed" 5 '^Filter: w_'
check "typing w leaves the web guests" "web1 web2 " \
    "$(rows | awk '{ print $2 }' | sort | tr '\n' ' ')"
keys e b Enter
wait_screen "Enter keeps the filter" 5 'filter "web"'
check "two rows match web" "2" "$(rows | wc -l)"
keys Escape
until_true 5 sh -c "[ \"\$(tmux -L $TMUX_NAME capture-pane -p | grep -c '^ *[0-9]\\+ ')\" -ge 5 ]"
check "Esc clears the filter" "5" "$(rows | wc -l)"
keys /
keys 1 Enter
wait_screen "a number filters by domid too" 5 'filter "1"'
check "filter 1 keeps domid 1 only" "1" "$(rows | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"
keys Escape
wait_screen "Esc in the table clears a kept filter" 5 'sort CLAIM v *$'

# ---- units ---------------------------------------------------------------------
keys u
wait_screen "u switches to MiB" 5 'Memory MiB:'
check "free in MiB, one decimal" "$(awk -v p="$free" 'BEGIN { printf "%.1f", p / 256 }')" \
    "$(header_field free)"
keys u
wait_screen "u switches to GiB" 5 'Memory GiB:'
check "free in GiB, two decimals" "$(awk -v p="$free" 'BEGIN { printf "%.2f", p / 262144 }')" \
    "$(header_field free)"
keys u
wait_screen "u comes back to pages" 5 'Memory pages:'

# ---- detail view ----------------------------------------------------------------
db=$(ctl domid db)
keys Home
keys Enter
wait_screen "Enter opens the selected (first) domain" 5 "^Domain $db  db"
dbclaim=$(dom_json outstanding_pages | awk -v d="$db" '$1 == d { print $2 }')
check_match "the detail view shows db's claim" "claim $dbclaim" "$SCR"
wait_screen "the detail view lists recent events or says why not" 5 'Recent events'
keys Escape
wait_screen "Esc goes back to the table" 5 '^DOMID'

# ---- live changes ---------------------------------------------------------------
ctl populate web1 1000 >/dev/null
w1=$(ctl domid web1)
want=$(dom_json outstanding_pages | awk -v d="$w1" '$1 == d { print $2 }')
wait_screen "a populate draws web1's claim down on screen" 10 "^ +$w1 web1 .* $want "

# ---- pause -----------------------------------------------------------------------
cache=$(ctl domid cache)
keys z
wait_screen "z pauses" 5 'PAUSED'
ctl claim cache 30000 >/dev/null
keys / c a c h e Enter
wait_screen "keys still work while paused" 5 'filter "cache"'
check "paused: cache's new claim is not shown" "0" \
    "$(rows | awk -v d="$cache" '$1 == d { print $5 }')"
keys z
want=$(dom_json outstanding_pages | awk -v d="$cache" '$1 == d { print $2 }')
wait_screen "z resumes and shows the present" 10 "^ +$cache cache .* $want "
keys Escape

# ---- interval -----------------------------------------------------------------------
keys +
wait_screen "+ lengthens the interval" 5 'every 0.25s'
keys d 1 . 5 Enter
wait_screen "d sets an interval" 5 'every 1.5s'
keys D 0 . 2 Enter
wait_screen "D sets it back" 5 'every 0.2s'

# ---- help and repaint ---------------------------------------------------------------
keys h
wait_screen "h shows the help" 5 'xenclaimtop: keys'
keys x
until_true 5 sh -c "! tmux -L $TMUX_NAME capture-pane -p | grep -q 'xenclaimtop: keys'" &&
    ok "any key closes the help" || notok "any key closes the help"
keys C-l
wait_screen "^L repaints" 5 '^DOMID'

# ---- claims above free: danger in red -------------------------------------------------
tot_cache=$(dom_json tot_pages | awk -v d="$cache" '$1 == d { print $2 }')
ctl mem-max cache 8192 >/dev/null
ctl claim cache 0 >/dev/null
avail=$(( $(pi free_pages) + $(pi freeable_pages) - $(pi outstanding_pages) ))
ctl claim cache $((tot_cache + avail)) >/dev/null
wait_screen "claims above free are flagged" 10 'CLAIMS ABOVE FREE'
if screen_esc | grep -q $'\e\[[0-9;]*31[;m]'; then ok "in red"; else notok "in red: no red SGR on screen"; fi
check "headroom is 0 once claims take everything" "0" "$(header_field 'Headroom:')"

# A denial: web2 allocates beyond its claim while claims cover all.
w2=$(ctl domid web2)
w2claim=$(dom_json outstanding_pages | awk -v d="$w2" '$1 == d { print $2 }')
ctl populate web2 $((w2claim + 1)) >/dev/null 2>&1
wait_screen "the denial is counted on the host" 10 'denials 1 '
check "and on web2's row" "1" \
    "$(screen | awk -v d="$w2" '$1 == d && $2 == "web2" { print $9 }')"

# ---- resize ----------------------------------------------------------------------------
tmux -L "$TMUX_NAME" resize-window -x 60 -y 20
wait_screen "a narrow terminal drops columns" 5 '^DOMID NAME .*CLAIM'
check_nomatch "LAST EVENT dropped at 60 columns" 'LAST EVENT' "$SCR"
check "no line wider than the terminal" "0" \
    "$(screen | awk 'length($0) > 60' | wc -l)"
tmux -L "$TMUX_NAME" resize-window -x 30 -y 8
wait_screen "a too small terminal gets one line" 5 'too small'
check "and nothing else" "1" "$(screen | grep -c .)"
tmux -L "$TMUX_NAME" resize-window -x 140 -y 40
wait_screen "growing again brings every column back" 5 'LAST EVENT'

# ---- the source dies ---------------------------------------------------------------------
stop_mock
wait_screen "a dead daemon shows DOWN" 10 '\[DOWN\]'
wait_screen "and says the figures are not live" 5 'NOT LIVE'
check_match "no rates are drawn for a dead source" 'staked/s -  denials/s -' "$SCR"
keys q
check "q after DOWN exits with status 1" "1" "$(wait_rc 5)"

# ---- colour off ---------------------------------------------------------------------------
start_mock -m 1G --dom0-mem 256M --tmem 64M -S 64
ctl create name=x memory=16 maxmem=1024 -p -q >/dev/null
ctl tmem put 1000 >/dev/null
avail=$(( $(pi free_pages) + $(pi freeable_pages) - $(pi outstanding_pages) ))
ctl claim x $((4096 + avail)) >/dev/null
tmux_start 120 30 "NO_COLOR=1 $TOP -s $T/s -u pages -d 0.2"
wait_screen "NO_COLOR: claims above free still flagged" 10 'CLAIMS ABOVE FREE'
if screen_esc | grep -q $'\e\[[0-9;]*3[0-7][;m]'; then
    notok "NO_COLOR: no colour on screen: found a colour SGR"
else
    ok "NO_COLOR: no colour on screen"
fi
keys q
check "q on a live source exits with status 0" "0" "$(wait_rc 5)"
tmux_start 120 30 "$TOP -C -s $T/s -u pages -d 0.2"
wait_screen "-C: the screen comes up" 10 'CLAIMS ABOVE FREE'
if screen_esc | grep -q $'\e\[[0-9;]*3[0-7][;m]'; then
    notok "-C: no colour on screen: found a colour SGR"
else
    ok "-C: no colour on screen"
fi
keys q
wait_rc 5 >/dev/null
tmux_start 120 30 "$TOP -s $T/s -u pages -d 0.2"
wait_screen "with colour: the screen comes up" 10 'CLAIMS ABOVE FREE'
if screen_esc | grep -q $'\e\[[0-9;]*31[;m]'; then ok "with colour: red is used"; else notok "with colour: red is used: none found"; fi
keys q
wait_rc 5 >/dev/null
finish
