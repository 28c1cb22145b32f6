#!/usr/bin/env bash
# make deps: install the Debian packages named by the module.mk files.
# Idempotent and quick: apt-get runs only when something is missing.
# Packaged services (snmpd, dnsmasq, ...) must not start in the root
# namespace, so a policy-rc.d that refuses every start is put in place
# for the duration of the install.
set -euo pipefail

missing=()
for pkg in "$@"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
	[[ $status == ii* ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
	echo "deps: all ${#} packages present"
	exit 0
fi

echo "deps: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: apt-get is not available here; install these packages by hand: ${missing[*]}" >&2
	exit 1
fi
sudo=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "deps: not root and no sudo; install these packages as root: ${missing[*]}" >&2
		exit 1
	fi
fi

policy=/usr/sbin/policy-rc.d
placed_policy=0
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod 755 "$policy"
	placed_policy=1
fi
cleanup() { ((placed_policy)) && "${sudo[@]}" rm -f "$policy"; true; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
# The package lists may be absent or stale on a fresh machine.
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	"${sudo[@]}" apt-get update -q
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
