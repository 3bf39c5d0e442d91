#!/usr/bin/env python3
"""
check.py: shows, with ordinary tools run inside the testnet namespace, that the servers behave as
truth.csv claims (scripts/testnet check).  For each selected domain it asks knot with kdig, fetches
the policy with curl --cacert, probes every MX with `openssl s_client -starttls smtp`, derives the
verdict and issue codes from what those tools saw (RFC 8461 / 8460 rules, independent of the
scanner and of the generator's bookkeeping) and compares them with truth.csv.

usage (inside the namespace): check.py [--per-scenario K | --all] [--show] DATA_DIR
  --show prints each domain's tool transcript (the evidence quoted in docs/testnet.md).
Exit status 1 when any observation differs from the truth.
"""

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter

# Per-tool time limit and DNS retries: scripts/testnet check raises them on a testnet with
# distance (up --wan), where a lost datagram or a slow host is not a fact about a domain.
TIMEOUT = int(os.environ.get("TESTNET_CHECK_TIMEOUT", "3"))
RETRY = int(os.environ.get("TESTNET_CHECK_RETRY", "0"))


def sh(args, timeout=TIMEOUT + 5):
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        return r.returncode, r.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return 124, "(timed out)"


def txt_strings(rdata):
    """Concatenates the character-strings of one TXT rdata as kdig prints it."""
    out, i = [], 0
    while i < len(rdata):
        if rdata[i] != '"':
            i += 1
            continue
        i += 1
        buf = bytearray()
        while i < len(rdata) and rdata[i] != '"':
            if rdata[i] == "\\" and rdata[i + 1:i + 4].isdigit():
                buf.append(int(rdata[i + 1:i + 4]))
                i += 4
            elif rdata[i] == "\\":
                buf += rdata[i + 1].encode()
                i += 2
            else:
                buf += rdata[i].encode()
                i += 1
        i += 1
        out.append(bytes(buf))
    return b"".join(out).decode("utf-8", errors="replace")


