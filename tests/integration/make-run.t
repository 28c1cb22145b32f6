#!/usr/bin/env bash
# make run (mk/run.sh): brings up a 4-node lab, imports it, lists it, and
# always brings it down; the report says what happened.  Also the failure
# path: a step that fails makes run exit non-zero, and the lab still goes.
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

out=$(SPRINGOS_RUN_OUT=$tmp/ok timeout 120 "$SPRINGOS_TOP/mk/run.sh" "$SPRINGOS_BUILD" 2>&1)
rc=$?
is "$rc" 0 "mk/run.sh succeeds" || diag "$out"
report=$(cat "$tmp/ok/run-report.txt" 2>/dev/null)
p=$(sed -n 's/^lab: *prefix \([a-z0-9]*\),.*/\1/p' <<<"$report")
prefixes+=(${p:+"$p"})
like "$report" "result: +PASS" "the report says PASS"
is "$(grep -cE '^  n[1-4] +physical +pc +02:' <<<"$report")" 4 "the report holds springos node list with the 4 lab nodes"
like "$report" "4/4 nodes reach the management node" "the report says every node reached the management node"
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
out=$(SPRINGOS_RUN_OUT=$tmp/bad timeout 120 "$SPRINGOS_TOP/mk/run.sh" "$tmp/fake" 2>&1)
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
