#!/usr/bin/env bash
# The springos CLI, inventory part, as an operator uses it: db init,
# import, list/show (table and --json), boot modes, images, and the
# errors an operator sees for bad input (which change nothing).
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
S=$SPRINGOS_BUILD/bin/springos
dir=$(mktemp -d /tmp/springos-cli.XXXXXX)
trap 'rm -rf "$dir"' EXIT
plan 22

cat > "$dir/springos.ini" <<INI
[testbed]
db = $dir/erm.db
[switch:lab]
address = udp:127.0.0.1:16100
ports = 8
INI
cat > "$dir/inv.ini" <<'INI'
[node:n01]
class = pc
mac = 02:00:00:00:01:00
ip = 10.99.0.11
power = qemu
netif0 = 02:00:00:00:01:01 switch=lab port=1
netif1 = 02:00:00:00:01:02 switch=lab port=2

[node:n02]
class = pc
mac = 02:00:00:00:02:00
ip = 10.99.0.12
netif0 = 02:00:00:00:02:01 switch=lab port=3
INI
sos() { "$S" -c "$dir/springos.ini" "$@"; }

out=$(sos db init 2>&1); is "$?" 0 "db init succeeds"
like "$out" "schema version [0-9]+" "db init reports the schema version"
out=$(sos node import "$dir/inv.ini" 2>&1); is "$out" "imported 2 nodes from $dir/inv.ini" "import reports its count"
out=$(sos --json node list)
is "$(jq -r '[.[].name] | join(",")' <<<"$out")" "n01,n02" "node list --json has both nodes in order"
is "$(jq -r '.[0].interfaces[1].port' <<<"$out")" "2" "interfaces and cabling round-trip"
is "$(jq -r '.[1].ip' <<<"$out")" "10.99.0.12" "reserved IP round-trips"
out=$(sos node list)
like "$(head -1 <<<"$out")" "^NAME +KIND +CLASS +MAC +IP +BOOT" "node list prints a table header"
like "$(sed -n 2p <<<"$out")" "^n01 +physical +pc +02:00:00:00:01:00 +10.99.0.11 +none" "table row for n01"
out=$(sos node show n01); like "$out" "netif1 +02:00:00:00:01:02 +ethernet +switch lab port 2" "node show lists cabling"

# A bad file: the second node repeats a MAC; nothing of it may land.
cat > "$dir/bad.ini" <<'INI'
[node:n03]
mac = 02:00:00:00:03:00

[node:n04]
mac = 02:00:00:00:03:00
INI
out=$(sos node import "$dir/bad.ini" 2>&1); rc=$?
is "$rc" 1 "import of a bad file fails"
is "$out" "springos: $dir/bad.ini:5: node n04: duplicate MAC 02:00:00:00:03:00: already the management MAC of node n03 (nothing was imported)" "error names file, line and conflict"
is "$(sos --json node list | jq length)" 2 "the failed import changed nothing"

out=$(sos node boot n02 install); is "$out" "node n02 will boot: install" "node boot sets the mode"
is "$(sos --json node show n02 | jq -r .boot)" install "boot mode is stored"
out=$(sos node boot n02 pxe 2>&1); is "$out" "springos: boot mode 'pxe' is not install, local or none" "bad boot mode is refused"

out=$(sos node add n05 mac=02:00:00:00:05:00 ip=10.99.0.15 netif0="02:00:00:00:05:01 switch=lab port=1" 2>&1)
like "$out" "port lab/1 is already cabled to node n01 netif0" "node add checks cabling"
out=$(sos node add n05 mac=02:00:00:00:05:00 ip=10.99.0.15 class=pc 2>&1); is "$out" "added node n05" "node add adds"

head -c 300000 /dev/urandom > "$dir/img.raw"
want=$(sha256sum "$dir/img.raw" | cut -d' ' -f1)
sos image add deb "$dir/img.raw" >/dev/null
is "$(sos --json image list | jq -r '.[0].sha256')" "$want" "image add records the SHA-256"
gzip -c "$dir/img.raw" > "$dir/img.gz"; sos image add debgz "$dir/img.gz" >/dev/null
is "$(sos --json image list | jq -r '.[1].format')" gzip "image add detects gzip"

out=$("$S" -c "$dir/nosuch.ini" node list 2>&1); is "$out" "springos: $dir/nosuch.ini: cannot open: No such file or directory" "missing config is named"
out=$("$S" -c "$dir/springos.ini" frob it 2>&1); rc=$?
is "$rc" 2 "unknown command exits 2"
"$S" --help | grep -q "node import FILE" && ok "--help lists the commands" || not_ok "--help lists the commands"
