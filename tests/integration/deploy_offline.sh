#!/usr/bin/env bash
# What can be checked of the Kubernetes deployment without a cluster or a container engine:
#   1. deploy/shard-args maps each scheduler's variables onto --shard I/N (Slurm array, Indexed
#      Job, explicit), with precedence, and refuses what would scan the wrong shard;
#   2. the manifests parse (python3 yaml); the shard count is set once (the Indexed Job's
#      completions): kustomization.yaml copies it into MTASTS_SHARD_COUNT (checked on the output of
#      `kubectl kustomize` when kubectl is installed, else on the replacement itself), the merge job
#      has no N; every script a container runs is shipped by the Dockerfile;
#   3. the Indexed Job run by hand: four "pods" (JOB_COMPLETION_INDEX=0..3, MTASTS_SHARD_COUNT=4)
#      run the container's command (deploy/scan-shard) against a loopback DNS server, then the
#      merge job's command (deploy/merge-shards, N from the shards' names) merges and proves every
#      line exactly once; a missing shard, or shards of two counts, fail the merge;
#   4. the Dockerfile's runtime stage is debian:12 and its apt packages exist on Debian 12 and
#      provide every shared library build/mtasts-scan links (ldd + dpkg -S).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:?usage: deploy_offline.sh path/to/mtasts-scan}")
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- 1. shard-args ------------------------------------------------------------------------
sa=$repo/deploy/shard-args
expect() {   # expect WANT VAR=VALUE...   (WANT "exit2" = must refuse)
    local want=$1 got rc=0
    shift
    got=$(env -i PATH="$PATH" "$@" "$sa" 2>/dev/null) || rc=$?
    if [ "$want" = exit2 ]; then
        [ $rc -eq 2 ] || bad "shard-args $* gave '$got' (rc $rc), want a refusal"
    else
        [ $rc -eq 0 ] && [ "$got" = "$want" ] || bad "shard-args $* gave '$got' (rc $rc), want $want"
    fi
}
expect 0/4 SLURM_ARRAY_TASK_ID=0 SLURM_ARRAY_TASK_COUNT=4
expect 3/4 SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=4
expect 2/4 SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=1 MTASTS_SHARD_COUNT=4   # task re-run alone
expect 7/10 JOB_COMPLETION_INDEX=7 MTASTS_SHARD_COUNT=10
expect 1/3 MTASTS_SHARD_INDEX=1 MTASTS_SHARD_COUNT=3 JOB_COMPLETION_INDEX=2       # explicit wins
expect 0/1 JOB_COMPLETION_INDEX=0 MTASTS_SHARD_COUNT=1
expect exit2 JOB_COMPLETION_INDEX=4 MTASTS_SHARD_COUNT=4                          # index >= N
expect exit2 JOB_COMPLETION_INDEX=1                                               # N unknown
expect exit2 SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=4
expect exit2 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=0
expect exit2 JOB_COMPLETION_INDEX=-1 MTASTS_SHARD_COUNT=4
expect exit2                                                                      # nothing set
# scan-job.yaml applied without its kustomization: the placeholder is refused, not scanned
expect exit2 JOB_COMPLETION_INDEX=0 "MTASTS_SHARD_COUNT=$(python3 -c '
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
print(next(e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"] if e["name"] == "MTASTS_SHARD_COUNT"))
' "$repo/deploy/k8s/scan-job.yaml")"

# ---- 2. manifests ---------------------------------------------------------------------------
KUBECTL=$(command -v kubectl || true) python3 - "$repo" <<'EOF' || fail=1
import os, re, sys, yaml
repo = sys.argv[1]
fail = []
docs = {}
for name in sorted(os.listdir(f"{repo}/deploy/k8s")):
    if name.endswith(".yaml"):
        for d in yaml.safe_load_all(open(f"{repo}/deploy/k8s/{name}")):
            docs[(d["kind"], d.get("metadata", {}).get("name"))] = (name, d)
scan = docs[("Job", "mtasts-scan")][1]["spec"]
merge = docs[("Job", "mtasts-merge")][1]["spec"]
if scan.get("completionMode") != "Indexed":
    fail.append("scan job is not completionMode: Indexed")
c = scan["template"]["spec"]["containers"][0]
n = scan["completions"]
if scan.get("parallelism", n) > n:
    fail.append("parallelism above completions")
# the one shard count: completions, copied by kustomization.yaml into the pods' environment
kz = yaml.safe_load(open(f"{repo}/deploy/k8s/kustomization.yaml"))
target = "spec.template.spec.containers.[name=scan].env.[name=MTASTS_SHARD_COUNT].value"
if not any(r["source"].get("name") == "mtasts-scan" and r["source"]["fieldPath"] == "spec.completions"
           and any(t["select"].get("name") == "mtasts-scan" and target in t["fieldPaths"] for t in r["targets"])
           for r in kz.get("replacements", [])):
    fail.append("kustomization.yaml does not copy spec.completions into MTASTS_SHARD_COUNT")
if os.environ.get("KUBECTL"):
    import subprocess
    rendered = list(yaml.safe_load_all(subprocess.run([os.environ["KUBECTL"], "kustomize", f"{repo}/deploy/k8s"],
                                                      capture_output=True, text=True, check=True).stdout))
    job = next(d for d in rendered if d["kind"] == "Job")
    env = {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    if env.get("MTASTS_SHARD_COUNT") != str(n):
        fail.append(f"kubectl kustomize: MTASTS_SHARD_COUNT {env.get('MTASTS_SHARD_COUNT')!r}, want '{n}' (a string)")
    else:
        print(f"kubectl kustomize: MTASTS_SHARD_COUNT {env['MTASTS_SHARD_COUNT']!r} = completions")
m = merge["template"]["spec"]["containers"][0]
if len(m["args"]) != 2:
    fail.append(f"merge job args {m['args']}: INPUT OUTDIR only (N comes from the shards' names)")
if scan["template"]["spec"]["restartPolicy"] != "Never" or merge["template"]["spec"]["restartPolicy"] != "Never":
    fail.append("restartPolicy must be Never (a restarted container would rescan into the same files)")
dockerfile = open(f"{repo}/Dockerfile").read()
for cont in (c, m):
    for path in cont["command"] + [a for a in cont.get("args", []) if a.startswith("/opt/")]:
        rel = path.replace("/opt/mtasts-scan/", "")
        if not os.path.exists(f"{repo}/{rel}"):
            fail.append(f"{path}: no {rel} in the repository")
        if rel not in dockerfile:
            fail.append(f"{path}: the Dockerfile does not copy {rel}")
claims = {v["persistentVolumeClaim"]["claimName"] for j in (scan, merge) for v in j["template"]["spec"]["volumes"]}
if claims != {"mtasts-data"} or ("PersistentVolumeClaim", "mtasts-data") not in docs:
    fail.append(f"volumes {claims} do not match the PersistentVolumeClaim")
for r in kz["resources"]:
    if not os.path.exists(f"{repo}/deploy/k8s/{r}"):
        fail.append(f"kustomization lists a missing {r}")
for f in fail:
    print("FAIL:", f)
print(f"manifests: {len(docs)} documents parse; Indexed Job of {n} completions, the one shard count")
sys.exit(1 if fail else 0)
EOF

# ---- 3. the Indexed Job by hand -------------------------------------------------------------
python3 - "$tmp" <<'EOF'
import sys
tmp = sys.argv[1]
zone, lines = [], ["rank,domain"]
for i in range(1, 41):
    if i % 2:
        zone += [f"d{i}.k8s.test MX 10 mx.k8s.test", f"_mta-sts.d{i}.k8s.test TXT v=STSv1; id={i}"]
    lines.append(f"{i},d{i}.k8s.test")
lines.append("41,not a domain")
open(f"{tmp}/zone", "w").write("\n".join(zone) + "\n")
open(f"{tmp}/input.csv", "w").write("\n".join(lines) + "\n")
EOF
python3 "$here/dns_logger.py" "$tmp/zone" "$tmp/port" "$tmp/dns.log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
for i in 0 1 2 3; do
    env -i PATH="$PATH" HOME="$tmp" JOB_COMPLETION_INDEX=$i MTASTS_SHARD_COUNT=4 MTASTS_BIN="$bin" \
        "$repo/deploy/scan-shard" "$tmp/input.csv" "$tmp/out" --dns-only --rate 0 \
        --resolver "127.0.0.1:$(cat "$tmp/port")" --timeout 5 \
        --blocklist "$repo/datasets/optout.blocklist" || bad "pod $i: scan-shard exit $?"
done
if MTASTS_BIN="$bin" "$repo/deploy/merge-shards" "$tmp/input.csv" "$tmp/out"; then   # N from the names
    [ "$(cat "$tmp/out/merge.status")" = ok ] || bad "merge.status: $(cat "$tmp/out/merge.status")"
    rows=$(zstd -dc "$tmp/out/all.csv.zst" | tail -n +2 | wc -l)
    [ "$rows" = 41 ] || bad "merged table has $rows rows, want 41"
    n_sts=$(zstd -dc "$tmp/out/all.csv.zst" | grep -c ',sts_unchecked,' || true)
    [ "$n_sts" = 20 ] || bad "$n_sts sts_unchecked rows, want 20"
else
    bad "merge-shards failed: $(cat "$tmp/out/merge.status" 2>/dev/null)"
fi
# a shard missing: the merge must fail and say so, with N given (Slurm) or read from the names
rm "$tmp/out/shard-00002-of-00004.csv.zst"
for nn in 4 ""; do
    if MTASTS_BIN="$bin" "$repo/deploy/merge-shards" "$tmp/input.csv" "$tmp/out" $nn >/dev/null 2>&1; then
        bad "merge-shards ${nn:-(N from names)} succeeded with a shard missing"
    fi
    grep -q '^failed: 3 shard tables' "$tmp/out/merge.status" || bad "merge.status with a shard missing: $(cat "$tmp/out/merge.status")"
done
# shards of two scans (of-00004 and of-00008) in one OUTDIR: no N can be read from the names
cp "$tmp/out/shard-00001-of-00004.csv.zst" "$tmp/out/shard-00001-of-00008.csv.zst"
if MTASTS_BIN="$bin" "$repo/deploy/merge-shards" "$tmp/input.csv" "$tmp/out" >/dev/null 2>&1; then
    bad "merge-shards succeeded with shards of two counts"
fi
grep -q 'different scans' "$tmp/out/merge.status" || bad "merge.status with two counts: $(cat "$tmp/out/merge.status")"

# ---- 4. Dockerfile ---------------------------------------------------------------------------
python3 - "$repo/Dockerfile" "$bin" <<'EOF' || fail=1
import re, subprocess, sys
text, binary = open(sys.argv[1]).read(), sys.argv[2]
fail = []
stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
if stages != ["debian:12", "debian:12"]:
    fail.append(f"stages {stages}, want debian:12 twice")
if "scripts/setup-deps" not in text:
    fail.append("the build stage does not install with scripts/setup-deps")
runtime = text.split("\nFROM debian:12\n", 1)[1]
m = re.search(r"--no-install-recommends\s+(.*?)\s*\\\s*\n\s*&& rm", runtime, re.S)
pkgs = m.group(1).replace("\\", " ").split() if m else []
shown = subprocess.run(["apt-cache", "show", "--no-all-versions"] + pkgs, capture_output=True,
                       text=True).stdout
known = set(re.findall(r"^Package: (\S+)", shown, re.M))
for p in pkgs:
    if p not in known:
        fail.append(f"runtime package {p} does not exist on Debian 12")
need = set()
for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
    mm = re.search(r"=>\s+(\S+)", line)
    if not mm:
        continue
    path = subprocess.run(["realpath", mm.group(1)], capture_output=True, text=True).stdout.strip()
    owner = ""
    for candidate in (path, path.replace("/usr/lib/", "/lib/", 1)):
        r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if r.returncode == 0:
            owner = r.stdout.split(":")[0]
            break
    need.add(owner or path)
essential = {"libc6", "libgcc-s1"}
if any(p.startswith("libasan") for p in need):
    # a sanitizer build (ctest in build-asan): its runtimes never reach the Release image
    need = {p for p in need if not p.startswith(("libasan", "libubsan")) and p != "libstdc++6"}
missing = sorted(need - set(pkgs) - essential)
if missing:
    fail.append(f"the binary links libraries from {missing}, not installed by the runtime stage")
for f in fail:
    print("FAIL:", f)
print(f"Dockerfile: runtime packages {pkgs} cover the binary's libraries {sorted(need)}")
sys.exit(1 if fail else 0)
EOF

[ $fail = 0 ] && echo "deploy_offline: shard mapping, manifests, Indexed Job by hand and the Dockerfile's packages check out"
exit $fail
