#!/usr/bin/env python3
"""
gen.py: the scenario generator of the testnet (scripts/testnet gen).

Draws N domains from a scenario mix (deterministic for a seed) and writes everything the real
servers need to *behave* as each scenario says, plus the ground truth:

  DATA/gen/knot/      knot.conf, root.zone (authoritative for "."), broken.zone (SERVFAIL zones)
  DATA/gen/nginx/     nginx.conf (policy hosts on 127.1.x.y:443)
  DATA/gen/postfix/   main.cf, master.cf (one smtpd per MX behaviour address 127.2.x.y:25)
  DATA/gen/certs/     leaf keys and certificates (ECDSA P-256), signed by DATA/ca.pem or not
  DATA/gen/policies/  one mta-sts.txt body per policy host, served by nginx
  DATA/gen/meta.json  counts, addresses, a sample domain per scenario
  DATA/gen/published.csv  rank,domain,scenario,sts_record,tlsrpt_record,sts_txt_count,
                      policy_behaviour,policy_sha256: what each domain publishes, written like the
                      scanner's columns of the same names (tests/e2e/check_columns.py)
  DATA/domains.txt    the scan input, Tranco style "rank,domain" (+ a few invalid lines)
  DATA/truth.csv      rank,domain,verdict,issues: what a correct scanner reports (--starttls sts)

The truth is derived from the configuration the generator writes, never told to the scanner.  The
certificate authority (DATA/ca.pem, DATA/ca.key) is kept across runs so that a scanner command
line stays valid; everything under DATA/gen is replaced atomically (built in DATA/gen.new).
"""

import argparse
import csv
import hashlib
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from bisect import bisect

# Names per policy-host certificate (one nginx server block each).  Real MTA-STS hosts carry a
# handful of names (Let's Encrypt allows 100); a client parses every SAN of every certificate it
# checks, so 500-name certificates made each handshake several times costlier than on the internet.
SAN_CHUNK = 50
POLICY_BODY_CAP = 65536  # RFC 8461 §3.3 lets a sender stop reading there; the scanner does

# --- the vocabulary (order of scanner/codes.h, which is read when present) ----------------------

FALLBACK_ISSUES = [
    "txt_invalid", "txt_multiple", "policy_host_unresolved", "policy_connect_failed",
    "policy_timeout", "policy_tls_failed", "policy_cert_expired", "policy_cert_hostname_mismatch",
    "policy_cert_untrusted", "policy_http_redirect", "policy_http_status", "policy_content_type",
    "policy_too_large", "policy_syntax", "policy_version_invalid", "policy_mode_invalid",
    "policy_max_age_invalid", "policy_mx_missing", "mx_not_covered", "mx_starttls_missing",
    "mx_connect_failed", "mx_cert_expired", "mx_cert_hostname_mismatch", "mx_cert_untrusted",
    "tlsrpt_missing", "tlsrpt_invalid", "tlsrpt_multiple", "policy_max_age_short", "mx_tls_failed",
]


def issue_order(repo):
    """Issue codes in enum order, read from scanner/codes.h so truth.csv sorts like the scanner."""
    path = os.path.join(repo, "scanner", "codes.h")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return FALLBACK_ISSUES
    m = re.search(r"enum issue_code\s*\{(.*?)\};", text, re.S)
    if not m:
        return FALLBACK_ISSUES
    body = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    names = re.findall(r"\bISSUE_([A-Z0-9_]+)", body)
    return [n.lower() for n in names if not n.startswith("_")] or FALLBACK_ISSUES


# --- the fixed part of the simulated internet ------------------------------------------------------

DNS_ADDR = "127.0.0.1"
# A validating resolver (unbound, trust anchor: the testnet root's key) in front of DNS_ADDR when
# the zones are signed (scripts/testnet up without --unsigned); DNS_ADDR itself never validates.
VALIDATOR_ADDR = "127.0.0.2"

# Zones delegated from "." in the flat testnet, each in its own zone file (knot/<zone>.zone), with
# their DNSSEC state when `up` signs (scripts/testnet.d/dnssec.py, docs/testnet.md "DNSSEC"):
#   signed    its own key (made by keymgr at up), its DS in "." (knot/ds.zone, written at up)
#   unsigned  never signed, no DS: an insecure delegation (RFC 4035 §5.2)
#   bogus     signed (knot's own key), but the DS in "." matches no key: validation fails
# "." itself is signed.  The zones' names are their own second-level domains, so that up
# --recursive (hier.py) cuts them the same way.
CHILD_ZONES = {"danemail.test": "signed", "unsigned.test": "unsigned", "bogus.test": "bogus"}

# DANE for SMTP (RFC 7672, issue 21): MX hosts with TLSA records at _25._tcp.<host>, computed by
# gen from the certificates it issues (knot/<zone>.zone).  kind -> (host, address, certificate
# kind and names ("self": the host), TLSA records, what a DANE sender's check gives: the MX table's
# dane_match through the validating resolver; "" no TLSA judged).  TLSA records: "ee" 3 1 1 of the
# served key, "old" 3 1 1 of a key not served (a key changed without its record), "ta" 2 0 1 of
# the intermediate CA that signed the served leaf, "pkix-ta" 0 0 1 of the testnet CA,
# "pkix-ee" 1 1 1 of the served key (PKIX usages: unusable for SMTP, RFC 7672 §3.1.3).
# DANE scenarios: name -> (verdict, issues) through knot (no validation), then through the
# validating resolver (127.0.0.2): (verdict, issues, mx_dnssec, dane_status, sts_delivery,
# dane_sts_delivery), as docs/codes.md defines them; and the MX hosts (DANE_MX kinds, in preference
# order), the policy's mx patterns (None: no MTA-STS) and the zone the domain lives in.
DANE_SCENARIOS = {
    # DANE-EE and DANE-TA records that match, with an enforce policy that passes
    "dane_ee_ok": ("enforce_ok", [], "enforce_ok", [], "secure", "ok", "all", "all",
                   ["ee"], "hosts", None),
    "dane_ta_ok": ("enforce_ok", [], "enforce_ok", [], "secure", "ok", "all", "all",
                   ["ta"], "hosts", None),
    # the key changed, the TLSA record did not: a DANE sender defers; no MTA-STS
    "dane_stale": ("not_deployed", [], "not_deployed", ["dane_tlsa_mismatch"], "secure", "failed",
                   "", "none", ["stale"], None, None),
    # rollover: the old key's record and the new one's, the new key served
    "dane_rollover": ("enforce_ok", [], "enforce_ok", [], "secure", "ok", "all", "all",
                      ["rollover"], "hosts", None),
    # only PKIX usages (0, 1): unusable for SMTP, DANE does not protect the domain
    "dane_pkix_only": ("not_deployed", [], "not_deployed", ["dane_tlsa_unusable"], "secure", "none",
                       "", "all", ["pkix"], None, None),
    # TLSA on an MX that does not offer STARTTLS, with an enforce policy
    "dane_starttls_missing": ("would_fail", ["mx_starttls_missing"], "would_fail",
                              ["mx_starttls_missing", "dane_starttls_missing"], "secure", "failed",
                              "none", "none", ["notls"], "hosts", None),
    # TLSA in an unsigned zone: ignored; the domain's own MX RRset secure, or the domain unsigned
    "dane_unsigned_mx": ("not_deployed", [], "not_deployed", [], "secure", "none", "", "all",
                         ["unsigned"], None, None),
    "dane_unsigned_domain": ("not_deployed", [], "not_deployed", [], "insecure", "none", "", "",
                             ["unsigned"], None, "unsigned.test"),
    # the domain's zone has a DS that matches no key: a validating sender cannot find its MX
    "dane_bogus": ("enforce_ok", [], "dns_error", ["dane_dnssec_bogus"], "bogus", "bogus", "",
                   "none", ["bogus"], "hosts", "bogus.test"),
    # DANE passes while MTA-STS does not cover the MX; DANE fails while MTA-STS is enforce_ok
    "dane_ok_sts_not_covered": ("would_fail", ["mx_not_covered"], "would_fail", ["mx_not_covered"],
                                "secure", "ok", "none", "none", ["ee"], ["mx.elsewhere-mail.test"], None),
    "dane_failed_sts_ok": ("enforce_ok", [], "enforce_ok", ["dane_tlsa_mismatch"], "secure",
                           "failed", "all", "none", ["stale"], "hosts", None),
    # two MX hosts, the backup's TLSA stale: a DANE sender delivers to the primary only
    "dane_two_mx_one_fails": ("enforce_ok", [], "enforce_ok", ["dane_tlsa_mismatch"], "secure",
                              "failed", "all", "some", ["ee", "stale"], "hosts", None),
    # DANE-EE whose certificate names another host: DANE passes (no name check, RFC 7672 §3.2.2),
    # MTA-STS does not
    "dane_ee_wrong_name": ("would_fail", ["mx_cert_hostname_mismatch"], "would_fail",
                           ["mx_cert_hostname_mismatch"], "secure", "ok", "none", "none",
                           ["othername"], "hosts", None),
}

DANE_MX = {
    "ee":        ("mx-ee.danemail.test", "127.2.210.1", "ca", ["self"], ["ee"], "ok"),
    "ta":        ("mx-ta.danemail.test", "127.2.210.2", "fullchain", ["self"], ["ta"], "ok"),
    "stale":     ("mx-stale.danemail.test", "127.2.210.3", "ca", ["self"], ["old"], "failed"),
    "rollover":  ("mx-roll.danemail.test", "127.2.210.4", "ca", ["self"], ["old", "ee"], "ok"),
    "pkix":      ("mx-pkix.danemail.test", "127.2.210.5", "ca", ["self"], ["pkix-ta", "pkix-ee"], "unusable"),
    "notls":     ("mx-notls.danemail.test", "127.2.210.6", None, [], ["old"], "no_chain"),
    "othername": ("mx-othername.danemail.test", "127.2.210.7", "ca", ["mx.unrelated.test"], ["ee"], "ok"),
    "unsigned":  ("mx.unsigned.test", "127.2.210.8", "ca", ["self"], ["ee"], ""),
    "bogus":     ("mx.bogus.test", "127.2.210.9", "ca", ["self"], ["ee"], ""),
}

