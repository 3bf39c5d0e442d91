#!/usr/bin/env python3
"""
evolve.py: day 2 of a generated testnet (scripts/testnet evolve).

Takes the generation in DATA/gen (day 1, written by gen.py, which this script never changes) and
replaces it with the same world one day later: a known set of domains is changed so that every
change code of `mtasts-scan diff` (docs/codes.md, "Changes") occurs, and the changes a correct
scanner reports between a day-1 and a day-2 scan are written as ground truth:

  DATA/expected_changes.csv  rank,domain,change,severity: one row per (domain, change) that
                             `mtasts-scan diff DAY1 DAY2 --new-mx DAY2_MX --testing-days 0`
                             (and a day-2 scan with --previous DAY1 --testing-days 0) must report,
                             and no other.  --testing-days 0: the two scans are minutes apart, so
                             every domain in mode testing in both is "stuck"
  DATA/gen/evolution.csv     rank,domain,role,what: what was changed, for people
  DATA/domains.txt           day 2's scan input (a domain dropped, two added)

The changes (each on its own domain, picked in rank order among the domains that fit):
  policy_changed_id_unchanged  policy max_age edited, _mta-sts id kept (RFC 8461 §3.1)
  policy_reformatted           policy line endings toggled LF <-> CRLF, id kept
  id_changed_policy_unchanged  a new id, same policy bytes
  mode_upgraded                testing -> enforce (new id; verdict_improved)
  mode_downgraded              enforce -> testing (new id; verdict_regressed, a warning)
  max_age_changed              a new max_age and a new id
  mx_added_uncovered           an MX the policy does not cover (verdict_regressed to would_fail)
  mx_removed                   one of several MX records dropped
  policy_mx_changed            an extra mx pattern (new id)
  sts_removed_without_none     the _mta-sts record of an enforce domain deleted (§8.3)
  sts_removed                  the _mta-sts record of a mode none domain deleted
  sts_added                    a domain without MTA-STS publishes a record, a policy host and an
                               enforce policy (verdict_improved)
  tlsrpt_added / tlsrpt_removed / tlsrpt_rua_changed   on the _smtp._tls record
  cert_expiring                the policy host moves to a certificate that expires in 10 days;
                               another domain moves to a new MX whose certificate expires in 10
                               days (mx_removed and policy_mx_changed with it)
  cert_expired                 the policy host moves to an expired certificate (verdict_regressed)
  domain_added / domain_removed
Rows that hold on both days are part of the truth too: cert_expired of the day-1 scenarios with an
expired policy-host or MX certificate, and stuck_in_testing of every domain with a valid mode
testing policy on both days.  scan_incomplete is not drawn (it needs a scanner limit to bite).

Day 1 is never modified: the new tree is built in DATA/gen.new from a copy and swapped in.
"""

import argparse
import csv
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen as G  # noqa: E402  (the generator's helpers: policy_text, q, Certs, addresses)

# Scenarios whose _mta-sts record and policy are valid whatever the variant (their verdict may
# still be would_fail: a valid policy whose MX fails).
VALID_POLICY_SCENARIOS = {"enforce_ok", "max_age_short", "testing_ok", "mode_none", "mx_not_covered",
                          "mx_starttls_missing", "mx_connect_failed", "mx_cert_expired",
                          "mx_cert_hostname_mismatch", "mx_cert_untrusted", "mx_tls_failed"}
EXPIRING_MX = ("mx.expiring-mail.test", "127.2.250.1")
UNCOVERED_MX = "mx.elsewhere-mail.test"   # in day 1's zone (an A record), covered by no policy
EXPIRY_DAYS = 10                           # certificates "expiring": inside the default 30 days


def die(msg):
    sys.exit("evolve: " + msg)


