#!/usr/bin/env bash
# The experiment-language commands end to end: against a real testbed
# database (springos db init + node import of the golden inventory),
# without any inventory, and their usage errors.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"

tool=$SPRINGOS_BUILD/bin/springos
springos=$SPRINGOS_BUILD/bin/springos
data=$SPRINGOS_TOP/tests/data/spec
[[ -x $tool && -x $springos ]] || { plan_skip_all "springos not built"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/springos.ini" <<INI
[testbed]
db = $tmp/erm.db
[switch:sw1]
driver = qbridge
address = udp:127.0.0.1:16100
ports = 16
INI
conf=$tmp/springos.ini

quiet() { "$@" >/dev/null 2>&1; }
check "db init" quiet "$springos" -c "$conf" db init
check "the golden inventory imports" quiet "$springos" -c "$conf" node import "$data/lab.inv"

out=$("$tool" -c "$conf" check "$data/seed-full.spec" 2>&1); rc=$?
is "$rc" 0 "check of the complete seed passes against the database"
like "$out" "plan for experiment seed-full: 6 physical nodes \(5 VM hosts\), 40 VMs" \
	"check summarises the plan: 5 VM hosts, 40 VMs"
n=$(grep -c '^  host pc0[1-5] (class vmwareC): 8 VMs of class clC' <<<"$out")
is "$n" 5 "5 vmwareC hosts carry 8 VMs each"

out=$("$tool" -c "$conf" plan "$data/seed-full.spec" --node pc03-vm4 2>&1); rc=$?
is "$rc" 0 "plan --node from the database"
like "$out" 'wake "/usr/local/bin/netperf" "/usr/local/bin/netperf" "-H" "10.1.0.46"' \
	"the resolved netperf command"
out=$("$tool" -c "$conf" plan "$data/seed-full.spec" 2>&1)
n=$(grep -c '^  wakewait "/usr/local/bin/netperf" "/usr/local/bin/netperf" "-H" "10.2.0.46"$' <<<"$out")
is "$n" 40 "all 40 clients get the server's address on ethnet-1"

out=$("$tool" -c "$conf" check "$data/seed-experiment.spec" 2>&1); rc=$?
is "$rc" 1 "the experiment example alone fails"
like "$out" "unknown class 'vmwareC'.*unknown class 'svC'" "naming vmwareC and svC"
out=$("$tool" -c "$conf" check "$data/seed-both.spec" 2>&1); rc=$?
is "$rc" 1 "with the VM-host example before it, it still fails"
is "$(grep -c 'error: unknown class' <<<"$out")" 1 "naming only one class"
like "$out" "unknown class 'svC'" "and that class is svC"

out=$("$tool" -c "$tmp/nonexistent.ini" plan "$data/seed-full.spec" 2>&1); rc=$?
is "$rc" 1 "plan without any inventory fails"
like "$out" "no inventory: give --inventory FILE" "and says how to give one"
out=$("$tool" -c "$tmp/nonexistent.ini" check "$data/seed-full.spec" 2>&1); rc=$?
is "$rc" 0 "check without an inventory still checks"
like "$out" "demand only" "and shows the demand only"

out=$("$tool" -c "$conf" plan "$data/golden/plan-too-many-nodes.spec" 2>&1); rc=$?
is "$rc" 1 "a plan the testbed cannot satisfy fails"
like "$out" "the testbed cannot run this experiment: node set many needs 100 physical nodes" \
	"and says what is missing"
out=$("$tool" -c "$conf" plan "$data/seed-full.spec" --node nope 2>&1); rc=$?
is "$rc" 1 "plan --node of a node outside the plan fails"
like "$out" "node nope is not in the plan" "naming it"

"$tool" fmt "$data/seed-full.spec" >"$tmp/canon.spec"
check "fmt --check accepts canonical text" "$tool" fmt --check "$tmp/canon.spec"
out=$("$tool" fmt --check "$data/seed-full.spec" 2>&1); rc=$?
is "$rc" 1 "fmt --check refuses the slides' layout"
like "$out" "not in canonical form" "saying so"
out=$(cat "$data/seed-full.spec" | "$tool" fmt - 2>&1)
is "$out" "$(cat "$tmp/canon.spec")" "fmt reads standard input"

out=$("$tool" check 2>&1); rc=$?
is "$rc" 2 "check without a file is a usage error"
out=$("$tool" plan "$data/seed-full.spec" --bogus 2>&1); rc=$?
is "$rc" 2 "an unknown option is a usage error"
like "$out" "unknown option '--bogus'" "naming the option"
out=$("$tool" check "$tmp/missing.spec" 2>&1); rc=$?
is "$rc" 1 "a missing file fails"
like "$out" "missing.spec: No such file or directory" "with the system's reason"
done_testing