class Checker:
    def __init__(self, data, show):
        self.data = data
        self.ca = os.path.join(data, "ca.pem")
        self.show = show
        self.log = []
        self.mx_cache = {}

    def note(self, s):
        self.log.append(s)

    def dig(self, name, rtype):
        rc, out = sh(["kdig", "@127.0.0.1", "+time=%d" % TIMEOUT, "+retry=%d" % RETRY, name, rtype],
                     timeout=(TIMEOUT + 1) * (RETRY + 1) + 5)
        m = re.search(r"status: (\w+)", out)
        status = m.group(1) if m else "TIMEOUT"
        answers = []
        sect = False
        for line in out.splitlines():
            if line.startswith(";; ANSWER SECTION"):
                sect = True
                continue
            if sect:
                if not line.strip() or line.startswith(";;"):
                    break
                parts = line.split(None, 4)
                if len(parts) == 5 and parts[3] == rtype:
                    answers.append(parts[4])
        self.note("kdig %s %s -> %s %s" % (name, rtype, status, " | ".join(answers)))
        return status, answers

    # --- RFC parsers (deliberately small and independent of the scanner's) --------------------

    @staticmethod
    def candidates(records, version):
        """The records a sender counts: version, then spaces or tabs, then ';' (the ABNF's
        field-delim; erratum 6285, docs/codes.md), each with the text after that ';'."""
        pat = re.compile(re.escape(version) + r"[ \t]*;")
        return [r[m.end():] for r in records for m in [pat.match(r)] if m]

    @staticmethod
    def sts_txt(records):
        recs = Checker.candidates(records, "v=STSv1")
        if not recs:
            return "missing"
        if len(recs) > 1:
            return "multiple"
        fields = [f.strip() for f in recs[0].split(";") if f.strip()]
        kv = dict(f.split("=", 1) for f in fields if "=" in f)
        if not re.fullmatch(r"[A-Za-z0-9]{1,32}", kv.get("id", "")):
            return "invalid"
        return "ok"

    @staticmethod
    def tlsrpt_txt(records):
        recs = Checker.candidates(records, "v=TLSRPTv1")
        if not recs:
            return "missing"
        if len(recs) > 1:
            return "multiple"
        fields = [f.strip() for f in recs[0].split(";") if f.strip()]
        kv = dict(f.split("=", 1) for f in fields if "=" in f)
        uris = [u.strip() for u in kv.get("rua", "").split(",") if u.strip()]
        if not uris or any(not re.match(r"(mailto:|https:)", u) for u in uris):
            return "invalid"
        return "ok"

    @staticmethod
    def policy(body):
        """Returns (codes, mode, mx patterns, max_age) per RFC 8461 §3.2."""
        codes, mode, mx, max_age, version = [], None, [], None, None
        lines = body.replace("\r\n", "\n").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            if ":" not in line:
                codes.append("policy_syntax")
                continue
            k, v = line.split(":", 1)
            k, v = k.strip(), v.strip()
            if k == "version":
                version = v
            elif k == "mode":
                mode = v
            elif k == "mx":
                mx.append(v.lower())
            elif k == "max_age":
                max_age = v
        if version != "STSv1":
            codes.append("policy_version_invalid")
        if mode not in ("enforce", "testing", "none"):
            codes.append("policy_mode_invalid")
        if max_age is None or not re.fullmatch(r"[0-9]{1,10}", max_age) or int(max_age) > 31557600:
            codes.append("policy_max_age_invalid")
        elif int(max_age) < 86400:
            codes.append("policy_max_age_short")
        if mode in ("enforce", "testing") and not mx:
            codes.append("policy_mx_missing")
        return codes, mode, mx

    @staticmethod
    def covers(pattern, host):
        pattern, host = pattern.rstrip(".").lower(), host.rstrip(".").lower()
        if pattern.startswith("*."):
            return "." in host and host.split(".", 1)[1] == pattern[2:]
        return pattern == host

    # --- network observations ----------------------------------------------------------------

    def fetch(self, domain):
        host = "mta-sts." + domain
        url = "https://%s/.well-known/mta-sts.txt" % host
        # the body goes to this run's own file: a shared fixed path let two checks running at
        # once (two testnets, or CI beside a developer) read each other's policy bodies
        fd, body_path = tempfile.mkstemp(prefix="testnet-check-body.")
        os.close(fd)
        try:
            return self.fetch_into(url, body_path)
        finally:
            os.unlink(body_path)

    def fetch_into(self, url, body_path):
        rc, out = sh(["curl", "-sS", "--cacert", self.ca, "--max-time", str(TIMEOUT),
                      "--max-filesize", "65536", "-o", body_path,
                      "-w", "\n%{http_code} %{content_type}", url])
        self.note("curl %s -> rc=%d %s" % (url, rc, out.strip().replace("\n", " / ")))
        if rc == 6:
            return ["policy_host_unresolved"], None
        if rc == 7:
            return ["policy_connect_failed"], None
        if rc == 28:
            return ["policy_timeout"], None
        if rc == 35:
            return ["policy_tls_failed"], None
        if rc == 60:
            if "expired" in out:
                return ["policy_cert_expired"], None
            if "subject name" in out or "does not match" in out:
                return ["policy_cert_hostname_mismatch"], None
            return ["policy_cert_untrusted"], None
        if rc == 63:
            return ["policy_too_large"], None
        if rc != 0:
            return ["curl_rc_%d" % rc], None
        code, _, ctype = out.strip().splitlines()[-1].partition(" ")
        if code.startswith("3"):
            return ["policy_http_redirect"], None
        if code != "200":
            return ["policy_http_status"], None
        if ctype.split(";")[0].strip().lower() != "text/plain":
            return ["policy_content_type"], None
        with open(body_path, encoding="utf-8", errors="replace", newline="") as f:
            return [], f.read()

    def probe_addr(self, host, addr):
        """One STARTTLS probe of one address of an MX host: None or the issue code."""
        target = ("[%s]:25" % addr) if ":" in addr else addr + ":25"
        rc, out = sh(["timeout", str(TIMEOUT + 2), "openssl", "s_client", "-brief", "-min_protocol", "TLSv1.2",
                      "-starttls", "smtp", "-connect", target, "-servername", host,
                      "-verify_hostname", host, "-CAfile", self.ca])
        first = [ln for ln in out.splitlines() if re.search(
            r"Verification|STARTTLS|errno|verify error|alert|routines", ln)]
        self.note("openssl s_client -starttls smtp %s (%s) -> %s" % (target, host, " / ".join(first[:3])))
        if "Didn't find STARTTLS" in out:
            return "mx_starttls_missing"
        if "errno=111" in out or "Connection refused" in out or rc == 124:
            return "mx_connect_failed"   # refused, or no connection within the time (dropped)
        if "Verification: OK" in out:
            return None
        if "expired" in out:
            return "mx_cert_expired"
        if "hostname mismatch" in out:
            return "mx_cert_hostname_mismatch"
        if "self-signed" in out or "unable to get local issuer" in out:
            return "mx_cert_untrusted"
        return "mx_tls_failed"

    def probe_mx(self, host):
        """Probes every address (A, then AAAA) like the scanner: any failing one is reported."""
        if host in self.mx_cache:
            return self.mx_cache[host]
        addrs = self.dig(host, "A")[1] + self.dig(host, "AAAA")[1]
        res = [self.probe_addr(host, a) for a in addrs] if addrs else ["mx_connect_failed"]
        res = sorted(set(r for r in res if r))
        self.mx_cache[host] = res
        return res

    # --- the classification, in the scanner's documented order --------------------------------

    def observe(self, domain):
        self.log = []
        if not valid_name(domain):
            return "input_invalid", []
        mx_status, mx = self.dig(domain, "MX")
        sts_status, sts = self.dig("_mta-sts." + domain, "TXT")
        rpt_status, rpt = self.dig("_smtp._tls." + domain, "TXT")
        # Issue codes report every fact whatever the verdict (docs/codes.md).
        issues = []
        rpt_state = self.tlsrpt_txt([txt_strings(r) for r in rpt])
        if rpt_state in ("invalid", "multiple"):
            issues.append("tlsrpt_" + rpt_state)
        if mx_status in ("SERVFAIL", "REFUSED", "TIMEOUT") or \
                sts_status in ("SERVFAIL", "REFUSED", "TIMEOUT"):
            return "dns_error", issues
        hosts = [a.split()[1].rstrip(".") for a in mx]
        if hosts == [""] or (mx and all(a.split()[1] == "." for a in mx)):
            return "no_mail", issues
        if not hosts:
            a_status, a = self.dig(domain, "A")
            q_status, aaaa = self.dig(domain, "AAAA")
            if not a and not aaaa:
                return "no_mail", issues
        sts_state = self.sts_txt([txt_strings(r) for r in sts])
        if sts_state in ("invalid", "multiple"):  # a v=STSv1 record that fails: a failed deployment
            return "invalid", issues + ["txt_" + sts_state]
        if sts_state != "ok":
            return "not_deployed", issues
        if rpt_state == "missing":
            issues.append("tlsrpt_missing")
        codes, body = self.fetch(domain)
        if body is None:
            return "invalid", issues + codes
        codes, mode, pats = self.policy(body)
        shown = body if len(body) < 400 else body[:120] + "...(%d bytes)" % len(body)
        self.note("policy body: " + " / ".join(shown.replace("\r\n", "<CRLF>\n").splitlines()))
        hard = [c for c in codes if c != "policy_max_age_short"]
        issues += codes
        if hard:
            return "invalid", issues
        fails = []
        for h in hosts:
            if not any(self.covers(p, h) for p in pats):
                fails.append("mx_not_covered")
            fails += self.probe_mx(h)
        if mode == "none":
            if fails:
                self.note("note: mode none with failing MX %s (not judged)" % fails)
            return "mode_none", issues
        if fails:
            return "would_fail", issues + fails
        return ("enforce_ok" if mode == "enforce" else "testing_ok"), issues


