#!/usr/bin/env bash
# Golden tests of the experiment language: every tests/data/spec/golden
# spec against its expected `check`, `fmt` and `plan` output (NAME.check,
# NAME.fmt, NAME.plan: stdout, stderr and exit status), and fmt's
# promises: formatting twice changes nothing, and the formatted text
# checks the same as the original.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"

dir=$SPRINGOS_TOP/tests/data/spec/golden
tool=$SPRINGOS_BUILD/bin/springos
[[ -x $tool ]] || { plan_skip_all "springos not built"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for want in "$dir"/*.check "$dir"/*.fmt "$dir"/*.plan; do
	[[ -f $want ]] || continue
	file=$(basename "$want")
	name=${file%.*} cmd=${file##*.}
	got=$("$dir/run-case" "$tool" "$cmd" "$name")
	if [[ $got == "$(cat "$want")" ]]; then
		ok "$cmd $name"
	else
		not_ok "$cmd $name"
		diag "$(diff <(echo "$got") "$want" | head -30)"
	fi
done

# fmt is idempotent, and its output checks exactly like its input.
for f in "$dir"/*.fmt; do
	name=$(basename "$f" .fmt)
	"$tool" fmt "$dir/$name.spec" >"$tmp/$name.spec" 2>/dev/null || continue
	"$tool" fmt "$tmp/$name.spec" >"$tmp/$name.2.spec" 2>&1
	if cmp -s "$tmp/$name.spec" "$tmp/$name.2.spec"; then
		ok "fmt $name twice changes nothing"
	else
		not_ok "fmt $name twice changes nothing"
		diag "$(diff "$tmp/$name.spec" "$tmp/$name.2.spec" | head -20)"
	fi
	a=$(cd "$dir" && SPRINGOS_CONF= "$tool" check "$name.spec" 2>&1 | grep -v '^  ' |
	    sed -E 's/^[^:]*:[0-9]+:[0-9]+: //; s/^[^ ]*: //; s/ at line [0-9]+//g')
	b=$(cd "$tmp" && SPRINGOS_CONF= "$tool" check "$name.spec" 2>&1 | grep -v '^  ' |
	    sed -E 's/^[^:]*:[0-9]+:[0-9]+: //; s/^[^ ]*: //; s/ at line [0-9]+//g')
	if [[ $a == "$b" ]]; then
		ok "fmt $name checks like the original"
	else
		not_ok "fmt $name checks like the original"
		diag "$(diff <(echo "$a") <(echo "$b") | head -20)"
	fi
done
done_testing
