# Minimal TAP producer for the integration scripts.
#   plan N | plan_skip_all REASON
#   ok DESC | not_ok DESC | is GOT WANT DESC | like GOT REGEX DESC
#   skip DESC REASON | diag TEXT | need_root_netns (skips all without them)
#   bail_out REASON (stops the whole run: the rest cannot mean anything)
_tap_n=0
_tap_failed=0
plan() { echo "1..$1"; }
plan_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n - $*"; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $2"; }
diag() { sed 's/^/# /' <<<"$*" >&2; }
bail_out() { echo "Bail out! $*"; exit 1; }
check() { # check DESC CMD...: ok when CMD succeeds
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
is() {
	if [[ "$1" == "$2" ]]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'"$'\n'"want: '$2'"; fi
}
like() {
	if [[ "$1" =~ $2 ]]; then ok "$3"; else not_ok "$3"; diag "got:  '$1'"$'\n'"want match: '$2'"; fi
}
need_root_netns() {
	((EUID == 0)) || plan_skip_all "needs root (network namespaces)"
	ip netns list >/dev/null 2>&1 || plan_skip_all "needs ip netns (iproute2)"
}
done_testing() { echo "1..$_tap_n"; }
