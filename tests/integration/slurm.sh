#!/usr/bin/env bash
# The Slurm scale-out for real: a single-node Slurm (scripts/slurm/local-cluster: its own munged,
# slurmctld and slurmd, config, ports and state in a temporary directory, stopped by the EXIT
# trap even on failure) runs scripts/slurm/submit's 4-task array over a 60-line list against a
# real knotd on loopback, and the dependent merge job (mtasts-scan merge + deploy/check-once).
# Asserted: the merge job reports ok; 4 shard tables with 4 metadata files, each task a distinct
# shard, disjoint and together the whole input; the merged table holds every input line exactly
# once with the verdict the zone was generated for (including an input_invalid line and a domain
# on the --blocklist the shards share).  Then: submit refuses an OUTDIR that already holds
# shards, and when array tasks fail the merge job never runs (Slurm cancels it).
# Needs root, slurm-wlm, munge and knot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:?usage: slurm.sh path/to/mtasts-scan}")
. "$here/knot_env.sh"
tmp=$(mktemp -d)
chmod 711 "$tmp"   # munged (user munge) must reach its key under it
cluster=$tmp/cluster
cleanup() {
    "$repo/scripts/slurm/local-cluster" down "$cluster" >/dev/null 2>&1 || true
    knot_stop
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 143' INT TERM   # so that a timeout or ^C still runs cleanup

# A zone whose every domain has a known verdict under --dns-only.
python3 - "$tmp" <<'EOF'
import sys
tmp = sys.argv[1]
zone = ["$ORIGIN sl.test.", "$TTL 300", "@ SOA ns.sl.test. h.sl.test. 1 3600 600 86400 300",
        "@ NS ns.sl.test.", "ns A 127.0.0.1", "mx A 127.0.0.1"]
lines = ["rank,domain", "# a comment line, skipped"]
expected = []
rank = 0
for i in range(1, 60):
    rank += 1
    d = f"d{i}.sl.test"
    kind = i % 4
    if kind == 0:
        zone += [f"d{i} MX 10 mx.sl.test.", f'_mta-sts.d{i} TXT "v=STSv1; id={i}"']
        verdict = "sts_unchecked"
    elif kind == 1:
        zone += [f"d{i} MX 10 mx.sl.test."]
        verdict = "not_deployed"
    elif kind == 2:
        zone += [f"d{i} MX 0 ."]
        verdict = "no_mail"
    else:
        verdict = "no_mail"            # NXDOMAIN: no MX and no address
    if i == 7:
        verdict = "excluded"           # on the blocklist below
    lines.append(f"{rank},{d}")
    expected.append((rank, d, verdict))
rank += 1
lines.append(f"{rank},not_a_domain!")
expected.append((rank, "not_a_domain!", "input_invalid"))
open(f"{tmp}/sl.zone", "w").write("\n".join(zone) + "\n")
open(f"{tmp}/input.csv", "w").write("\n".join(lines) + "\n")
open(f"{tmp}/expected.csv", "w").write("".join(f"{r},{d},{v}\n" for r, d, v in expected))
open(f"{tmp}/optout.blocklist", "w").write("# test opt-out\nd7.sl.test\n")
EOF
knot_start "$tmp/sl.zone"

"$repo/scripts/slurm/local-cluster" up "$cluster"
eval "$("$repo/scripts/slurm/local-cluster" env "$cluster")"

out=$tmp/out
read -r array merge < <("$repo/scripts/slurm/submit" -n 4 --bin "$bin" "$tmp/input.csv" "$out" -- \
    --dns-only --resolver "127.0.0.1:$KNOT_PORT" --timeout 5 --dns-timeout 2 --rate 0 \
    --blocklist "$tmp/optout.blocklist")
echo "submitted array job $array, merge job $merge"
until=$((SECONDS + 180))
while [ ! -s "$out/merge.status" ] && [ $SECONDS -lt $until ]; do sleep 1; done
squeue || true

fail=0
status=$(cat "$out/merge.status" 2>/dev/null || echo "no status (merge job did not run)")
[ "$status" = ok ] || { echo "FAIL: merge job: $status"; cat "$out"/logs/* 2>/dev/null | tail -n 40; fail=1; }
python3 - "$tmp" "$out" "$array" <<'EOF' || fail=1
import csv, glob, io, json, subprocess, sys
tmp, out, array = sys.argv[1:4]
fail = []
def rows(path):
    text = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout.decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))
metas = sorted(glob.glob(f"{out}/shard-*-of-00004.meta.json"))
shards = sorted(glob.glob(f"{out}/shard-*-of-00004.csv.zst"))
if len(metas) != 4 or len(shards) != 4:
    fail.append(f"{len(shards)} shard tables and {len(metas)} metadata files, want 4 and 4")
seen_idx, tasks = set(), set()
for m in metas:
    meta = json.load(open(m))
    seen_idx.add(meta["shard_index"])
    tasks.add(meta["scheduler"].get("SLURM_ARRAY_TASK_ID"))
    if meta["exit_code"] != 0 or meta["shard_count"] != 4 or meta["scheduler"].get("SLURM_ARRAY_JOB_ID") != array:
        fail.append(f"{m}: {meta}")
if seen_idx != {0, 1, 2, 3} or tasks != {"0", "1", "2", "3"}:
    fail.append(f"shard indexes {seen_idx}, array tasks {tasks}")
per_shard = [{(int(r["rank"]), r["domain"]) for r in rows(s)} for s in shards]
for i in range(len(per_shard)):
    if not per_shard[i]:
        fail.append(f"{shards[i]} is empty")
    for j in range(i + 1, len(per_shard)):
        if per_shard[i] & per_shard[j]:
            fail.append(f"shards {i} and {j} share rows {sorted(per_shard[i] & per_shard[j])[:3]}")
merged = rows(f"{out}/all.csv.zst")
got = sorted((int(r["rank"]), r["domain"], r["verdict"]) for r in merged)
want = sorted((int(r), d, v) for r, d, v in csv.reader(open(f"{tmp}/expected.csv")))
if got != want:
    diff = sorted(set(got) ^ set(want))[:10]
    fail.append(f"merged rows differ from the expected ones ({len(got)} vs {len(want)}): {diff}")
print(f"slurm: {len(shards)} shards of sizes {[len(s) for s in per_shard]}, "
      f"{len(merged)} merged rows, {len(want)} expected")
print(open(f"{out}/check-once.txt").read().strip())
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
EOF
# a second scan into the same OUTDIR is refused before anything is submitted
if "$repo/scripts/slurm/submit" -n 4 --bin "$bin" "$tmp/input.csv" "$out" -- --dns-only >/dev/null 2>&1; then
    echo "FAIL: submit accepted an OUTDIR that already holds shards"; fail=1
fi
# a failing task: the merge job must never run (afterok; Slurm cancels it)
read -r farray fmerge < <("$repo/scripts/slurm/submit" -n 2 --bin "$bin" "$tmp/input.csv" "$tmp/out-fail" -- \
    --no-such-option)
until=$((SECONDS + 60))
while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ $SECONDS -lt $until ]; do sleep 1; done
if [ -e "$tmp/out-fail/merge.status" ] || [ -e "$tmp/out-fail/all.csv.zst" ]; then
    echo "FAIL: the merge job ran although the array failed"; fail=1
fi
state=$(scontrol show job "$fmerge" 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
[ "$state" = JobState=CANCELLED ] || { echo "FAIL: merge job $fmerge after a failed array: '$state'"; fail=1; }
[ $fail = 0 ] && echo "slurm: a 4-task array on a real single-node Slurm merged to exactly the expected rows"
exit $fail
