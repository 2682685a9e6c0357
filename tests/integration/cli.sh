#!/usr/bin/env bash
# bootkeeperd's command line as an administrator uses it: help, import/export, tokens, db check,
# configuration, and a clean stop on SIGTERM.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
DATA="$here/../data"
DB="$WORK/bk.db"
mkdir -p "$WORK/images"

expect_exit 0 "--help works" -- "$BK" --help
expect_out "inventory" "--help lists the subcommands"
for sub in "inventory import" "inventory export" "token create" "db check"; do
  expect_exit 0 "$sub --help works" -- "$BK" $sub --help
done

cat >"$WORK/lab.json" <<'JSON'
{"subnets":  [{"name": "lab", "network": "198.18.0.0/24", "gateway": "198.18.0.1",
               "dns": ["198.18.0.1"], "domain": "lab.test", "next_server": "198.18.0.1",
               "pool": {"start": "198.18.0.100", "end": "198.18.0.199"},
               "default_image": "lab-bios", "options": {}}],
 "images":   [{"name": "lab-bios", "kind": "pxelinux", "boot_file": "pxelinux.0",
               "kernel": "vmlinuz", "initrd": "initrd.gz", "cmdline": "console=ttyS0",
               "root_path": "/srv/root"}],
 "machines": [{"mac": "52:54:00:12:34:56", "hostname": "ws01", "ip": "198.18.0.50",
               "image": "lab-bios", "group": "room-a", "enabled": true,
               "options": {"root-path": "/srv/nfs/ws01"}}]}
JSON

expect_exit 0 "dry run of the design's example document" -- "$BK" --db "$DB" inventory import --dry-run "$WORK/lab.json"
expect_out "machines\[0\] \(machine 52:54:00:12:34:56\): create" "dry run reports each row"
expect_out "dry run: nothing was written" "dry run says it wrote nothing"
"$BK" --db "$DB" inventory export >"$WORK/empty.json"
expect_exit 0 "empty export after the dry run" -- grep -q '"machines": \[\]' "$WORK/empty.json"

expect_exit 0 "import the document" -- "$BK" --db "$DB" inventory import "$WORK/lab.json"
"$BK" --db "$DB" inventory export >"$WORK/one.json"
"$BK" --db "$WORK/two.db" inventory import "$WORK/one.json" >/dev/null
"$BK" --db "$WORK/two.db" inventory export >"$WORK/two.json"
expect_exit 0 "export -> import -> export is byte-identical" -- cmp "$WORK/one.json" "$WORK/two.json"
expect_exit 0 "options by name are exported by code" -- grep -q '"17": "/srv/nfs/ws01"' "$WORK/one.json"

printf 'mac,hostname,ip,image,group,enabled\n5254.0000.0001,ws02,198.18.0.51,lab-bios,room-b,yes\n52-54-00-00-00-02,ws03,198.18.0.52,,room-b,no\n' >"$WORK/m.csv"
expect_exit 0 "CSV import" -- "$BK" --db "$DB" inventory import "$WORK/m.csv"
"$BK" --db "$DB" inventory export >"$WORK/three.json"
expect_exit 0 "CSV MACs stored canonically" -- grep -q '"mac": "52:54:00:00:00:02"' "$WORK/three.json"

printf 'mac,hostname,ip\n52:54:00:00:00:03,ws04,198.18.0.53\n52:54:00:00:00:04,ws_05,198.18.0.150\n' >"$WORK/bad.csv"
expect_exit 1 "a CSV with a bad row is refused" -- "$BK" --db "$DB" inventory import "$WORK/bad.csv"
expect_out "line 3 \(machine 52:54:00:00:00:04\): error" "the report names the line"
expect_out "hostname is not a valid host name" "the report names the field"
expect_out "ip is inside the pool" "the report names every problem of the row"
expect_out "nothing was imported" "the refusal says nothing was imported"
"$BK" --db "$DB" inventory export >"$WORK/four.json"
expect_exit 0 "nothing of the bad CSV was written" -- cmp "$WORK/three.json" "$WORK/four.json"

expect_exit 0 "bootptab import" -- "$BK" --db "$WORK/bootptab.db" inventory import --from bootptab "$DATA/bootptab.example"
expect_exit 0 "dnsmasq import" -- "$BK" --db "$WORK/dnsmasq.db" inventory import --from dnsmasq "$DATA/dnsmasq.conf.example"

expect_exit 0 "token create" -- "$BK" --db "$DB" token create --role operator --name ci
expect_out "^bk_[A-Za-z0-9_-]{40,}$" "token printed once, alone on its line"
expect_exit 1 "a second token of the same name is refused" -- "$BK" --db "$DB" token create --role admin --name ci
expect_exit 2 "an unknown role is refused" -- "$BK" --db "$DB" token create --role root

expect_exit 0 "db check" -- "$BK" --db "$DB" db check
expect_out "machines 3" "db check counts rows"
expect_out "^ok$" "db check says ok"

# Configuration: the file is read, flags win, mistakes name the line.
cat >"$WORK/bk.toml" <<TOML
db = "$WORK/from-config.db"
images = "$WORK/images"
[api]
listen = "127.0.0.1:18067"
TOML
"$BK" --config "$WORK/bk.toml" db check >/dev/null
expect_exit 0 "the config file's db is used" -- test -f "$WORK/from-config.db"
"$BK" --config "$WORK/bk.toml" --db "$WORK/from-flag.db" db check >/dev/null
expect_exit 0 "a flag wins over the config file" -- test -f "$WORK/from-flag.db"
printf 'db = "x.db"\n[bootp]\nlisten = "0.0.0.0:67"\ninterfacs = ["eth1"]\n' >"$WORK/typo.toml"
expect_exit 1 "an unknown config key is refused" -- "$BK" --config "$WORK/typo.toml" db check
expect_out "typo.toml:4: unknown key bootp.interfacs" "the refusal names file, line and key"

# The daemon stops cleanly on SIGTERM.
"$BK" --db "$WORK/daemon.db" --images "$WORK/images" --no-bootp --no-tftp --no-api >"$WORK/daemon.log" 2>&1 &
pid=$!
on_exit "kill $pid"
wait_ready "$WORK/daemon.log" "$pid"
kill -TERM "$pid"
wait "$pid"
expect_exit 0 "SIGTERM: exit status 0" -- test $? -eq 0
OUT="$(cat "$WORK/daemon.log")"
expect_out "stopped" "SIGTERM: the daemon says it stopped"

finish