class Zone:
    """root.zone as lines, with the records of one owner found and edited by owner name."""

    def __init__(self, path):
        with open(path) as f:
            self.lines = f.read().splitlines()

    def records(self, owner, rtype=None):
        out = []
        for i, line in enumerate(self.lines):
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[0] == owner + "." and (rtype is None or parts[1] == rtype):
                out.append((i, parts[1], parts[2]))
        return out

    def drop(self, owner, rtype):
        gone = {i for i, _, _ in self.records(owner, rtype)}
        self.lines = [l for i, l in enumerate(self.lines) if i not in gone]
        return len(gone)

    def add(self, owner, rtype, data):
        self.lines.append("%s. %s %s" % (owner, rtype, data))

    def mx_hosts(self, domain):
        recs = sorted((int(d.split()[0]), d.split()[1].rstrip(".")) for _, _, d in self.records(domain, "MX"))
        return [h for _, h in recs]

    def write(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")


class Evolve:
    def __init__(self, data):
        self.data = os.path.abspath(data)
        self.gen = os.path.join(self.data, "gen")
        self.out = os.path.join(self.data, "gen.new")
        if not os.path.exists(os.path.join(self.gen, "meta.json")):
            die("no generated testnet in %s (scripts/testnet gen first)" % self.data)
        if os.path.exists(os.path.join(self.gen, "evolution.csv")):
            die("%s is already day 2 (gen again for a new day 1)" % self.gen)
        with open(os.path.join(self.gen, "published.csv")) as f:
            self.pub = {r["domain"]: r for r in csv.DictReader(f)}
        with open(os.path.join(self.data, "domains.txt")) as f:
            self.input = [l.rstrip("\n") for l in f if l.strip()]
        self.used = set()
        self.truth = []       # (rank, domain, change, severity)
        self.log = []         # (rank, domain, role, what)
        self.testing_day2 = {}  # domain -> mode on day 2 when the evolution changes it

    # --- reading day 1 ---------------------------------------------------------------------------

    def policy_path(self, d, root=None):
        return os.path.join(root or self.out, "policies", "mta-sts.%s.txt" % d)

    def body(self, d):
        with open(self.policy_path(d, self.gen), newline="") as f:
            return f.read()

    def sts_id(self, d):
        recs = self.zone.records("_mta-sts." + d, "TXT")
        m = re.search(r"id=([A-Za-z0-9]+)", G.unq(recs[0][2])) if recs else None
        return m.group(1) if m else None

    def tlsrpt_state(self, d):
        rec = self.pub[d]["tlsrpt_record"]
        if rec == "":
            return "missing"
        if "|" not in rec and re.match(r"v=TLSRPTv1; rua=(mailto:|https:)", rec):
            return "valid"
        return "other"

    def pick(self, role, scenarios, need=lambda d: True):
        """The first unused domain (by rank) of one of scenarios that passes need."""
        for r in sorted(self.pub.values(), key=lambda r: int(r["rank"])):
            d = r["domain"]
            if r["scenario"] in scenarios and d not in self.used and need(d):
                self.used.add(d)
                return d
        die("no domain left for %s (scenarios %s): generate more, e.g. with tests/e2e/monitor.mix"
            % (role, ", ".join(sorted(scenarios))))

    def sts_plain(self, d):
        """An enforce/testing domain whose record is a TXT (not a CNAME) and policy served as is."""
        return (self.pub[d]["policy_behaviour"] == "valid" and self.sts_id(d) is not None and
                not self.zone.records("_mta-sts." + d, "CNAME"))

    # --- writing day 2 ---------------------------------------------------------------------------

    def expect(self, d, change, severity):
        self.truth.append((int(self.pub[d]["rank"]) if d in self.pub else self.new_rank[d], d, change, severity))

    def note(self, d, role, what):
        rank = int(self.pub[d]["rank"]) if d in self.pub else self.new_rank[d]
        self.log.append((rank, d, role, what))

    def write_policy(self, d, text):
        path = self.policy_path(d)
        if os.path.exists(path):
            os.unlink(path)   # never write through a hard link to day 1's file
        with open(path, "w", newline="") as f:
            f.write(text)

    def set_id(self, d, new_id):
        for i, _, data in self.zone.records("_mta-sts." + d, "TXT"):
            self.zone.lines[i] = re.sub(r"id=[A-Za-z0-9]+", "id=" + new_id, self.zone.lines[i], count=1)

    def edit_policy(self, d, mode=None, max_age=None, mx=None, new_id=True):
        """Rewrites d's policy with the fields given changed (line endings kept)."""
        body = self.body(d)
        crlf = "\r\n" in body
        fields = [l.split(":", 1) for l in body.replace("\r\n", "\n").split("\n") if ":" in l]
        cur_mode = next(v.strip() for k, v in fields if k == "mode")
        cur_age = int(next(v.strip() for k, v in fields if k == "max_age"))
        cur_mx = [v.strip() for k, v in fields if k == "mx"]
        extra = [k + ":" + v for k, v in fields if k not in ("version", "mode", "mx", "max_age")]
        self.write_policy(d, G.policy_text(mode or cur_mode, mx if mx is not None else cur_mx,
                                           max_age if max_age is not None else cur_age, crlf=crlf,
                                           extra=extra or None))
        if new_id:
            self.set_id(d, "evolved%d" % int(self.pub[d]["rank"]))
        return cur_mode, cur_age, cur_mx

    # --- the changes -----------------------------------------------------------------------------

    def policy_changes(self):
        d = self.pick("policy_changed_id_unchanged", {"enforce_ok"}, self.sts_plain)
        _, age, _ = self.edit_policy(d, max_age=2592000 if self.policy_age(d) != 2592000 else 1209600,
                                     new_id=False)
        self.note(d, "policy_changed_id_unchanged", "max_age edited, id kept")
        self.expect(d, "policy_changed_id_unchanged", "error")
        self.expect(d, "max_age_changed", "info")

        d = self.pick("policy_reformatted", {"enforce_ok"}, self.sts_plain)
        body = self.body(d)
        self.write_policy(d, body.replace("\r\n", "\n") if "\r\n" in body else body.replace("\n", "\r\n"))
        self.note(d, "policy_reformatted", "line endings toggled, id kept")
        self.expect(d, "policy_reformatted", "info")

        d = self.pick("id_changed_policy_unchanged", {"enforce_ok"}, self.sts_plain)
        self.set_id(d, "evolved%s" % self.pub[d]["rank"])
        self.note(d, "id_changed_policy_unchanged", "new id, same policy")
        self.expect(d, "id_changed_policy_unchanged", "info")

        d = self.pick("mode_upgraded", {"testing_ok"}, self.sts_plain)
        self.edit_policy(d, mode="enforce")
        self.testing_day2[d] = "enforce"
        self.note(d, "mode_upgraded", "testing -> enforce, new id")
        self.expect(d, "mode_upgraded", "info")
        self.expect(d, "verdict_improved", "info")

        d = self.pick("mode_downgraded", {"enforce_ok"}, self.sts_plain)
        self.edit_policy(d, mode="testing")
        self.testing_day2[d] = "testing-new"
        self.note(d, "mode_downgraded", "enforce -> testing, new id")
        self.expect(d, "mode_downgraded", "warning")
        self.expect(d, "verdict_regressed", "warning")

        d = self.pick("max_age_changed", {"enforce_ok"}, self.sts_plain)
        self.edit_policy(d, max_age=2592000 if self.policy_age(d) != 2592000 else 1209600)
        self.note(d, "max_age_changed", "new max_age, new id")
        self.expect(d, "max_age_changed", "info")

        d = self.pick("policy_mx_changed", {"enforce_ok"}, self.sts_plain)
        _, _, mx = self.edit_policy(d, mx=None)
        self.edit_policy(d, mx=mx + ["mx.backup-mail.test"])
        self.note(d, "policy_mx_changed", "mx pattern mx.backup-mail.test added, new id")
        self.expect(d, "policy_mx_changed", "info")

    def policy_age(self, d):
        m = re.search(r"max_age:\s*(\d+)", self.body(d))
        return int(m.group(1))

    def mx_changes(self):
        d = self.pick("mx_added_uncovered", {"enforce_ok"}, self.sts_plain)
        self.zone.add(d, "MX", "50 %s." % UNCOVERED_MX)
        self.note(d, "mx_added_uncovered", "MX 50 %s added, policy unchanged" % UNCOVERED_MX)
        self.expect(d, "mx_added_uncovered", "error")
        self.expect(d, "verdict_regressed", "error")

        d = self.pick("mx_removed", {"enforce_ok"}, lambda d: self.sts_plain(d) and len(self.zone.mx_hosts(d)) >= 2)
        last = self.zone.mx_hosts(d)[-1]
        recs = [i for i, _, data in self.zone.records(d, "MX") if data.split()[1].rstrip(".") == last]
        self.zone.lines = [l for i, l in enumerate(self.zone.lines) if i not in recs]
        self.note(d, "mx_removed", "MX %s dropped" % last)
        self.expect(d, "mx_removed", "info")

    def sts_changes(self):
        d = self.pick("sts_removed_without_none", {"enforce_ok"}, self.sts_plain)
        self.zone.drop("_mta-sts." + d, "TXT")
        self.testing_day2[d] = "gone"
        self.note(d, "sts_removed_without_none", "_mta-sts TXT deleted while mode enforce")
        self.expect(d, "sts_removed_without_none", "error")
        self.expect(d, "verdict_regressed", "warning")

        d = self.pick("sts_removed", {"mode_none"}, self.sts_plain)
        self.zone.drop("_mta-sts." + d, "TXT")
        self.note(d, "sts_removed", "_mta-sts TXT deleted after mode none")
        self.expect(d, "sts_removed", "info")

        # A domain without MTA-STS whose MX all work (provider or hosting hosts) starts it.
        def plain_nosts(d):
            hosts = self.zone.mx_hosts(d)
            return (hosts and not self.zone.records("_mta-sts." + d) and
                    not self.zone.records("_smtp._tls." + d) and
                    all(h.endswith(".test") and (".mx.hosting" in h or any(
                        h in G.provider_hosts(i)[1] for i in range(len(G.PROVIDER_NAMES)))) for h in hosts))
        d = self.pick("sts_added", {"nosts"}, plain_nosts)
        self.zone.add("_mta-sts." + d, "TXT", G.q("v=STSv1; id=added%s;" % self.pub[d]["rank"]))
        self.zone.add("mta-sts." + d, "A", G.POLICY_BEHAVIOURS["valid"][0])
        self.write_policy(d, G.policy_text("enforce", self.zone.mx_hosts(d)))
        self.new_valid_hosts.append("mta-sts." + d)
        self.note(d, "sts_added", "_mta-sts TXT, policy host and enforce policy published")
        self.expect(d, "sts_added", "info")
        self.expect(d, "verdict_improved", "info")

    def tlsrpt_changes(self):
        d = self.pick("tlsrpt_added", {"enforce_ok"}, lambda d: self.tlsrpt_state(d) == "missing")
        self.zone.add("_smtp._tls." + d, "TXT", G.q("v=TLSRPTv1; rua=mailto:tlsrpt@%s" % d))
        self.note(d, "tlsrpt_added", "_smtp._tls TXT published")
        self.expect(d, "tlsrpt_added", "info")

        d = self.pick("tlsrpt_removed", {"enforce_ok"}, lambda d: self.tlsrpt_state(d) == "valid")
        self.zone.drop("_smtp._tls." + d, "TXT")
        self.note(d, "tlsrpt_removed", "_smtp._tls TXT deleted")
        self.expect(d, "tlsrpt_removed", "warning")

        d = self.pick("tlsrpt_rua_changed", {"enforce_ok"}, lambda d: self.tlsrpt_state(d) == "valid")
        self.zone.drop("_smtp._tls." + d, "TXT")
        self.zone.add("_smtp._tls." + d, "TXT", G.q("v=TLSRPTv1; rua=mailto:tls-new@%s" % d))
        self.note(d, "tlsrpt_rua_changed", "rua -> mailto:tls-new@%s" % d)
        self.expect(d, "tlsrpt_rua_changed", "info")

    def cert_changes(self):
        d = self.pick("cert_expiring (policy host)", {"enforce_ok"}, self.sts_plain)
        self.moved_hosts["expiring"].append("mta-sts." + d)
        self.note(d, "cert_expiring", "policy host on a certificate expiring in %d days" % EXPIRY_DAYS)
        self.expect(d, "cert_expiring", "warning")

        d = self.pick("cert_expired", {"enforce_ok"}, self.sts_plain)
        self.moved_hosts["expired"].append("mta-sts." + d)
        self.note(d, "cert_expired", "policy host on an expired certificate")
        self.expect(d, "cert_expired", "error")
        self.expect(d, "verdict_regressed", "error")

        d = self.pick("cert_expiring (MX)", {"enforce_ok"}, self.sts_plain)
        self.zone.drop(d, "MX")
        self.zone.add(d, "MX", "10 %s." % EXPIRING_MX[0])
        self.edit_policy(d, mx=[EXPIRING_MX[0]])
        self.note(d, "cert_expiring", "MX moved to %s (certificate expiring in %d days), policy "
                  "follows with a new id" % (EXPIRING_MX[0], EXPIRY_DAYS))
        self.expect(d, "cert_expiring", "warning")
        self.expect(d, "mx_removed", "info")
        self.expect(d, "policy_mx_changed", "info")

    def input_changes(self):
        d = self.pick("domain_removed", {"nosts"})
        self.input = [l for l in self.input if l.split(",", 1)[-1] != d]
        self.note(d, "domain_removed", "line dropped from domains.txt")
        self.expect(d, "domain_removed", "info")
        top = max(int(l.split(",", 1)[0]) for l in self.input if "," in l)
        for k in range(2):
            name = "newcomer%d.test" % (k + 1)
            rank = top + k + 1
            self.new_rank[name] = rank
            zone, hosts, _ = G.provider_hosts(k)
            for i, h in enumerate(hosts):
                self.zone.add(name, "MX", "%d %s." % (10 * (i + 1), h))
            self.input.append("%d,%s" % (rank, name))
            self.note(name, "domain_added", "new line in domains.txt, MX at %s" % zone)
            self.expect(name, "domain_added", "info")

    # --- truth that holds on both days -----------------------------------------------------------

    def valid_testing(self, d, day):
        r = self.pub.get(d)
        if r is None or r["scenario"] not in VALID_POLICY_SCENARIOS:
            return False
        if r["policy_behaviour"] not in ("valid", "charset"):
            return False
        if day == 2 and d in self.testing_day2:   # the evolution changed its mode or record
            return self.testing_day2[d] == "testing-new"
        return re.search(r"^mode:\s*testing\s*$", self.body(d), re.M) is not None

    def standing_truth(self):
        day2 = {l.split(",", 1)[-1] for l in self.input}
        moved = {h[len("mta-sts."):] for hs in self.moved_hosts.values() for h in hs}
        for d, r in self.pub.items():
            if d not in day2:
                continue
            if r["scenario"] == "policy_cert_expired" and d not in moved:
                self.expect(d, "cert_expired", "error")
            if (r["scenario"] in VALID_POLICY_SCENARIOS and self.testing_day2.get(d) != "gone" and
                    G.BAD_MX["expired"][0] in self.zone.mx_hosts(d)):
                self.expect(d, "cert_expired", "error")
            if self.valid_testing(d, 1) and self.valid_testing(d, 2):
                self.expect(d, "stuck_in_testing", "warning")
            # gen.py's scenarios for `mtasts-scan check` (issue 12): a policy host or an MX whose
            # certificate expires 10 days after gen, on both days
            if r["scenario"] in ("cert_expiring_soon", "mx_cert_expiring_soon"):
                self.expect(d, "cert_expiring", "warning")

    # --- servers ---------------------------------------------------------------------------------

    def write_servers(self):
        certs = G.Certs(self.data, os.path.join(self.out, "certs"))
        fcdir = os.path.join(self.gen, "certs")
        conf_path = os.path.join(self.out, "nginx", "nginx.conf")
        with open(conf_path) as f:
            conf = f.read()
        moved = set(h for hs in self.moved_hosts.values() for h in hs)

        def drop_names(m):
            names = [n for n in m.group(1).split() if n not in moved]
            return "server_name %s;" % " ".join(names or ["_"])
        conf = re.sub(r"server_name ([^;]*);", drop_names, conf)
        addr = G.POLICY_BEHAVIOURS["valid"][0]
        blocks = []
        for base, names, kind in (("evolve-added", self.new_valid_hosts, "ca"),
                                  ("evolve-expiring", self.moved_hosts["expiring"], "expiring"),
                                  ("evolve-expired", self.moved_hosts["expired"], "expired")):
            if not names:
                continue
            self.leaf(certs, os.path.join(self.out, "certs", base), names, kind)
            blocks += ["  server {", "    listen %s:443 ssl;" % addr,
                       "    server_name %s;" % " ".join(names),
                       "    ssl_certificate %s/%s.pem;" % (fcdir, base),
                       "    ssl_certificate_key %s/%s.key;" % (fcdir, base),
                       "    location = /.well-known/mta-sts.txt {",
                       "      root %s;" % os.path.join(self.gen, "policies"),
                       "      try_files /$host.txt =404;", "    }",
                       "    location / { return 404; }", "  }"]
        conf = conf.rstrip("\n")
        assert conf.endswith("}")
        conf = conf[:-1] + "\n".join(blocks) + "\n}\n"
        self.replace_file(conf_path, conf)

        # The MX whose certificate expires soon: its own address and smtpd service.
        host, maddr = EXPIRING_MX
        self.zone.add(host, "A", maddr)
        self.leaf(certs, os.path.join(self.out, "certs", "mx-expiring"), [host], "expiring")
        master = os.path.join(self.out, "postfix", "master.cf")
        with open(master) as f:
            text = f.read()
        service = ("%s:smtp inet n - n - - smtpd\n  -o smtpd_tls_security_level=may\n"
                   "  -o smtpd_tls_cert_file=%s/mx-expiring.pem\n  -o smtpd_tls_key_file=%s/mx-expiring.key\n"
                   % (maddr, fcdir, fcdir))
        text = text.replace("postlog ", service + "postlog ", 1)
        self.replace_file(master, text)
        addrs = os.path.join(self.out, "addresses.txt")
        with open(addrs) as f:
            have = f.read()
        self.replace_file(addrs, have + maddr + "\n")
        shutil.rmtree(certs.cadb)

    @staticmethod
    def leaf(certs, base, names, kind):
        if kind != "expiring":
            return certs.leaf(base, names, kind)
        key, pem, csr = base + ".key", base + ".pem", base + ".csr"
        certs.key(key)
        certs.run(["req", "-new", "-key", key, "-subj", "/O=mtasts-scan testnet/CN=testnet expiring",
                   "-addext", "subjectAltName=" + ",".join("DNS:" + n for n in names), "-out", csr])
        certs.run(["x509", "-req", "-in", csr, "-CA", certs.ca_pem, "-CAkey", certs.ca_key,
                   "-set_serial", str(int.from_bytes(os.urandom(7), "big")), "-sha256",
                   "-days", str(EXPIRY_DAYS), "-copy_extensions", "copy", "-extfile", certs.ext,
                   "-out", pem])
        os.unlink(csr)

    @staticmethod
    def replace_file(path, text):
        tmp = path + ".tmp"
        with open(tmp, "w", newline="") as f:
            f.write(text)
        os.replace(tmp, path)   # a new inode: day 1's hard-linked copy is left alone

    # --- run -------------------------------------------------------------------------------------

    def run(self):
        if os.path.exists(self.out):
            shutil.rmtree(self.out)
        shutil.copytree(self.gen, self.out)
        self.zone = Zone(os.path.join(self.out, "knot", "root.zone"))
        self.new_valid_hosts = []
        self.moved_hosts = {"expiring": [], "expired": []}
        self.new_rank = {}
        self.policy_changes()
        self.mx_changes()
        self.sts_changes()
        self.tlsrpt_changes()
        self.cert_changes()
        self.input_changes()
        self.standing_truth()
        self.write_servers()
        self.zone.write(os.path.join(self.out, "knot", "root.zone.tmp"))
        os.replace(os.path.join(self.out, "knot", "root.zone.tmp"), os.path.join(self.out, "knot", "root.zone"))
        with open(os.path.join(self.out, "evolution.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "role", "what"])
            w.writerows(sorted(self.log))
        self.replace_file(os.path.join(self.out, "domains.txt"), "".join(l + "\n" for l in self.input))
        old = os.path.join(self.data, "gen.day1")
        if os.path.exists(old):
            shutil.rmtree(old)
        os.rename(self.gen, old)
        os.rename(self.out, self.gen)
        shutil.rmtree(old)
        self.replace_file(os.path.join(self.data, "domains.txt"), "".join(l + "\n" for l in self.input))
        truth = sorted(set(self.truth))
        with open(os.path.join(self.data, "expected_changes.csv.tmp"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "change", "severity"])
            w.writerows(truth)
        os.replace(os.path.join(self.data, "expected_changes.csv.tmp"),
                   os.path.join(self.data, "expected_changes.csv"))
        codes = sorted({t[2] for t in truth})
        print("evolve: day 2: %d domains changed, %d expected change rows (%d codes) -> %s"
              % (len(self.log), len(truth), len(codes), self.data), file=sys.stderr)


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description="Turn a generated testnet (day 1) into day 2.")
    ap.add_argument("--data-dir", default=os.environ.get("TESTNET_DIR", os.path.join(repo, "testnet-data")))
    Evolve(ap.parse_args().data_dir).run()


if __name__ == "__main__":
    main()
