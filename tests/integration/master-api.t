#!/usr/bin/env bash
# The master's /api/v1 for ni, over real HTTP (curl) and with the real ni:
# tokens (401 that changes nothing), plan, progress, result, stale plans,
# retry with back-off, and `node reimage` following an install to the end.
set -uo pipefail
. "$SPRINGOS_TOP/tests/lib/tap.sh"
bin=$SPRINGOS_BUILD/bin
for p in master ni springos; do
	[[ -x $bin/$p ]] || plan_skip_all "$p not built"
done

dir=$(mktemp -d /tmp/master-api.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

port() { echo $((20000 + RANDOM % 20000)); }
wait_tcp() {
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$dir/srv"
{ head -c 2097152 /dev/urandom; head -c 2097152 /dev/zero; } >"$dir/srv/img.raw"
gzip -c "$dir/srv/img.raw" >"$dir/srv/img.gz"
cp "$dir/srv/img.raw" "$dir/img.raw"
touch "$dir/disk1" "$dir/disk2"	# the nodes' disks exist; ni never creates one
for _ in 1 2 3; do
	hport=$(port)
	(cd "$dir/srv" && exec /usr/bin/python3 -m http.server "$hport" --bind 127.0.0.1) \
		>/dev/null 2>&1 &
	pids+=($!)
	wait_tcp "$hport" && break
done
mport=$(port)
cat >"$dir/springos.ini" <<INI
[testbed]
db = $dir/erm.db
state_dir = $dir
mgmt_address = 127.0.0.1
[master]
listen = 127.0.0.1:$mport
image_url = http://127.0.0.1:$hport
INI
export SPRINGOS_CONF=$dir/springos.ini
sos() { "$bin/springos" "$@"; }

plan 36

sos db init >/dev/null
sos node add n01 mac=02:00:00:00:01:00 ip=10.99.0.11 >/dev/null
sos node add n02 mac=02:00:00:00:02:00 ip=10.99.0.12 >/dev/null
(cd "$dir/srv" && sos image add img.gz img.gz >/dev/null && sos image add img.raw img.raw >/dev/null)

"$bin/master" -f -c "$dir/springos.ini" 2>"$dir/master.log" &
mpid=$!
pids+=($mpid)
wait_tcp "$mport"
api=http://127.0.0.1:$mport
is "$(curl -s $api/api/v1/health | jq -c .)" '{"ok":true,"api":"v1"}' "master answers /api/v1/health"
check "master created its secret, mode 600" test "$(stat -c %a "$dir/master.secret")" = 600

key=$(cat "$dir/master.secret")
tok() { # tok NODE [EXPERIMENT]: NODE.HMAC("ID:EXPERIMENT"), computed with openssl
	local id
	id=$(sqlite3 "$dir/erm.db" "select id from nodes where name = '$1'")
	printf '%s.%s' "$1" "$(printf '%s:%s' "$id" "${2:-}" |
		openssl dgst -sha256 -hmac "$key" | awk '{print $NF}')"
}
t1=$(tok n01)
t2=$(tok n02)
code() { curl -s -o "$dir/body" -w '%{http_code}' "$@"; }
snap() { sqlite3 "$dir/erm.db" 'select name, boot, state from nodes; select * from install_plans'; }

is "$(code -H "Authorization: Bearer $t1" $api/api/v1/ni/plan)" 204 "valid token, no plan: 204"

"$bin/springos" node reimage n01 --image img.gz --disk "$dir/disk1" --no-power --no-wait \
	>"$dir/r1.out" 2>&1
is "$?" 0 "reimage records a plan (no power, no wait)"
is "$(sos --json node show n01 | jq -r .boot)" install "  and sets boot mode install"

before=$(snap)
bad_t1=${t1:0:10}$([[ ${t1:10:1} == a ]] && echo b || echo a)${t1:11}
for path in plan progress result; do
	m=GET; [[ $path == plan ]] || m=POST
	is "$(code -X $m $api/api/v1/ni/$path -d '{}')" 401 "$path: no token: 401"
	is "$(code -X $m -H "Authorization: Bearer $bad_t1" $api/api/v1/ni/$path \
		-d '{"id":1,"ok":true}')" 401 "$path: tampered token: 401"
done
is "$(code -H "Authorization: Bearer n02.${t1#n01.}" $api/api/v1/ni/plan)" 401 \
	"n01's MAC under n02's name: 401"
is "$(code -H "Authorization: Bearer $(tok n01 exp1)" $api/api/v1/ni/plan)" 401 \
	"token for another experiment: 401"
is "$(code -H "Authorization: Basic $t1" $api/api/v1/ni/plan)" 401 "not a Bearer token: 401"
is "$(code -X POST -H "Authorization: Bearer $bad_t1" $api/api/v1/ni/result \
	-d '{"id":1,"ok":true,"sha256":""}')" 401 "forged success: 401"
is "$(snap)" "$before" "the refused calls changed nothing in the database"
like "$(cat "$dir/body")" '^\{"error": ?"unauthorized"\}' "401 body says nothing more"

is "$(code -H "Authorization: Bearer $t1" $api/api/v1/ni/plan)" 200 "valid token: plan 200"
id=$(jq -r .id "$dir/body")
is "$(jq -r '.url + " " + .format' "$dir/body")" "http://127.0.0.1:$hport/img.gz gzip" \
	"plan carries URL and format of the image"
is "$(code -X POST -H "Authorization: Bearer $t1" $api/api/v1/ni/progress \
	-d "{\"id\":$((id + 100)),\"state\":\"writing\"}")" 409 "progress for a stale plan: 409"
is "$(code -X POST -H "Authorization: Bearer $t1" $api/api/v1/ni/progress -d '{"id":')" 400 \
	"malformed JSON: 400"
is "$(code -X POST -H "Authorization: Bearer $t1" $api/api/v1/ni/plan -d '{}')" 405 \
	"wrong method: 405"
is "$(code -X POST -H "Authorization: Bearer $t1" $api/api/v1/ni/progress \
	-d "{\"id\":$id,\"state\":\"writing\",\"percent\":33,\"bytes\":1000,\"rate\":5e6}")" 200 \
	"progress recorded"
is "$(sqlite3 "$dir/erm.db" "select state, percent, bytes from install_plans where id=$id")" \
	"writing|33|1000" "  in the database"
is "$(code -X POST -H "Authorization: Bearer $t1" $api/api/v1/ni/result \
	-d "{\"id\":$id,\"ok\":false,\"reason\":\"disk on fire\"}")" 200 "failure result accepted"
is "$(sos --json node show n01 | jq -r '.boot + " " + .state')" "install install-failed" \
	"  node stays in install"

# The real ni, through the master.
timeout 60 "$bin/ni" -q --master "$api" --token "$t1" --no-dhcp --no-reboot --retries 1 \
	2>"$dir/ni1.err"
is "$?" 0 "ni installs through the master"
check "  the disk equals the image" cmp -s "$dir/disk1" "$dir/img.raw"
is "$(sos --json node show n01 | jq -r '.boot + " " + .state')" "local installed" \
	"  master set boot local, state installed"
is "$(code -H "Authorization: Bearer $t1" $api/api/v1/ni/plan)" 204 "  and has no plan left"

# A raw image: its catalogue SHA-256 must match what ni reports.
"$bin/springos" node reimage n02 --image img.raw --disk "$dir/disk2" --no-power --no-wait >/dev/null
code -H "Authorization: Bearer $t2" $api/api/v1/ni/plan >/dev/null
id2=$(jq -r .id "$dir/body")
is "$(code -X POST -H "Authorization: Bearer $t2" $api/api/v1/ni/result \
	-d "{\"id\":$id2,\"ok\":true,\"sha256\":\"$(printf '%064d' 0)\"}"; jq -r .boot "$dir/body")" \
	"200install" "a success with the wrong sha256 is recorded as a failure"

# node reimage follows ni to the end; the first attempt fails (image not
# there yet), ni retries after its back-off and succeeds.
"$bin/springos" node reimage n02 --url "http://127.0.0.1:$hport/late.gz" --disk "$dir/disk2" \
	--no-power --attempts 3 --timeout 60 >"$dir/watch.out" 2>&1 &
wpid=$!
pids+=($wpid)
sleep 1
timeout 60 "$bin/ni" --master "$api" --token "$t2" --no-dhcp --no-reboot --retries 3 \
	2>"$dir/ni2.err" &
nipid=$!
pids+=($nipid)
for _ in $(seq 100); do
	[[ $(sqlite3 "$dir/erm.db" "select attempts from install_plans p join nodes n on n.id = p.node_id where n.name='n02'") == 1 ]] && break
	sleep 0.1
done
cp "$dir/srv/img.gz" "$dir/srv/late.gz"
wait $nipid
is "$?" 0 "ni retried after the failure and installed"
like "$(cat "$dir/ni2.err")" "retrying in 2 s" "  after a 2 s back-off"
wait $wpid
is "$?" 0 "node reimage exits 0 once the node is installed"
like "$(cat "$dir/watch.out")" "failed +.*attempt 1: fetch" "  it showed the failed attempt"
like "$(cat "$dir/watch.out")" "n02 +done +100%" "  and the node done"