# Policy-host behaviours: name -> (address, certificate kind, what nginx does).
POLICY_BEHAVIOURS = {
    "valid":       ("127.1.0.1", "ca", "file"),
    "charset":     ("127.1.0.2", "ca", "file_charset"),
    "expired":     ("127.1.1.1", "expired", "file"),
    "wrongname":   ("127.1.1.2", "wrongname", "file"),
    "selfsigned":  ("127.1.1.3", "selfsigned", "file"),
    "redirect301": ("127.1.2.1", "ca", "redirect301"),
    "redirect302": ("127.1.2.2", "ca", "redirect302"),
    "status404":   ("127.1.2.3", "ca", "status404"),
    "status500":   ("127.1.2.4", "ca", "status500"),
    "html":        ("127.1.2.5", "ca", "file_html"),
    "large":       ("127.1.2.6", "ca", "large"),
    "plainhttp":   ("127.1.3.1", None, "plainhttp"),
    "tarpit":      ("127.1.3.2", None, "tarpit"),
    "refused":     ("127.1.3.3", None, "refused"),
    # `mtasts-scan check`'s advisory codes (issue 12): a certificate that expires in a few days, and
    # leaves under an intermediate CA served with and without that intermediate
    "expiring":    ("127.1.0.3", "soon", "file"),
    "fullchain":   ("127.1.0.4", "fullchain", "file"),
    "nochain":     ("127.1.1.4", "nochain", "file"),
}

# An address nothing listens on (connection refused), published beside a working one; it sorts
# before 127.1.0.1, so a client taking the answer in (canonical) order tries it first.
DEAD_POLICY_ADDR = "127.0.9.9"
SOON_DAYS = 10  # the "soon" certificates expire within --expiry-days' default 30

# Shared mail providers, most popular first (Zipf-like draw).  Every host has the provider's
# address; the certificate covers the listed hosts and *.zone.
PROVIDER_NAMES = ["bigmail", "mailbox", "postoffice", "smtpcloud", "inboxpro", "mailhaus",
                  "netpost", "courier", "letterbox", "mxhub", "mailforge", "sendwell",
                  "postbridge", "mailnest", "quillmail", "relaybay", "mailyard", "parcelmx",
                  "dovecote", "owlpost"]
HOSTING_ZONES = 8  # own MX names: <domain-label>.mx.hosting<h>.test, wildcard A + wildcard cert

# MX behaviours that fail a STARTTLS probe: kind -> (host, address or None, how).
BAD_MX = {
    "notls":      ("mx1.plainmail.test", "127.2.200.1", "notls"),
    "expired":    ("mx1.oldcert.test", "127.2.201.1", "expired"),
    "wrongname":  ("mx1.wrongcert.test", "127.2.202.1", "wrongname"),
    "selfsigned": ("mx1.selfcert.test", "127.2.203.1", "selfsigned"),
    "refused":    ("mx1.deadmail.test", "127.2.204.1", "refused"),
    "noaddr":     ("mx1.ghostmail.test", None, "noaddr"),
    "oldtls":     ("mx1.oldtls.test", "127.2.205.1", "oldtls"),
}

# MX hosts of `mtasts-scan check`'s advisory scenarios (issue 12): kind -> (host, address); the
# certificate kinds of Certs.leaf ("soon": expires in SOON_DAYS; "nochain": leaf without its
# intermediate).
ADVISORY_MX = {
    "soon":    ("mx1.soonexpiring.test", "127.2.206.1"),
    "nochain": ("mx1.halfchain.test", "127.2.207.1"),
}

TARPIT_ADDRS = [POLICY_BEHAVIOURS["tarpit"][0] + ":443"]

# IPv6: unique local addresses (RFC 4193, prefix fd00:6d74:7374::/48, "mts") on the namespace's
# lo, next to the 127/8 ones.  Policy hosts and MX hosts reachable over IPv6 only, over both, and
# hosts with one dead address.  The scanner orders A before AAAA, so "first address" means IPv4.
V6 = "fd00:6d74:7374:"
POLICY_BEHAVIOURS.update({
    "valid6":    (V6 + "1::1", "ca", "file"),
    "refused6":  (V6 + "1::3", None, "refused"),   # on lo, nothing listens: connection refused
})
# MX hosts for the IPv6 scenarios: kind -> (host, [addresses in A-then-AAAA order], [live ones]).
# Distance (scripts/testnet up --wan): a policy host and an MX host that the relay makes very
# slow (class "slow"), and addresses that drop every packet (routed into a veth pair with a
# static neighbour nobody answers for, in the flat testnet too): a connection never opens.
POLICY_BEHAVIOURS.update({
    "slow":      ("127.1.0.5", "ca", "file"),
    "blackhole": ("198.18.0.1", None, "refused"),
})
SLOW_MX = ("mx.slowmail.test", "127.2.32.1")
BLACKHOLE_MX = ("mx.blackhole.test", "198.18.0.2")
BLACKHOLE_NET = ["198.18.0.0/24"]
SLOW_ADDRS = [POLICY_BEHAVIOURS["slow"][0], SLOW_MX[1]]
V6_MX = {
    "v6only":   ("mx.v6mail.test", [V6 + "2::1"], [V6 + "2::1"]),
    "dual":     ("mx.dualmail.test", ["127.2.30.1", V6 + "2::2"], ["127.2.30.1", V6 + "2::2"]),
    "deadv4":   ("mx1.halfmail.test", [BAD_MX["refused"][1], V6 + "2::3"], [V6 + "2::3"]),
    "deadv6":   ("mx2.halfmail.test", ["127.2.31.1", V6 + "2::4"], ["127.2.31.1"]),
}


def is_v6(addr):
    return ":" in addr


def addr_rtype(addr):
    return "AAAA" if is_v6(addr) else "A"


def listen_addr(addr):
    """addr as nginx and postfix write it before ':port'."""
    return "[%s]" % addr if is_v6(addr) else addr

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "xa", "ze", "bor", "dan", "fel",
             "gor", "hal", "jin", "kor", "lin", "mar", "nor", "pel", "qui", "ros", "tan",
             "ul", "ven", "wil", "yor", "zen", "al", "bri", "cor"]
TLDS = ["test", "example"]


def provider_hosts(i):
    zone = PROVIDER_NAMES[i] + ".test"
    n = 4 if i == 0 else (2 if i < 6 else 1)
    hosts = ["mx%d.%s" % (k + 1, zone) for k in range(n)] if n > 1 else ["mx." + zone]
    return zone, hosts, "127.2.%d.1" % (i + 1)


def hosting_addr(h):
    return "127.2.%d.1" % (100 + h)


# --- certificates (openssl CLI) -----------------------------------------------------------------

