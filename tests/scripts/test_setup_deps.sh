#!/usr/bin/env bash
# Test of scripts/setup-deps on its install path, without installing anything: apt-get, dpkg-query,
# debconf-set-selections, pgrep and id are stubs first on PATH, and policy-rc.d is a file in a
# temporary directory (SETUP_DEPS_POLICY_RC).  The stub dpkg knows the packages the stub apt-get
# "installed".  Checks the exit status of a first install with and without a policy-rc.d that the
# machine already has (which must be kept as it is) and that ours is in place during the install
# and gone after it, even when the install fails; then the idempotent and --check paths.
# Needs no root and no network.  Prints one line per check; exits 1 if any failed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; failed=1; }
check() {   # description command...: ok when the command succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}

# --- stubs -----------------------------------------------------------------------------------
bin="$tmp/bin"
mkdir -p "$bin"
cat >"$bin/dpkg-query" <<'EOF'
#!/usr/bin/env bash
# dpkg-query -W -f='${Status}' PKG: installed when the stub apt-get installed it
pkg=${!#}
if grep -qxF -- "$pkg" "$STUB_STATE/installed" 2>/dev/null; then printf 'install ok installed'; exit 0; fi
echo "dpkg-query: no packages found matching $pkg" >&2
exit 1
EOF
cat >"$bin/apt-get" <<'EOF'
#!/usr/bin/env bash
# Records the call; "install" records whether policy-rc.d forbids starting services right now,
# then marks each package installed unless it is listed in $STUB_STATE/uninstallable.
echo "apt-get $*" >>"$STUB_STATE/apt.log"
[[ " $* " == *" install "* ]] || exit 0
if [[ -x $SETUP_DEPS_POLICY_RC ]]; then
    "$SETUP_DEPS_POLICY_RC" nginx start
    echo "policy-rc.d during install: exit $?" >>"$STUB_STATE/apt.log"
else
    echo "policy-rc.d during install: absent" >>"$STUB_STATE/apt.log"
fi
for a in "$@"; do
    [[ $a == -* || $a == install || $a == Dpkg::* ]] && continue
    grep -qxF -- "$a" "$STUB_STATE/uninstallable" 2>/dev/null && continue
    echo "$a" >>"$STUB_STATE/installed"
done
EOF
cat >"$bin/debconf-set-selections" <<'EOF'
#!/bin/sh
cat >>"$STUB_STATE/debconf"
EOF
cat >"$bin/pgrep" <<'EOF'
#!/bin/sh
# no daemons: the test must never see, let alone signal, a real process
exit 1
EOF
cat >"$bin/id" <<'EOF'
#!/bin/sh
if [ "$1" = -u ]; then echo 0; else exec /usr/bin/id "$@"; fi
EOF
chmod 755 "$bin"/*

export STUB_STATE="$tmp/state"
export SETUP_DEPS_POLICY_RC="$tmp/policy-rc.d"

fresh() {   # a machine without any of the packages
    rm -rf "$STUB_STATE" "$SETUP_DEPS_POLICY_RC"
    mkdir -p "$STUB_STATE"
    : >"$STUB_STATE/installed"
}

run() {   # runs setup-deps with the stubs; sets rc and err
    PATH="$bin:$PATH" "$repo/scripts/setup-deps" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"
    rc=$?
    err=$(cat "$tmp/err")
}

# --- 1. first install, no policy-rc.d on the machine -------------------------------------------
fresh
run
check "install without a policy-rc.d: exit 0 (got $rc)" test "$rc" -eq 0
check "install without a policy-rc.d: says done" grep -q 'setup-deps: done' "$tmp/err"
check "apt-get update, then install" grep -q '^apt-get install' "$STUB_STATE/apt.log"
check "our policy-rc.d forbids services during the install (exit 101)" \
    grep -qx 'policy-rc.d during install: exit 101' "$STUB_STATE/apt.log"
check "our policy-rc.d is removed afterwards" test ! -e "$SETUP_DEPS_POLICY_RC"
check "postfix is preseeded (no configuration)" grep -q 'main_mailer_type select No configuration' "$STUB_STATE/debconf"

# --- 2. first install, the machine has its own policy-rc.d -------------------------------------
fresh
printf '#!/bin/sh\n# the machine image'"'"'s own\nexit 101\n' >"$SETUP_DEPS_POLICY_RC"
chmod 755 "$SETUP_DEPS_POLICY_RC"
cp -p "$SETUP_DEPS_POLICY_RC" "$tmp/policy.orig"
run
check "install with a pre-existing policy-rc.d: exit 0 (got $rc; stderr: ${err##*$'\n'})" test "$rc" -eq 0
check "install with a pre-existing policy-rc.d: says done" grep -q 'setup-deps: done' "$tmp/err"
check "the pre-existing policy-rc.d is kept unchanged" cmp -s "$SETUP_DEPS_POLICY_RC" "$tmp/policy.orig"
check "the pre-existing policy-rc.d stays executable" test -x "$SETUP_DEPS_POLICY_RC"

# --- 3. nothing missing: no apt-get at all, exit 0 ----------------------------------------------
rm -f "$STUB_STATE/apt.log"
run
check "second run: exit 0 (got $rc)" test "$rc" -eq 0
check "second run: apt-get not called" test ! -e "$STUB_STATE/apt.log"
run --check
check "--check with everything installed: exit 0 (got $rc)" test "$rc" -eq 0

# --- 4. --check on a fresh machine ---------------------------------------------------------------
fresh
run --check
check "--check with packages missing: exit 1 (got $rc)" test "$rc" -eq 1
check "--check names what is missing" grep -q 'missing: .*libcsv-dev' "$tmp/err"
check "--check installs nothing" test ! -e "$STUB_STATE/apt.log"

# --- 5. a package apt-get cannot install: exit 1, and our policy-rc.d still removed ---------------
fresh
echo libcsv-dev >"$STUB_STATE/uninstallable"
run
check "a package still missing after the install: exit 1 (got $rc)" test "$rc" -eq 1
check "it is named" grep -q 'still missing: libcsv-dev' "$tmp/err"
check "our policy-rc.d is removed after a failed install" test ! -e "$SETUP_DEPS_POLICY_RC"

if [[ $failed -ne 0 ]]; then echo "test_setup_deps: FAILED"; exit 1; fi
echo "test_setup_deps: passed"
