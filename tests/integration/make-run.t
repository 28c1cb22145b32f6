#!/usr/bin/env bash
# make run (mk/run.sh): brings up a 4-node lab with one QEMU machine here
# (make run has 2), imports it, lists it, reimages the machine (PXE, ni,
# reboot into its disk), and always brings the lab down; the report says
# what happened.  Also the failure path: a step that fails makes run exit
# non-zero, and the lab still goes.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
need_root_netns

tmp=$(mktemp -d)
prefixes=()
cleanup() {
	local p
	for p in "${prefixes[@]}"; do
		timeout 30 "$SPRINGOS_TOP/lab/lab" down --prefix "$p" >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
left() { # what lab P left behind
	ip netns list 2>/dev/null | awk -v p="$1-" 'index($1, p) == 1 { print "netns " $1 }'
	[[ -e /run/springos-lab/$1 ]] && echo "state /run/springos-lab/$1"
	return 0
}

out=$(SPRINGOS_RUN_QEMU=1 SPRINGOS_RUN_OUT=$tmp/ok timeout 500 "$SPRINGOS_TOP/mk/run.sh" "$SPRINGOS_BUILD" 2>&1)
rc=$?
is "$rc" 0 "mk/run.sh succeeds" || diag "$out"
report=$(cat "$tmp/ok/run-report.txt" 2>/dev/null)
p=$(sed -n 's/^lab: *prefix \([a-z0-9]*\),.*/\1/p' <<<"$report")
prefixes+=(${p:+"$p"})
like "$report" "result: +PASS" "the report says PASS"
before=$(awk '/^springos node list:$/ { on = 1; next } on && /^$/ { exit } on' <<<"$report")
is "$(grep -cE '^  n[1-4] +physical +pc +02:.* none +new +manual ' <<<"$before")" 4 "the report holds springos node list with the 4 lab nodes"
like "$before" "q1 +physical +pc +02:.* none +new +qemu " "  and the QEMU machine, power qemu"
like "$report" "4/4 nodes reach the management node" "the report says every node reached the management node"
like "$out" "q1 +power-cycled \(qemu\).*q1 +done +100%.*1 of 1 node\(s\) installed" "progress shows the reimage live"
like "$report" "1/1 machines booted their installed disk" "the machine booted its installed disk"
after=$(awk '/^springos node list after the install:$/ { on = 1; next } on && /^$/ { exit } on' <<<"$report")
like "$after" "q1 +physical +pc +02:.* local +installed +qemu " "node list after the install: boot local, installed"
like "$out" "q1: the first [0-9]+ bytes of its disk are the image" "its disk holds the image"
like "$(tr -d '\r' <"$tmp/ok/run-logs/q1.serial" 2>/dev/null)" "ni: installed .*verified.*SPRINGOS-SAMPLE-BOOTED from disk" \
	"its serial log is kept in run-logs: installed, verified, booted"
like "$out" "lab down: ok" "progress shows the lab going down"
is "$(left "$p")" "" "no lab left behind ($p)"

# A springos whose import fails: run fails at that step, the lab goes.
mkdir -p "$tmp/fake/bin"
cat >"$tmp/fake/bin/springos" <<FAKE
#!/bin/sh
case "\$*" in *"node import"*) echo "springos: inventory.ini:3: injected failure" >&2; exit 1 ;; esac
exec "$SPRINGOS_BUILD/bin/springos" "\$@"
FAKE
chmod +x "$tmp/fake/bin/springos"
ln -s "$SPRINGOS_BUILD/ni-initrd" "$SPRINGOS_BUILD/images" "$tmp/fake/"
for b in master imaged bootsrv; do ln -s "$SPRINGOS_BUILD/bin/$b" "$tmp/fake/bin/"; done
out=$(SPRINGOS_RUN_QEMU=1 SPRINGOS_RUN_OUT=$tmp/bad timeout 120 "$SPRINGOS_TOP/mk/run.sh" "$tmp/fake" 2>&1)
rc=$?
report=$(cat "$tmp/bad/run-report.txt" 2>/dev/null)
p=$(sed -n 's/^lab: *prefix \([a-z0-9]*\),.*/\1/p' <<<"$report")
prefixes+=(${p:+"$p"})
isnt0() { (($1 != 0)); }
check "mk/run.sh exits non-zero when a step fails" isnt0 "$rc"
like "$report" "result: +FAIL \(springos node import" "the report names the failed step"
like "$report" "FAILED .*springos node import.*ok .*lab down" "the lab still went down after the failure"
is "$(left "$p")" "" "no lab left behind after the failure ($p)"
done_testing
