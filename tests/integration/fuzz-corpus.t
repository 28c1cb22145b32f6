#!/usr/bin/env bash
# Every libFuzzer harness replays its seed corpus (tests/fuzz/corpus/NAME)
# cleanly under ASan+UBSan.  Long fuzz runs are `make fuzz-run`.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"

# Only the harnesses: make fuzz-run also keeps grown corpora in build-fuzz/.
fuzzers=()
for f in "$SPRINGOS_TOP"/build-fuzz/*; do
	[[ -f $f && -x $f ]] && fuzzers+=("$f")
done
((${#fuzzers[@]} > 0)) || plan_skip_all "no fuzz harness built (make fuzz)"
plan ${#fuzzers[@]}
for f in "${fuzzers[@]}"; do
	name=$(basename "$f")
	corpus=$SPRINGOS_TOP/tests/fuzz/corpus/$name
	if [[ ! -d $corpus ]]; then
		not_ok "$name: no seed corpus at tests/fuzz/corpus/$name"
		continue
	fi
	if out=$("$f" -runs=0 "$corpus" 2>&1); then
		ok "$name replays $(ls "$corpus" | wc -l) seeds"
	else
		not_ok "$name failed on its corpus"
		diag "$(tail -20 <<<"$out")"
	fi
done