def valid_name(name):
    if len(name) > 253 or not name or not name.isascii():
        return False
    return all(re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", lab) for lab in name.split("."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-scenario", type=int, default=3)
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("data")
    args = ap.parse_args()
    with open(os.path.join(args.data, "truth.csv"), encoding="utf-8") as f:
        truth = {r["rank"]: r for r in csv.DictReader(f)}
    with open(os.path.join(args.data, "gen", "scenarios.csv"), encoding="utf-8") as f:
        scen = list(csv.DictReader(f))
    # kdig asks a validating resolver (up --recursive on signed zones): the DANE scenarios' truth
    # is then gen/dane_truth.csv's, without the DANE codes (no tool here judges DANE)
    dane = os.path.join(args.data, "gen", "dane_truth.csv")
    if os.environ.get("TESTNET_CHECK_VALIDATING") == "1" and os.path.exists(dane):
        with open(dane, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                truth[r["rank"]] = {"domain": r["domain"], "verdict": r["verdict"],
                                    "issues": ";".join(c for c in r["issues"].split(";")
                                                       if c and not c.startswith("dane_"))}
    picked, per = [], {}
    for r in scen:
        n = per.get(r["scenario"], 0)
        if args.all or n < args.per_scenario:
            per[r["scenario"]] = n + 1
            picked.append(r)
    c = Checker(args.data, args.show)
    bad = 0
    seen = Counter()
    for r in picked:
        t = truth[r["rank"]]
        verdict, issues = c.observe(t["domain"])
        want = set(filter(None, t["issues"].split(";")))
        ok = verdict == t["verdict"] and set(issues) == want
        seen[r["scenario"]] += 1
        if not ok:
            bad += 1
        if not ok or args.show:
            print("%s %s [%s] truth: %s %s | observed: %s %s"
                  % ("OK  " if ok else "DIFF", t["domain"], r["scenario"], t["verdict"],
                     t["issues"] or "-", verdict, ";".join(issues) or "-"))
            for line in c.log:
                print("      " + line)
    print("check: %d domains in %d scenarios observed with kdig/curl/openssl: %d agree with "
          "truth.csv, %d differ" % (len(picked), len(seen), len(picked) - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