class Certs:
    """Creates keys and certificates with the openssl command; every key is ECDSA P-256."""

    def __init__(self, data_dir, out_dir):
        self.data_dir = data_dir
        self.out = out_dir
        self.ca_key = os.path.join(data_dir, "ca.key")
        self.ca_pem = os.path.join(data_dir, "ca.pem")
        self.count = 0
        os.makedirs(out_dir, exist_ok=True)
        self.cadb = os.path.join(out_dir, "ca-db")
        os.makedirs(self.cadb, exist_ok=True)
        open(os.path.join(self.cadb, "index.txt"), "w").close()
        with open(os.path.join(self.cadb, "serial"), "w") as f:
            f.write("1000\n")
        self.ca_cnf = os.path.join(self.cadb, "ca.cnf")
        with open(self.ca_cnf, "w") as f:
            f.write("[ca]\ndefault_ca = tn\n[tn]\ndatabase = %s/index.txt\nnew_certs_dir = %s\n"
                    "serial = %s/serial\ndefault_md = sha256\npolicy = pol\ncopy_extensions = copy\n"
                    "unique_subject = no\n[pol]\ncommonName = supplied\n"
                    % (self.cadb, self.cadb, self.cadb))
        self.ext = os.path.join(self.cadb, "leaf.ext")
        with open(self.ext, "w") as f:
            f.write("basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n"
                    "extendedKeyUsage = serverAuth\n")

    @staticmethod
    def run(args):
        r = subprocess.run(["openssl"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            sys.exit("gen: openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace")))

    def key(self, path):
        self.run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                  "-out", path])
        os.chmod(path, 0o600)

    def ensure_ca(self):
        if os.path.exists(self.ca_key) and os.path.exists(self.ca_pem):
            return False
        self.key(self.ca_key)
        self.run(["req", "-x509", "-new", "-key", self.ca_key, "-sha256", "-days", "3650",
                  "-subj", "/O=mtasts-scan testnet/CN=mtasts-scan testnet CA",
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", self.ca_pem])
        return True

    def intermediate(self):
        """An intermediate CA under DATA/ca.pem (made once per generation): a two-level chain."""
        if getattr(self, "inter_pem", None):
            return self.inter_key, self.inter_pem
        self.inter_key = os.path.join(self.out, "intermediate.key")
        self.inter_pem = os.path.join(self.out, "intermediate.pem")
        csr = self.inter_pem + ".csr"
        ext = os.path.join(self.cadb, "inter.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints = critical,CA:TRUE,pathlen:0\n"
                    "keyUsage = critical,keyCertSign,cRLSign\n")
        self.key(self.inter_key)
        self.run(["req", "-new", "-key", self.inter_key, "-subj",
                  "/O=mtasts-scan testnet/CN=mtasts-scan testnet intermediate", "-out", csr])
        self.run(["x509", "-req", "-in", csr, "-CA", self.ca_pem, "-CAkey", self.ca_key,
                  "-set_serial", str(random.SystemRandom().getrandbits(63)), "-sha256",
                  "-days", "825", "-extfile", ext, "-out", self.inter_pem])
        os.unlink(csr)
        return self.inter_key, self.inter_pem

    def leaf(self, base, names, kind):
        """Writes base.key / base.pem for names; kind: ca, expired, selfsigned, soon (expires in
        SOON_DAYS), nochain (signed by the intermediate, leaf alone), fullchain (the same, the
        intermediate appended).  Returns paths."""
        key, pem, csr = base + ".key", base + ".pem", base + ".csr"
        self.key(key)
        san = "subjectAltName=" + ",".join("DNS:" + n for n in names)
        subj = "/O=mtasts-scan testnet/CN=testnet leaf %d" % self.count
        self.count += 1
        if kind == "selfsigned":
            self.run(["req", "-x509", "-new", "-key", key, "-sha256", "-days", "825", "-subj", subj,
                      "-addext", san, "-addext", "basicConstraints=critical,CA:FALSE",
                      "-addext", "extendedKeyUsage=serverAuth", "-out", pem])
            return key, pem
        self.run(["req", "-new", "-key", key, "-subj", subj, "-addext", san, "-out", csr])
        if kind in ("ca", "soon"):
            self.run(["x509", "-req", "-in", csr, "-CA", self.ca_pem, "-CAkey", self.ca_key,
                      "-set_serial", str(random.SystemRandom().getrandbits(63)), "-sha256",
                      "-days", str(SOON_DAYS if kind == "soon" else 825), "-copy_extensions",
                      "copy", "-extfile", self.ext, "-out", pem])
        elif kind in ("nochain", "fullchain"):
            # like a public CA's leaf, it says where its issuer's certificate is published (AIA)
            ikey, ipem = self.intermediate()
            aia = os.path.join(self.cadb, "leaf-aia.ext")
            with open(self.ext) as f, open(aia, "w") as g:
                g.write(f.read() + "authorityInfoAccess = caIssuers;"
                        "URI:http://pki.testnet.test/intermediate.pem\n")
            self.run(["x509", "-req", "-in", csr, "-CA", ipem, "-CAkey", ikey,
                      "-set_serial", str(random.SystemRandom().getrandbits(63)), "-sha256",
                      "-days", "825", "-copy_extensions", "copy", "-extfile", aia,
                      "-out", pem])
            if kind == "fullchain":
                with open(pem, "a") as f, open(ipem) as i:
                    f.write(i.read())
        elif kind == "expired":
            self.run(["ca", "-batch", "-notext", "-config", self.ca_cnf, "-cert", self.ca_pem,
                      "-keyfile", self.ca_key, "-startdate", "20200101000000Z",
                      "-enddate", "20210101000000Z", "-extfile", self.ext, "-in", csr,
                      "-out", pem])
        else:
            raise ValueError(kind)
        os.unlink(csr)
        return key, pem


# --- policy and record texts --------------------------------------------------------------------

def policy_text(mode, mx, max_age=604800, crlf=False, extra=None, version="STSv1"):
    lines = []
    if version is not None:
        lines.append("version: " + version)
    if mode is not None:
        lines.append("mode: " + mode)
    lines += ["mx: " + p for p in mx]
    if max_age is not None:
        lines.append("max_age: " + str(max_age))
    if extra:
        lines += extra
    nl = "\r\n" if crlf else "\n"
    return nl.join(lines) + nl


def q(s):
    """One TXT character-string, quoted for a zone file (control bytes such as a TAB as \\DDD)."""
    return '"' + "".join("\\" + c if c in '\\"' else "\\%03d" % ord(c) if ord(c) < 0x20 or ord(c) == 0x7f
                         else c for c in s) + '"'


def unq(data):
    """The concatenated character-strings of a TXT rdata written with q()."""
    def one(m):
        g = m.group(1)
        return chr(int(g)) if len(g) == 3 else g
    return "".join(re.sub(r"\\([0-9]{3}|.)", one, m)
                   for m in re.findall(r'"((?:[^"\\]|\\.)*)"', data))


def record_text(records, version):
    """The scanner's sts_record / tlsrpt_record cell: the records starting with version *WSP ";"
    (the others are discarded, RFC 8461 §3.1), '|'-joined, bytes outside 0x20-0x7e and '\\', '|'
    as \\xHH (docs/codes.md)."""
    def esc(r):
        return "".join(c if 0x20 <= ord(c) <= 0x7e and c not in "\\|" else "\\x%02x" % ord(c)
                       for c in r)
    cand = [r for r in records if re.match(re.escape(version) + r"[ \t]*;", r)]
    return "|".join(esc(r) for r in cand)


class Domain:
    __slots__ = ("rank", "name", "scenario")

    def __init__(self, rank, name, scenario):
        self.rank, self.name, self.scenario = rank, name, scenario


# --- the generator -------------------------------------------------------------------------------

class Gen:
    def __init__(self, args, repo):
        self.args = args
        self.rng = random.Random(args.seed)
        self.data = os.path.abspath(args.data_dir)
        self.final = os.path.join(self.data, "gen")      # paths written into configs
        self.out = os.path.join(self.data, "gen.new")    # where files are written
        self.issue_rank = {c: i for i, c in enumerate(issue_order(repo))}
        self.variant_next = {}
        self.policy_hosts = {b: [] for b in POLICY_BEHAVIOURS}
        self.sts_cov = 0
        self.broken_zones = []
        self.txt = {}          # owner -> TXT records (strings concatenated), for published.csv
        self.cname = {}        # owner -> target
        self.policy_of = {}    # domain -> (behaviour, body)
        self.samples = {}
        self.advisory = {}     # domain -> issue codes with --advisories (b_advisory domains)
        self.dane_truth = {}   # domain -> DANE_SCENARIOS' truth through the validating resolver
        pw = [1.0 / (i + 1) for i in range(len(PROVIDER_NAMES))]
        self.provider_cum = self.cumulate(pw)
        self.scenarios = self.scenario_table()

    @staticmethod
    def cumulate(weights):
        cum, t = [], 0.0
        for w in weights:
            t += w
            cum.append(t)
        return cum

    def pick(self, cum):
        return bisect(cum, self.rng.random() * cum[-1])

    # Each scenario: name -> (variants, builder, verdict, issues it always adds).  A builder writes
    # the domain's records, registers its policy host, and returns the scenario's own issue codes.
    def scenario_table(self):
        S = {}

        def add(name, variants, fn, verdict):
            S[name] = (variants, fn, verdict)

        add("nosts", 2, self.b_nosts, "not_deployed")
        add("nosts_tlsrpt_invalid", 2, self.b_nosts_tlsrpt, "not_deployed")
        add("nosts_tlsrpt_multiple", 1, self.b_nosts_tlsrpt, "not_deployed")
        add("implicit_mx", 1, self.b_implicit_mx, "not_deployed")
        add("null_mx", 2, self.b_null_mx, "no_mail")
        add("no_mail_host", 1, self.b_no_mail_host, "no_mail")
        add("nxdomain", 1, self.b_nxdomain, "no_mail")
        add("dns_error_mx", 1, self.b_dns_error_mx, "dns_error")
        add("dns_error_sts_txt", 2, self.b_dns_error_sts_txt, "dns_error")
        # A v=STSv1 record that does not parse, or several: a failed deployment (docs/codes.md)
        add("txt_invalid", 3, self.b_txt_invalid, "invalid")
        add("txt_multiple", 1, self.b_txt_multiple, "invalid")
        add("enforce_ok", 6, self.b_sts_ok, "enforce_ok")
        add("max_age_short", 1, self.b_sts_ok, "enforce_ok")
        add("testing_ok", 2, self.b_sts_ok, "testing_ok")
        add("mode_none", 2, self.b_sts_ok, "mode_none")
        for name, beh in (("policy_host_unresolved", ["unresolved"]),
                          ("policy_connect_failed", ["refused"]),
                          ("policy_timeout", ["tarpit"]),
                          ("policy_tls_failed", ["plainhttp"]),
                          ("policy_cert_expired", ["expired"]),
                          ("policy_cert_hostname_mismatch", ["wrongname"]),
                          ("policy_cert_untrusted", ["selfsigned"]),
                          ("policy_http_redirect", ["redirect301", "redirect302"]),
                          ("policy_http_status", ["status404", "status500"]),
                          ("policy_content_type", ["html"]),
                          ("policy_too_large", ["large"])):
            add(name, len(beh), self.make_fetch_fail(name, beh), "invalid")
        add("policy_syntax", 1, self.b_policy_content, "invalid")
        add("policy_version_invalid", 1, self.b_policy_content, "invalid")
        add("policy_mode_invalid", 1, self.b_policy_content, "invalid")
        add("policy_max_age_invalid", 2, self.b_policy_content, "invalid")
        add("policy_mx_missing", 1, self.b_policy_content, "invalid")
        add("mx_not_covered", 3, self.b_mx_not_covered, "would_fail")
        # Advisory codes of `mtasts-scan check` (issue 12).  A bulk scan reports them only with
        # --advisories, so truth.csv (the bulk scan's truth) does not list them; advisory.csv
        # does (tests/e2e/check_report.sh).
        add("sts_ttl_unusual", 1, self.b_advisory, "enforce_ok")
        add("sts_txt_extra_records", 1, self.b_advisory, "enforce_ok")
        add("cert_expiring_soon", 1, self.b_advisory, "enforce_ok")
        add("cert_chain_complete", 1, self.b_advisory, "enforce_ok")
        add("cert_chain_incomplete", 1, self.b_advisory, "invalid")
        add("policy_fetch_other_address_failed", 1, self.b_advisory, "enforce_ok")
        add("mx_cert_expiring_soon", 1, self.b_advisory_mx, "enforce_ok")
        add("mx_cert_chain_incomplete", 1, self.b_advisory_mx, "would_fail")
        for name, kinds in (("mx_starttls_missing", ["notls"]),
                            ("mx_connect_failed", ["refused", "noaddr"]),
                            ("mx_cert_expired", ["expired"]),
                            ("mx_cert_hostname_mismatch", ["wrongname"]),
                            ("mx_cert_untrusted", ["selfsigned"]),
                            ("mx_tls_failed", ["oldtls"])):
            add(name, 2, self.make_bad_mx(name, kinds), "would_fail")
        # IPv6 (appended: the scenarios above keep their order and variants)
        add("policy_ipv6", 2, self.b_policy_ipv6, "enforce_ok")
        add("policy_first_addr_dead", 1, self.b_policy_ipv6, "enforce_ok")
        add("policy_ipv6_refused", 1, self.b_policy_ipv6, "invalid")
        add("mx_ipv6", 2, self.b_mx_ipv6, "enforce_ok")
        add("mx_one_addr_dead", 2, self.b_mx_ipv6, "would_fail")
        add("implicit_mx_ipv6", 1, self.b_implicit_mx_ipv6, "not_deployed")
        add("dns_large_answers", 1, self.b_dns_large_answers, "enforce_ok")
        # distance (appended)
        add("policy_slow", 1, self.b_far_hosts, "enforce_ok")
        add("mx_slow", 1, self.b_far_hosts, "enforce_ok")
        add("policy_blackhole", 1, self.b_far_hosts, "invalid")
        add("mx_blackhole", 1, self.b_far_hosts, "would_fail")
        # DANE beside MTA-STS (issue 21, appended): verdicts as through knot, which never
        # validates; what a scan through the validating resolver gives is in dane_truth.csv
        for name, verdict in DANE_SCENARIOS.items():
            add(name, 1, self.b_dane, verdict[0])
        return S

    # --- record helpers --------------------------------------------------------------------------

    def zone_for(self, name):
        """The zone file that holds owner name: a child zone's (CHILD_ZONES), else root.zone."""
        for z, f in self.child_files.items():
            if name == z or name.endswith("." + z):
                return f
        return self.zone

    def rr(self, name, rtype, data):
        self.zone_for(name).write("%s. %s %s\n" % (name, rtype, data))
        if rtype == "TXT":
            self.txt.setdefault(name, []).append(unq(data))
        elif rtype == "CNAME":
            self.cname[name] = data.rstrip(".")

    def published(self, name):
        """(sts_record, tlsrpt_record, TXT records at _mta-sts, behaviour, sha256) of a domain."""
        def records(owner):
            return self.txt.get(self.cname.get(owner, owner), [])
        sts = records("_mta-sts." + name)
        beh, body = self.policy_of.get(name, ("", None))
        # nginx sends the file as is, 200 text/plain, with a certificate a client accepts
        served = beh in ("valid", "charset", "expiring", "fullchain", "valid6", "slow")
        sha = hashlib.sha256(body.encode()).hexdigest() if served else ""
        return (record_text(sts, "v=STSv1"), record_text(records("_smtp._tls." + name), "v=TLSRPTv1"),
                len(sts), beh, sha)

    def mx(self, d, hosts):
        for i, h in enumerate(hosts):
            self.rr(d.name, "MX", "%d %s." % (10 * (i + 1), h))

    def good_mx(self, d, own=None):
        """Gives d a working MX set; returns (hosts, policy patterns, exact patterns)."""
        if own is None:
            own = self.rng.random() < 0.4
        if own:
            h = self.rng.randrange(HOSTING_ZONES) + 1
            host = "%s.mx.hosting%d.test" % (d.name.replace(".", "-"), h)
            hosts, wild = [host], ["*.mx.hosting%d.test" % h]
        else:
            i = self.pick(self.provider_cum)
            zone, hosts, _ = provider_hosts(i)
            wild = ["*." + zone]
        self.mx(d, hosts)
        return hosts, wild, list(hosts)

    def any_mx(self, d):
        """MX for a domain without MTA-STS: mostly working hosts, sometimes broken ones."""
        r = self.rng.random()
        if r < 0.05:
            kind = list(BAD_MX)[self.rng.randrange(len(BAD_MX))]
            self.mx(d, [BAD_MX[kind][0]])
        else:
            self.good_mx(d, own=r < 0.45)

    def sts_txt(self, d, variant=0):
        sid = "%d%s" % (20240000 + d.rank % 10000, "abc"[d.rank % 3])
        name = "_mta-sts." + d.name
        v = variant % 6
        if v == 0:
            self.rr(name, "TXT", q("v=STSv1; id=%s;" % sid))
        elif v == 1:   # two character-strings: concatenated before parsing (RFC 8461 §3.1)
            self.rr(name, "TXT", q("v=STSv1; ") + " " + q("id=%s" % sid))
        elif v == 2:   # a record without the version prefix is discarded, not counted
            self.rr(name, "TXT", q("v=STSv1; id=%s" % sid))
            self.rr(name, "TXT", q("v=spf1 -all"))
        elif v == 3:   # CNAME to a provider's record, which resolvers follow
            self.rr(name, "CNAME", "_mta-sts.sts-provider.test.")
        elif v == 4:   # unknown extension fields are allowed
            self.rr(name, "TXT", q("v=STSv1; id=%s; ext=x1" % sid))
        else:          # a TAB before the ';': a candidate by the ABNF's field-delim (*WSP ";"),
                       # which scan and check both follow (erratum 6285, docs/codes.md)
            self.rr(name, "TXT", q("v=STSv1\t; id=%s;" % sid))

    def tlsrpt(self, d, state):
        name = "_smtp._tls." + d.name
        if state == "valid":
            r = d.rank % 3
            rua = ["mailto:tlsrpt@%s" % d.name, "https://reports.%s/tlsrpt" % d.name,
                   "mailto:tls@reports.test,https://reports.test/v1"][r]
            self.rr(name, "TXT", q("v=TLSRPTv1; rua=%s" % rua))
            return []
        if state == "invalid":
            self.rr(name, "TXT", q("v=TLSRPTv1; rua=ftp://reports.%s/in" % d.name))
            return ["tlsrpt_invalid"]
        if state == "invalid_norua":
            self.rr(name, "TXT", q("v=TLSRPTv1;"))
            return ["tlsrpt_invalid"]
        if state == "multiple":
            self.rr(name, "TXT", q("v=TLSRPTv1; rua=mailto:a@%s" % d.name))
            self.rr(name, "TXT", q("v=TLSRPTv1; rua=mailto:b@%s" % d.name))
            return ["tlsrpt_multiple"]
        return []  # missing

    def sts_tlsrpt(self, d, cov):
        """TLS-RPT of a domain with a valid _mta-sts TXT: about half publish one."""
        if cov:
            state = ["valid", "missing", "valid", "invalid", "valid", "multiple"][self.sts_cov % 6]
            self.sts_cov += 1
        else:
            r = self.rng.random()
            state = "valid" if r < 0.5 else "missing" if r < 0.92 else \
                "invalid" if r < 0.97 else "multiple"
        issues = self.tlsrpt(d, state)
        return issues + (["tlsrpt_missing"] if state == "missing" else [])

    def policy(self, d, behaviour, body):
        """Publishes mta-sts.<d> on a policy-host behaviour with body as its policy file."""
        host = "mta-sts." + d.name
        self.policy_of[d.name] = (behaviour, body)
        if behaviour != "unresolved":
            self.rr(host, "A", POLICY_BEHAVIOURS[behaviour][0])
            self.policy_hosts[behaviour].append(host)
        with open(os.path.join(self.out, "policies", host + ".txt"), "w", newline="") as f:
            f.write(body)

    def policy_on(self, d, behaviours, body):
        """Publishes mta-sts.<d> with one A or AAAA record per behaviour's address, in order."""
        host = "mta-sts." + d.name
        # what a client ends up with: the first address that serves the file (after dead ones)
        serving = [b for b in behaviours if POLICY_BEHAVIOURS[b][2] == "file"]
        self.policy_of[d.name] = (serving[0] if serving else behaviours[-1], body)
        for beh in behaviours:
            addr = POLICY_BEHAVIOURS[beh][0]
            self.rr(host, addr_rtype(addr), addr)
            self.policy_hosts[beh].append(host)
        with open(os.path.join(self.out, "policies", host + ".txt"), "w", newline="") as f:
            f.write(body)

    # --- scenario builders: return the scenario's issue codes -------------------------------------

    def b_nosts(self, d, v, cov):
        self.any_mx(d)
        r = self.rng.random()
        if r < 0.01:
            self.tlsrpt(d, "valid")
        if v == 1:  # only records without the v=STSv1 prefix: discarded (RFC 8461 §3.1)
            self.rr("_mta-sts." + d.name, "TXT", q("v=STSv10; id=1;"))
            self.rr("_mta-sts." + d.name, "TXT", q("v=spf1 -all"))
        return []

    def b_nosts_tlsrpt(self, d, v, cov):
        self.any_mx(d)
        if d.scenario == "nosts_tlsrpt_multiple":
            return self.tlsrpt(d, "multiple")
        return self.tlsrpt(d, "invalid" if v == 0 else "invalid_norua")

    def b_implicit_mx(self, d, v, cov):   # RFC 5321 §5.1: no MX, the A record is the mail host
        self.rr(d.name, "A", hosting_addr(1 + d.rank % HOSTING_ZONES))
        return []

    def b_null_mx(self, d, v, cov):       # RFC 7505
        self.rr(d.name, "MX", "0 .")
        self.rr(d.name, "TXT", q("v=spf1 -all"))
        # Issue codes report every fact whatever the verdict (docs/codes.md): a broken TLS-RPT
        # record of a domain without mail is still reported.
        return self.tlsrpt(d, "invalid") if v == 1 else []

    def b_no_mail_host(self, d, v, cov):  # the name exists (TXT) but has no MX, A or AAAA
        self.rr(d.name, "TXT", q("v=spf1 -all"))
        self.rr("www." + d.name, "A", "127.3.0.1")
        return []

    def b_nxdomain(self, d, v, cov):
        return []

    def b_dns_error_mx(self, d, v, cov):  # the name lives in broken.test., which knot SERVFAILs
        return []

    def b_dns_error_sts_txt(self, d, v, cov):
        self.good_mx(d)
        self.broken_zones.append("_mta-sts." + d.name)
        return self.tlsrpt(d, "multiple") if v == 1 else []

    def b_txt_invalid(self, d, v, cov):
        self.any_mx(d)
        txt = ["v=STSv1; id=a_b;", "v=STSv1; id=%s;" % ("a1" * 16 + "z"), "v=STSv1;"][v]
        self.rr("_mta-sts." + d.name, "TXT", q(txt))
        return ["txt_invalid"] + (self.tlsrpt(d, "invalid") if v == 0 and cov else [])

    def b_txt_multiple(self, d, v, cov):
        self.any_mx(d)
        self.rr("_mta-sts." + d.name, "TXT", q("v=STSv1; id=1;"))
        self.rr("_mta-sts." + d.name, "TXT", q("v=STSv1; id=2;"))
        return ["txt_multiple"]

    def b_sts_ok(self, d, v, cov):
        sc = d.scenario
        own = (v % 2 == 1) if cov else None
        hosts, wild, exact = self.good_mx(d, own=own)
        mode = {"enforce_ok": "enforce", "max_age_short": "enforce", "testing_ok": "testing",
                "mode_none": "none"}[sc]
        pats = wild if (v if cov else self.rng.randrange(2)) % 2 else exact
        max_age = 3600 if sc == "max_age_short" else [604800, 86400, 31557600, 1209600][v % 4]
        crlf = v == 2 if cov else self.rng.random() < 0.2
        beh = "charset" if (v == 3 if cov else self.rng.random() < 0.2) else "valid"
        extra = ["comment: unknown fields are ignored"] if v == 4 else None
        self.sts_txt(d, v if cov else self.rng.randrange(5))
        self.policy(d, beh, policy_text(mode, pats, max_age, crlf=crlf, extra=extra))
        issues = self.sts_tlsrpt(d, cov)
        if sc == "max_age_short":
            issues.append("policy_max_age_short")
        return issues

    def make_fetch_fail(self, code, behaviours):
        def build(d, v, cov):
            hosts, wild, exact = self.good_mx(d)
            self.sts_txt(d, 0)
            mode = "enforce" if d.rank % 2 else "testing"
            self.policy(d, behaviours[v], policy_text(mode, exact))
            return [code] + self.sts_tlsrpt(d, cov)
        return build

    def b_policy_content(self, d, v, cov):
        hosts, wild, exact = self.good_mx(d)
        self.sts_txt(d, 0)
        sc = d.scenario
        if sc == "policy_syntax":
            body = policy_text("enforce", exact, extra=["this line has no colon"])
        elif sc == "policy_version_invalid":
            body = policy_text("enforce", exact, version="STSv2")
        elif sc == "policy_mode_invalid":
            body = policy_text("enforced", exact)
        elif sc == "policy_max_age_invalid":
            body = policy_text("enforce", exact, max_age=[31557601, 10000000000][v])
        else:  # policy_mx_missing: enforce needs at least one mx (RFC 8461 §3.2)
            body = policy_text("enforce", [])
        self.policy(d, "valid", body)
        return [sc] + self.sts_tlsrpt(d, cov)

    def b_mx_not_covered(self, d, v, cov):
        self.sts_txt(d, 0)
        mode = "enforce" if d.rank % 2 else "testing"
        if v == 0:    # the policy names another provider's host
            hosts, wild, exact = self.good_mx(d, own=False)
            other = "mx.elsewhere-mail.test"
            pats = [other]
        elif v == 1:  # "*.hosting3.test" does not match a.mx.hosting3.test (one label only, §4.1)
            hosts, wild, exact = self.good_mx(d, own=True)
            pats = [wild[0].replace("*.mx.", "*.")]
        else:         # two MX, the policy covers the first only
            zone, hosts, _ = provider_hosts(0)
            self.mx(d, hosts[:2])
            pats = [hosts[0]]
        self.policy(d, "valid", policy_text(mode, pats))
        return ["mx_not_covered"] + self.sts_tlsrpt(d, cov)

    def b_advisory(self, d, v, cov):
        """An enforce policy on a working MX, with one server behaviour that an advisory code of
        `mtasts-scan check` reports.  Returns the bulk scan's codes (truth.csv); the advisory
        codes go to self.advisory (advisory.csv)."""
        sc = d.scenario
        hosts, wild, exact = self.good_mx(d, own=False)
        sid = "%d" % (20240000 + d.rank % 10000)
        name = "_mta-sts." + d.name
        if sc == "sts_ttl_unusual":   # 60 s: below the usual 300-3600
            self.zone_for(name).write("%s. 60 TXT %s\n" % (name, q("v=STSv1; id=%s;" % sid)))
            self.txt.setdefault(name, []).append("v=STSv1; id=%s;" % sid)
        else:
            self.rr(name, "TXT", q("v=STSv1; id=%s;" % sid))
        if sc == "sts_txt_extra_records":
            self.rr(name, "TXT", q("v=spf1 -all"))
        beh = {"cert_expiring_soon": "expiring", "cert_chain_complete": "fullchain",
               "cert_chain_incomplete": "nochain"}.get(sc, "valid")
        if sc == "policy_fetch_other_address_failed":
            self.rr("mta-sts." + d.name, "A", DEAD_POLICY_ADDR)
        self.policy(d, beh, policy_text("enforce", exact))
        self.tlsrpt(d, "valid")
        adv = {"sts_ttl_unusual": ["sts_ttl_unusual"],
               "sts_txt_extra_records": ["sts_txt_extra_records"],
               "cert_expiring_soon": ["cert_expiring_soon"],
               "cert_chain_complete": [],
               "cert_chain_incomplete": ["cert_chain_incomplete"],
               "policy_fetch_other_address_failed": ["policy_fetch_other_address_failed"]}[sc]
        base = ["policy_cert_untrusted"] if sc == "cert_chain_incomplete" else []
        self.advisory[d.name] = base + adv
        return base

    def b_advisory_mx(self, d, v, cov):
        """An enforce policy whose one MX has an advisory certificate: expiring in SOON_DAYS, or
        served without its intermediate (then also mx_cert_untrusted: a sender refuses it)."""
        kind = "soon" if d.scenario == "mx_cert_expiring_soon" else "nochain"
        host = ADVISORY_MX[kind][0]
        self.mx(d, [host])
        self.rr("_mta-sts." + d.name, "TXT", q("v=STSv1; id=%d;" % (20240000 + d.rank % 10000)))
        self.policy(d, "valid", policy_text("enforce", [host]))
        self.tlsrpt(d, "valid")
        base = ["mx_cert_untrusted"] if kind == "nochain" else []
        self.advisory[d.name] = base + ["cert_expiring_soon" if kind == "soon" else "cert_chain_incomplete"]
        return base

    def make_bad_mx(self, code, kinds):
        def build(d, v, cov):
            kind = kinds[v % len(kinds)]
            bad = BAD_MX[kind][0]
            self.sts_txt(d, 0)
            mode = "enforce" if d.rank % 2 else "testing"
            if (v if cov else self.rng.randrange(2)) % 2 == 0:
                hosts = [bad]
            else:   # a working primary and a broken backup MX: still would_fail
                zone, good, _ = provider_hosts(1 + d.rank % 5)
                hosts = good[:1] + [bad]
            self.mx(d, hosts)
            self.policy(d, "valid", policy_text(mode, hosts))
            return [code] + self.sts_tlsrpt(d, cov)
        return build

    # A sender tries the addresses of the policy host in turn until one answers (RFC 8461 §3.3
    # fetches "the" policy over HTTPS: one dead address of several is not a failed fetch).
    def b_policy_ipv6(self, d, v, cov):
        hosts, wild, exact = self.good_mx(d)
        self.sts_txt(d, 0)
        sc = d.scenario
        if sc == "policy_ipv6":   # IPv6 only, or both families alive
            behs, issues = (["valid6"] if v == 0 else ["valid", "valid6"]), []
        elif sc == "policy_first_addr_dead":   # A refused, AAAA alive
            behs, issues = ["refused", "valid6"], []
        else:                     # IPv6 only, refused
            behs, issues = ["refused6"], ["policy_connect_failed"]
        self.policy_on(d, behs, policy_text("enforce", exact))
        return issues + self.sts_tlsrpt(d, cov)

    # The scanner probes every address of an MX host (up to --mx-addr-max) and reports a failing
    # one: a sending MTA may pick any of them (docs/codes.md, mx_connect_failed).
    def b_mx_ipv6(self, d, v, cov):
        self.sts_txt(d, 0)
        if d.scenario == "mx_ipv6":
            host = V6_MX["v6only" if v == 0 else "dual"][0]
            issues = []
        else:
            host = V6_MX["deadv4" if v == 0 else "deadv6"][0]
            issues = ["mx_connect_failed"]
        self.mx(d, [host])
        self.policy(d, "valid", policy_text("enforce", [host]))
        return issues + self.sts_tlsrpt(d, cov)

    def b_implicit_mx_ipv6(self, d, v, cov):   # no MX, only an AAAA record: the implicit MX
        self.rr(d.name, "AAAA", V6_MX["v6only"][1][0])
        return []

    # An answer too large for UDP (the scanner's EDNS payload is 1232 bytes): knot sets TC and the
    # client must ask again over TCP: an _mta-sts RRset of 12 records (~5 KB) of which one is
    # v=STSv1, next to 12 MX hosts.  (Many MX records over UDP: tests/integration/dns_tcp_knot.sh;
    # here the mx column, capped at 1 KB, must hold every name.)
    def b_dns_large_answers(self, d, v, cov):
        h = 1 + d.rank % HOSTING_ZONES
        label = d.name.replace(".", "-")[:14]
        hosts = ["%s-%02d.mx.hosting%d.test" % (label, i, h) for i in range(1, 13)]
        self.mx(d, hosts)
        name = "_mta-sts." + d.name
        for i in range(11):
            self.rr(name, "TXT", q("site-verification-%02d=%s" % (i, "a" * 200)) + " " + q("b" * 200))
        self.sts_txt(d, 0)
        self.policy(d, "valid", policy_text("enforce", ["*.mx.hosting%d.test" % h]))
        return self.sts_tlsrpt(d, cov)

    # Latency alone never changes a verdict (a slow host answers within --timeout); a host that
    # drops everything never lets a connection open: the fetch or probe times out.
    def b_far_hosts(self, d, v, cov):
        self.sts_txt(d, 0)
        sc = d.scenario
        if sc in ("mx_slow", "mx_blackhole"):
            host = (SLOW_MX if sc == "mx_slow" else BLACKHOLE_MX)[0]
            self.mx(d, [host])
            self.policy(d, "valid", policy_text("enforce", [host]))
            issues = ["mx_connect_failed"] if sc == "mx_blackhole" else []
        else:
            hosts, wild, exact = self.good_mx(d)
            self.policy(d, "slow" if sc == "policy_slow" else "blackhole",
                        policy_text("enforce", exact))
            issues = ["policy_timeout"] if sc == "policy_blackhole" else []
        return issues + self.sts_tlsrpt(d, cov)

    def b_dane(self, d, v, cov):
        """A DANE scenario (DANE_SCENARIOS): its MX hosts, an enforce policy or none, a valid
        TLS-RPT record; the validating resolver's truth goes to self.dane_truth."""
        sc = DANE_SCENARIOS[d.scenario]
        hosts = [DANE_MX[k][0] for k in sc[8]]
        self.mx(d, hosts)
        if sc[9] is not None:
            self.sts_txt(d, 0)
            self.policy(d, "valid", policy_text("enforce", hosts if sc[9] == "hosts" else sc[9]))
        self.tlsrpt(d, "valid")
        self.dane_truth[d.name] = sc[2:8]
        return list(sc[1])

    def write_tlsa(self, certs):
        """The TLSA records of DANE_MX, computed from the certificates just issued (the served
        key's SubjectPublicKeyInfo, the intermediate's and the CA's certificate), appended to
        their zones' files; and gen/dane_mx.csv, the dane_match each address must get."""
        def sha(args, inp=None):
            r = subprocess.run(["openssl"] + args, input=inp, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, check=True)
            return r.stdout

        def spki(pem):
            pub = sha(["x509", "-in", pem, "-noout", "-pubkey"])
            return hashlib.sha256(sha(["pkey", "-pubin", "-outform", "DER"], pub)).hexdigest()

        def cert_der(pem):
            return hashlib.sha256(sha(["x509", "-in", pem, "-outform", "DER"])).hexdigest()

        cdir = os.path.join(self.out, "certs")
        old_key = os.path.join(cdir, "dane-old.key")   # the key before a change: never served
        certs.key(old_key)
        old = hashlib.sha256(sha(["pkey", "-in", old_key, "-pubout", "-outform", "DER"])).hexdigest()
        _, ipem = certs.intermediate()
        files = {z: open(os.path.join(self.out, "knot", z + ".zone"), "a") for z in CHILD_ZONES}
        self.child_files, keep = files, self.child_files
        rows = []
        for kind, (host, addr, ckind, _, recs, match) in DANE_MX.items():
            pem = os.path.join(cdir, "mx-dane-%s.pem" % kind)
            data = {"old": "3 1 1 " + old, "pkix-ta": "0 0 1 " + cert_der(certs.ca_pem)}
            if ckind is not None:
                data.update({"ee": "3 1 1 " + spki(pem), "pkix-ee": "1 1 1 " + spki(pem),
                             "ta": "2 0 1 " + cert_der(ipem)})
            for r in recs:
                self.rr("_25._tcp." + host, "TLSA", data[r])
            rows.append((host, addr, match))
        for f in files.values():
            f.close()
        self.child_files = keep
        with open(os.path.join(self.out, "dane_mx.csv"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["mx_host", "address", "dane_match"])
            w.writerows(rows)

    # --- drawing the population --------------------------------------------------------------------

    def read_mix(self):
        path = self.args.mix or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "default.mix")
        weights = {}
        with open(path, encoding="utf-8") as f:
            for ln, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                parts = line.split()
                if len(parts) != 2 or parts[0] not in self.scenarios:
                    sys.exit("gen: %s:%d: expected 'scenario weight' with a known scenario, got %r"
                             % (path, ln, line))
                try:
                    w = float(parts[1])
                except ValueError:
                    sys.exit("gen: %s:%d: bad weight %r" % (path, ln, parts[1]))
                if w < 0:
                    sys.exit("gen: %s:%d: negative weight" % (path, ln))
                weights[parts[0]] = w
        if sum(weights.values()) <= 0:
            sys.exit("gen: %s: all weights are zero" % path)
        return path, weights

    def coverage(self):
        """One slot per scenario variant, so that every behaviour appears at least once.  The DANE
        scenarios' slots come last: a generation smaller than the slots before them (e.g.
        tests/e2e/check_report.sh's 80 domains and its goldens) is the one it was before them."""
        first = [n for n in self.scenarios if n not in DANE_SCENARIOS]
        more = []
        for name, (variants, _, _) in self.scenarios.items():
            more += [name] * (variants - 1)
        return first + more + list(DANE_SCENARIOS)

    def draw(self, n, weights):
        cov = self.coverage()
        if n < len(cov):
            print("gen: warning: --domains %d < %d coverage slots: only the first %d scenario "
                  "variants appear" % (n, len(cov), n), file=sys.stderr)
            cov = cov[:n]
        names = [s for s in self.scenarios if weights.get(s, 0) > 0]
        cum = self.cumulate([weights[s] for s in names])
        rest = [names[bisect(cum, self.rng.random() * cum[-1])] for _ in range(n - len(cov))]
        return cov, rest

    def domain_name(self, rank, scenario):
        r = self.rng
        word = r.choice(SYLLABLES) + r.choice(SYLLABLES) + (r.choice(SYLLABLES) if r.random() < 0.5 else "")
        if scenario == "dns_error_mx":
            return "%s%d.broken.test" % (word, rank)
        if scenario in DANE_SCENARIOS and DANE_SCENARIOS[scenario][10]:
            return "%s%d.%s" % (word, rank, DANE_SCENARIOS[scenario][10])
        return "%s%d.%s" % (word, rank, TLDS[0] if r.random() < 0.7 else TLDS[1])

    @staticmethod
    def invalid_lines(rank):
        return ["a..test", ".".join(["x" * 59] * 5) + ".test",
                "b\u00fccher%d.test" % rank, "-bad.test"]

    # --- writing ---------------------------------------------------------------------------------

    def run(self):
        t0 = time.time()
        mix_path, weights = self.read_mix()
        if os.path.exists(self.out):
            shutil.rmtree(self.out)
        for sub in ("knot", "nginx", "postfix", "certs", "policies"):
            os.makedirs(os.path.join(self.out, sub))

        n = self.args.domains
        cov, rest = self.draw(n, weights)
        n_invalid = 4
        total = n + n_invalid
        order = list(range(total))
        self.rng.shuffle(order)             # order[i] = rank-1 of the i-th slot
        slots = cov + rest + ["input_invalid"] * n_invalid

        self.zone = open(os.path.join(self.out, "knot", "root.zone"), "w")
        self.child_files = {z: open(os.path.join(self.out, "knot", z + ".zone"), "w")
                            for z in CHILD_ZONES}
        self.zone_header()
        rows = [None] * total
        scen = [None] * total
        counts = {}
        verdicts = {}
        cov_len = len(cov)
        inv_i = 0
        for i, sc in enumerate(slots):
            rank = order[i] + 1
            counts[sc] = counts.get(sc, 0) + 1
            if sc == "input_invalid":
                line = self.invalid_lines(rank)[inv_i]
                inv_i += 1
                rows[rank - 1] = (rank, line, "input_invalid", "")
                scen[rank - 1] = (rank, line, "input_invalid")
                verdicts["input_invalid"] = verdicts.get("input_invalid", 0) + 1
                self.samples.setdefault("input_invalid", line)
                continue
            d = Domain(rank, self.domain_name(rank, sc), sc)
            variants, fn, verdict = self.scenarios[sc]
            k = self.variant_next.get(sc, 0)
            self.variant_next[sc] = k + 1
            issues = fn(d, k % variants, i < cov_len)
            issues = sorted(set(issues), key=lambda c: self.issue_rank.get(c, 99))
            rows[rank - 1] = (rank, d.name, verdict, ";".join(issues))
            scen[rank - 1] = (rank, d.name, sc)
            verdicts[verdict] = verdicts.get(verdict, 0) + 1
            self.samples.setdefault(sc, d.name)
        self.zone_fixed()
        self.zone.close()
        for f in self.child_files.values():
            f.close()
        t_domains = time.time() - t0

        certs = Certs(self.data, os.path.join(self.out, "certs"))
        new_ca = certs.ensure_ca()
        nginx_cert_count = self.write_nginx(certs)
        mx_cert_count = self.write_postfix(certs)
        self.write_tlsa(certs)
        self.write_knot()
        shutil.rmtree(certs.cadb)
        t_certs = time.time() - t0 - t_domains

        with open(os.path.join(self.out, "domains.txt"), "w", encoding="utf-8", newline="") as f:
            f.write("".join("%d,%s\n" % (r[0], r[1]) for r in rows))
        with open(os.path.join(self.out, "truth.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "verdict", "issues"])
            w.writerows(rows)
        with open(os.path.join(self.out, "scenarios.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "scenario"])
            w.writerows(scen)
        with open(os.path.join(self.out, "published.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "scenario", "sts_record", "tlsrpt_record", "sts_txt_count",
                        "policy_behaviour", "policy_sha256"])
            for rank, name, sc in scen:
                if sc != "input_invalid":
                    w.writerow([rank, name, sc] + list(self.published(name)))
        with open(os.path.join(self.out, "advisory.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "scenario", "verdict", "issues"])
            for rank, name, sc in scen:
                if name in self.advisory:
                    codes = sorted(set(self.advisory[name]), key=lambda c: self.issue_rank.get(c, 99))
                    w.writerow([rank, name, sc, self.scenarios[sc][2], ";".join(codes)])
        with open(os.path.join(self.out, "dane_truth.csv"), "w", encoding="utf-8", newline="") as f:
            # what a scan through the validating resolver (127.0.0.2) reports for the DANE
            # scenarios (tests/e2e/compare_truth.py --partial)
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["rank", "domain", "verdict", "issues", "mx_dnssec", "dane_status",
                        "sts_delivery", "dane_sts_delivery"])
            for rank, name, sc in scen:
                if name in self.dane_truth:
                    v, iss, mxs, ds, sd, dsd = self.dane_truth[name]
                    iss = sorted(set(iss), key=lambda c: self.issue_rank.get(c, 99))
                    w.writerow([rank, name, v, ";".join(iss), mxs, ds, sd, dsd])
        meta = {
            "domains": n, "lines": total, "seed": self.args.seed, "mix": mix_path,
            "coverage_slots": len(self.coverage()), "scenarios": counts, "verdicts": verdicts,
            "samples": self.samples, "addresses": self.addresses(),
            "tarpit": TARPIT_ADDRS, "slow": SLOW_ADDRS, "blackhole_nets": BLACKHOLE_NET,
            "blackholes": [POLICY_BEHAVIOURS["blackhole"][0], BLACKHOLE_MX[1]],
            "broken_zones": len(self.broken_zones) + 1,
            "certificates": {"policy_hosts": nginx_cert_count, "mx": mx_cert_count,
                             "new_ca": new_ca},
            "seconds": {"domains": round(t_domains, 2), "certs_and_configs": round(t_certs, 2)},
        }
        with open(os.path.join(self.out, "meta.json"), "w") as f:
            json.dump(meta, f, indent=1, sort_keys=True)
        with open(os.path.join(self.out, "addresses.txt"), "w") as f:
            f.write("".join(a + "\n" for a in meta["addresses"]))
        self.install()
        meta["seconds"]["total"] = round(time.time() - t0, 2)
        print("gen: %d domains (+%d invalid lines), seed %d, %d certificates, %.1fs -> %s"
              % (n, n_invalid, self.args.seed, nginx_cert_count + mx_cert_count,
                 time.time() - t0, self.data), file=sys.stderr)

    def install(self):
        """Replaces DATA/gen with the new tree and publishes domains.txt / truth.csv."""
        old = os.path.join(self.data, "gen.old")
        if os.path.exists(old):
            shutil.rmtree(old)
        if os.path.exists(self.final):
            os.rename(self.final, old)
        os.rename(self.out, self.final)
        for name in ("domains.txt", "truth.csv"):
            tmp = os.path.join(self.data, name + ".tmp")
            shutil.copyfile(os.path.join(self.final, name), tmp)
            os.replace(tmp, os.path.join(self.data, name))
        if os.path.exists(old):
            shutil.rmtree(old)

    def addresses(self):
        addrs = {DNS_ADDR, VALIDATOR_ADDR}
        addrs.update(a for a, _, _ in POLICY_BEHAVIOURS.values())
        addrs.update(provider_hosts(i)[2] for i in range(len(PROVIDER_NAMES)))
        addrs.update(hosting_addr(h + 1) for h in range(HOSTING_ZONES))
        addrs.update(a for _, a, _ in BAD_MX.values() if a)
        addrs.add("127.3.0.1")
        addrs.add(DEAD_POLICY_ADDR)
        addrs.update(a for _, a in ADVISORY_MX.values())
        for _, aa, _ in V6_MX.values():
            addrs.update(aa)
        addrs.add(SLOW_MX[1])
        addrs.update(m[1] for m in DANE_MX.values())
        addrs = {a for a in addrs if not a.startswith("198.18.")}   # blackholes: routed, not on lo
        v4 = sorted((a for a in addrs if not is_v6(a)), key=lambda a: tuple(int(x) for x in a.split(".")))
        return v4 + sorted(a for a in addrs if is_v6(a))

    def zone_header(self):
        z = self.zone
        z.write("$TTL 3600\n")
        z.write(". SOA ns.testnet.test. hostmaster.testnet.test. 1 3600 600 86400 60\n")
        z.write(". NS ns.testnet.test.\n")
        z.write("ns.testnet.test. A %s\n" % DNS_ADDR)
        # the DS records of the signed child zones: their keys are made when the testnet starts
        # (scripts/testnet up), which writes this file; empty here, and when up --unsigned
        z.write("$INCLUDE ds.zone\n")
        with open(os.path.join(self.out, "knot", "ds.zone"), "w") as f:
            f.write("; DS records of the signed child zones: written by scripts/testnet up\n")
        for zone, state in CHILD_ZONES.items():
            z.write("%s. NS ns.testnet.test.\n" % zone)
            if state == "bogus":   # a DS of the right algorithm that no key of the zone matches
                z.write("%s. DS 1 13 2 %s\n" % (zone, hashlib.sha256(b"bogus:" + zone.encode()).hexdigest()))
            c = self.child_files[zone]
            c.write("$TTL 3600\n%s. SOA ns.testnet.test. hostmaster.testnet.test. 1 3600 600 86400 60\n"
                    "%s. NS ns.testnet.test.\n" % (zone, zone))

    def zone_fixed(self):
        """Provider, hosting and broken-MX hosts, and the names scenarios refer to."""
        for i in range(len(PROVIDER_NAMES)):
            zone, hosts, addr = provider_hosts(i)
            for h in hosts:
                self.rr(h, "A", addr)
        for h in range(1, HOSTING_ZONES + 1):
            self.rr("*.mx.hosting%d.test" % h, "A", hosting_addr(h))
        for host, addr, _ in BAD_MX.values():
            if addr:
                self.rr(host, "A", addr)
        self.rr("mx.elsewhere-mail.test", "A", provider_hosts(2)[2])
        for host, addr in ADVISORY_MX.values():
            self.rr(host, "A", addr)
        self.rr("_mta-sts.sts-provider.test", "TXT", q("v=STSv1; id=provider2024;"))
        self.rr("mta-sts.unrelated.test", "A", POLICY_BEHAVIOURS["valid"][0])
        for host, addrs, _ in V6_MX.values():
            for a in addrs:
                self.rr(host, addr_rtype(a), a)
        for host, addr in (SLOW_MX, BLACKHOLE_MX):
            self.rr(host, "A", addr)
        for host, addr, _, _, _, _ in DANE_MX.values():
            self.rr(host, "A", addr)
        for zone in CHILD_ZONES:   # a name in each child zone: what its DNSSEC state gives
            self.rr("www." + zone, "A", "127.3.0.1")
        # the broken zones are delegated like any zone (insecure: no DS), so that a validating
        # resolver asks knot for them and gets its SERVFAIL, instead of proving from the signed
        # root that they do not exist
        for zone in ["broken.test"] + self.broken_zones:
            self.zone.write("%s. NS ns.testnet.test.\n" % zone)

    def write_knot(self):
        """knot.conf (nothing signed: up --unsigned) and knot-signed.conf (scripts/testnet up):
        the same zones, "." and the CHILD_ZONES signed or bogus ones signed by knot (ECDSA P-256,
        one combined signing key per zone, never rolled); knot/dnssec.txt lists each zone's
        state for up and hier.py."""
        kd = os.path.join(self.final, "knot")
        run = os.path.join(self.data, "run", "knot")
        with open(os.path.join(self.out, "knot", "broken.zone"), "w") as f:
            f.write("; deliberately not a zone file: knot fails to load it and answers SERVFAIL\n"
                    "this is not a valid record\n")
        zones = ["broken.test"] + self.broken_zones
        head = ("# generated by scripts/testnet gen; knotd -c this file\n"
                "server:\n    rundir: \"%s\"\n    listen: %s@53\n"
                "    udp-workers: 2\n    tcp-workers: 2\n    background-workers: %%d\n"
                "log:\n  - target: \"%s/knot.log\"\n    any: notice\n"
                "database:\n    storage: \"%s\"\n" % (run, DNS_ADDR, run, run))
        template = ("template:\n  - id: default\n    storage: \"%s\"\n    semantic-checks: off\n"
                    "    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n" % kd)
        # up makes the signed child zones' keys with keymgr before knot starts (their DS must be
        # in "." when knot signs it): policy "given" uses them as they are; "." and the bogus
        # zones get keys knot makes itself (policy "own")
        policies = ("policy:\n"
                    "  - id: own\n    algorithm: ecdsap256sha256\n    single-type-signing: on\n"
                    "    ksk-lifetime: 0\n    zsk-lifetime: 0\n"
                    "  - id: given\n    algorithm: ecdsap256sha256\n    single-type-signing: on\n"
                    "    manual: on\n")
        sign = {"signed": "given", "bogus": "own"}
        for conf, signed in (("knot.conf", False), ("knot-signed.conf", True)):
            with open(os.path.join(self.out, "knot", conf), "w") as f:
                f.write(head % (2 if signed else 1))
                if signed:
                    f.write(policies)
                f.write(template)
                f.write("zone:\n  - domain: \".\"\n    file: \"root.zone\"\n")
                if signed:
                    f.write("    dnssec-signing: on\n    dnssec-policy: own\n")
                for z, state in CHILD_ZONES.items():
                    f.write("  - domain: \"%s.\"\n    file: \"%s.zone\"\n" % (z, z))
                    if signed and state in sign:
                        f.write("    dnssec-signing: on\n    dnssec-policy: %s\n" % sign[state])
                for z in zones:
                    f.write("  - domain: \"%s.\"\n    file: \"broken.zone\"\n" % z)
        with open(os.path.join(self.out, "knot", "dnssec.txt"), "w") as f:
            f.write("# zone state (scripts/testnet up signs, hier.py cuts the hierarchy by it)\n. signed\n")
            f.writelines("%s. %s\n" % (z, st) for z, st in CHILD_ZONES.items())

    def write_nginx(self, certs):
        fin = self.final
        run = os.path.join(self.data, "run", "nginx")
        cdir = os.path.join(self.out, "certs")
        fcdir = os.path.join(fin, "certs")
        large = os.path.join(self.out, "policies", "_too_large.txt")
        with open(large, "w") as f:
            f.write(policy_text("enforce", ["*.bigmail.test"]))
            line = "comment: " + "x" * 90 + "\n"
            f.write(line * (POLICY_BODY_CAP // len(line) + 64))
        # Two workers, each with as many connections as the open-file limit allows (a process
        # cannot raise its hard limit here; nginx would only log an alert).
        nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
        out = ["# generated by scripts/testnet gen; nginx -c this file",
               "user root root;", "worker_processes 2;", "worker_rlimit_nofile %d;" % nofile,
               "pid %s/nginx.pid;" % run, "error_log %s/error.log warn;" % run,
               "events { worker_connections %d; }" % max(1024, nofile // 2 - 64), "http {",
               "  access_log off;", "  server_tokens off;",
               "  client_body_temp_path %s/tmp/body;" % run,
               "  proxy_temp_path %s/tmp/proxy;" % run,
               "  fastcgi_temp_path %s/tmp/fastcgi;" % run,
               "  uwsgi_temp_path %s/tmp/uwsgi;" % run,
               "  scgi_temp_path %s/tmp/scgi;" % run,
               "  server_names_hash_max_size 2097152;", "  server_names_hash_bucket_size 128;",
               "  types { text/plain txt; }", "  default_type text/plain;", "  charset off;",
               "  keepalive_timeout 10;", "  ssl_protocols TLSv1.2 TLSv1.3;",
               "  ssl_session_cache shared:tn:20m;"]
        pol = os.path.join(fin, "policies")
        body = {
            "file": ["root %s;" % pol, "try_files /$host.txt =404;"],
            "file_charset": ["root %s;" % pol, "charset utf-8;", "charset_types text/plain;",
                             "try_files /$host.txt =404;"],
            "file_html": ["root %s;" % pol, "types { }", "default_type text/html;",
                          "try_files /$host.txt =404;"],
            "redirect301": ["return 301 https://mta-sts.unrelated.test/.well-known/mta-sts.txt;"],
            "redirect302": ["return 302 https://mta-sts.unrelated.test/.well-known/mta-sts.txt;"],
            "status404": ["return 404;"],
            "status500": ["return 500;"],
            "large": ["alias %s;" % os.path.join(pol, "_too_large.txt")],
        }
        ncert = 0
        for beh, (addr, kind, what) in POLICY_BEHAVIOURS.items():
            hosts = self.policy_hosts[beh]
            if what in ("tarpit", "refused"):
                continue
            if what == "plainhttp":  # HTTP spoken where TLS is expected: the handshake fails
                out += ["  server {", "    listen %s:443 default_server;" % listen_addr(addr),
                        "    server_name _;", "    return 200 \"version: STSv1\\n\";", "  }"]
                continue
            if kind == "wrongname":
                chunks = [["mta-sts.unrelated.test"]]
            else:
                chunks = [hosts[i:i + SAN_CHUNK] for i in range(0, len(hosts), SAN_CHUNK)]
            for ci, names in enumerate(chunks):
                base = "%s-%d" % (beh, ci)
                certs.leaf(os.path.join(cdir, base), names, "ca" if kind == "wrongname" else kind)
                ncert += 1
                out += ["  server {",
                        "    listen %s:443 ssl%s;" % (listen_addr(addr), " default_server" if ci == 0 else ""),
                        "    server_name %s;" % ("_" if kind == "wrongname" else " ".join(names)),
                        "    ssl_certificate %s/%s.pem;" % (fcdir, base),
                        "    ssl_certificate_key %s/%s.key;" % (fcdir, base),
                        "    location = /.well-known/mta-sts.txt {"]
                out += ["      " + x for x in body[what]]
                out += ["    }", "    location / { return 404; }", "  }"]
        out.append("}")
        with open(os.path.join(self.out, "nginx", "nginx.conf"), "w") as f:
            f.write("\n".join(out) + "\n")
        return ncert

    def write_postfix(self, certs):
        run = os.path.join(self.data, "run", "postfix")
        cdir = os.path.join(self.out, "certs")
        fcdir = os.path.join(self.final, "certs")
        services = []   # (address, [-o overrides])
        ncert = 0

        def tls_service(addr, base, names, kind):
            nonlocal ncert
            certs.leaf(os.path.join(cdir, base), names, kind)
            ncert += 1
            services.append((addr, ["smtpd_tls_security_level=may",
                                    "smtpd_tls_cert_file=%s/%s.pem" % (fcdir, base),
                                    "smtpd_tls_key_file=%s/%s.key" % (fcdir, base)]))

        for i in range(len(PROVIDER_NAMES)):
            zone, hosts, addr = provider_hosts(i)
            tls_service(addr, "mx-" + PROVIDER_NAMES[i], hosts + ["*." + zone], "ca")
        for h in range(1, HOSTING_ZONES + 1):
            tls_service(hosting_addr(h), "mx-hosting%d" % h, ["*.mx.hosting%d.test" % h], "ca")
        for kind, (host, addr, how) in BAD_MX.items():
            if how == "notls":
                services.append((addr, ["smtpd_tls_security_level=none"]))
            elif how == "expired":
                tls_service(addr, "mx-expired", [host], "expired")
            elif how == "wrongname":
                tls_service(addr, "mx-wrongname", ["mx.unrelated.test"], "ca")
            elif how == "selfsigned":
                tls_service(addr, "mx-selfsigned", [host], "selfsigned")
            elif how == "oldtls":   # TLS 1.0/1.1 only: a TLS 1.2+ client's handshake fails
                tls_service(addr, "mx-oldtls", [host], "ca")
                services[-1][1].append("smtpd_tls_protocols=>=TLSv1,<=TLSv1.1")
        for kind, (host, addr) in ADVISORY_MX.items():
            tls_service(addr, "mx-" + kind, [host], kind)
        tls_service(SLOW_MX[1], "mx-slow", [SLOW_MX[0]], "ca")
        for kind, (host, addrs, live) in V6_MX.items():   # one certificate per host, every live address
            names = [host]
            base = "mx-" + kind
            certs.leaf(os.path.join(cdir, base), names, "ca")
            ncert += 1
            for a in live:
                if a == BAD_MX["refused"][1]:
                    continue
                services.append((a, ["smtpd_tls_security_level=may",
                                     "smtpd_tls_cert_file=%s/%s.pem" % (fcdir, base),
                                     "smtpd_tls_key_file=%s/%s.key" % (fcdir, base)]))
        # DANE (issue 21) last: the certificates before keep their serial names (CN=testnet leaf N)
        for kind, (host, addr, ckind, names, _, _) in DANE_MX.items():
            if ckind is None:
                services.append((addr, ["smtpd_tls_security_level=none"]))
            else:
                tls_service(addr, "mx-dane-" + kind, [host if n == "self" else n for n in names], ckind)
        main = """# generated by scripts/testnet gen; postfix -c this directory start
# A probe target only: accepts no mail for anyone, delivers nothing, listens on 127/8 only.
compatibility_level = 3.6
config_directory = {fin}/postfix
queue_directory = {run}/queue
data_directory = {run}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.testnet.test
mydomain = testnet.test
myorigin = $myhostname
mydestination =
relay_domains =
mynetworks = 127.0.0.0/8
inet_interfaces = loopback-only
inet_protocols = all
default_transport = error:testnet delivers nothing
local_transport = error:testnet delivers nothing
relay_transport = error:testnet delivers nothing
virtual_transport = error:testnet delivers nothing
smtpd_relay_restrictions = reject
alias_maps =
alias_database =
local_recipient_maps =
smtpd_recipient_restrictions = reject
smtpd_banner = $myhostname ESMTP testnet
smtpd_peername_lookup = no
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_event_limit_exceptions = 127.0.0.0/8
smtpd_timeout = 30s
smtpd_soft_error_limit = 3
smtpd_hard_error_limit = 5
default_process_limit = 400
maillog_file_prefixes = {data}
maillog_file = {run}/postfix.log
""".format(fin=self.final, run=run, data=self.data)
        master = ["# generated by scripts/testnet gen: one smtpd per MX behaviour address"]
        for addr, opts in services:
            master.append("%s:smtp inet n - n - - smtpd" % listen_addr(addr))
            master += ["  -o " + o for o in opts]
        master.append("""postlog   unix-dgram n  -       n       -       1       postlogd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache""")
        with open(os.path.join(self.out, "postfix", "main.cf"), "w") as f:
            f.write(main)
        with open(os.path.join(self.out, "postfix", "master.cf"), "w") as f:
            f.write("\n".join(master) + "\n")
        return ncert


def list_scenarios(g):
    cov = g.coverage()
    print("%-32s %8s  %-13s" % ("scenario", "variants", "verdict"))
    for name, (variants, _, verdict) in g.scenarios.items():
        print("%-32s %8d  %-13s" % (name, variants, verdict))
    print("coverage slots (minimum --domains for every variant): %d" % len(cov))


def main():
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description="Generate the testnet's domains, configs and truth.")
    ap.add_argument("--domains", type=int, default=300, help="number of domains (default 300)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--mix", help="scenario mix file (default scripts/testnet.d/default.mix)")
    ap.add_argument("--data-dir", default=os.environ.get("TESTNET_DIR",
                                                         os.path.join(repo, "testnet-data")))
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = ap.parse_args()
    g = Gen(args, repo)
    if args.list:
        list_scenarios(g)
        return
    if args.domains < 1:
        sys.exit("gen: --domains must be at least 1")
    os.makedirs(g.data, exist_ok=True)
    g.run()


if __name__ == "__main__":
    main()
