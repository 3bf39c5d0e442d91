#!/usr/bin/python3
"""Unit tests of scripts/report's parts that need no testnet: the registrable-domain grouping of
MX host names through libpsl (scripts/report.d/psl.py) and the chunked counting of one scan
(scripts/report.d/stats.py) on a small hand-written scan whose numbers are known, read in chunks
of 2 rows so that sums across chunks are exercised.  Run by ctest (analysis_report_units)."""
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "scripts", "report.d"))

import psl  # noqa: E402
import stats  # noqa: E402


class PslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.p = psl.PublicSuffixList()

    def test_icann_suffixes(self):
        for host, want in [("aspmx.l.google.com", "google.com"), ("mx.foo.co.uk", "foo.co.uk"),
                           ("x.mail.protection.outlook.com", "outlook.com"), ("MX1.Example.COM.", "example.com"),
                           ("mail.co.uk", "mail.co.uk"), ("mx.b.kawasaki.jp", "mx.b.kawasaki.jp")]:
            self.assertEqual(self.p.registrable(host), want, host)

    def test_private_section_is_ignored(self):
        # blogspot.com and herokuapp.com are private-section suffixes: the operator groups them
        self.assertEqual(self.p.registrable("a.b.foo.blogspot.com"), "blogspot.com")
        self.assertEqual(self.p.registrable("mx.app.herokuapp.com"), "herokuapp.com")

    def test_unlisted_tlds_and_single_labels(self):
        self.assertEqual(self.p.registrable("mx1.bigmail.test"), "bigmail.test")
        self.assertEqual(self.p.registrable("shop.mx.hosting3.test"), "hosting3.test")
        self.assertEqual(self.p.registrable("localhost"), "localhost")
        self.assertEqual(self.p.registrable("test"), "test")

    def test_fast_path_agrees_with_label_walk(self):
        for host in ["a.b.c.example.org", "mx.foo.com.au", "x.y.github.io", "m.gov.uk", "q.z.ck", "www.ck"]:
            self.assertEqual(self.p.registrable(host), self.p._icann_registrable(host), host)


DOMAINS = """domain,rank,mx,txt_status,policy_status,policy_mode,tlsrpt_status,verdict,issues,scanned_at,later_column
a.example,1,mx1.big.test;mx2.big.test,ok,ok,enforce,ok,enforce_ok,,2026-11-01T10:00:00Z,x
b.example,2,mx1.big.test,ok,ok,testing,missing,would_fail,mx_cert_expired;tlsrpt_missing,2026-11-01T10:00:01Z,x
c.example,3,mail.c.example,invalid,not_fetched,,missing,not_deployed,txt_invalid,2026-11-01T10:00:02Z,x
d.example,1500,mx.big.test,missing,not_fetched,,invalid,not_deployed,tlsrpt_invalid,2026-11-01T10:00:03Z,x
e.example,1501,,missing,not_fetched,,not_queried,no_mail,,2026-11-01T10:00:04Z,x
bad_name,6,,not_queried,not_fetched,,not_queried,input_invalid,,2026-11-01T10:00:05Z,x
f.example,7,mx.other.test,ok,invalid,enforce,ok,invalid,policy_syntax,2026-11-01T10:00:06Z,x
"""
MX = """extra_first,mx_host,address,probe_status,tls_version,cert_not_after,probed_at
1,mx1.big.test,192.0.2.1,ok,TLSv1.3,2027-06-01T00:00:00Z,2026-11-01T10:00:00Z
1,mx2.big.test,192.0.2.2,ok,TLSv1.2,2026-11-20T00:00:00Z,2026-11-01T10:00:00Z
1,mx2.big.test,192.0.2.3,cert_invalid,TLSv1.2,2026-10-01T00:00:00Z,2026-11-01T10:00:00Z
"""


class StatsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        for name, text in (("domains.csv", DOMAINS), ("mx.csv", MX)):
            with open(os.path.join(cls.dir, name), "w") as f:
                f.write(text)
        stats.CHUNK = 2
        cls.s = stats.ScanStats("t", os.path.join(cls.dir, "domains.csv"), os.path.join(cls.dir, "mx.csv"),
                                None, psl.PublicSuffixList())

    def test_counts(self):
        s = self.s
        self.assertEqual((s.rows, s.domains, s.with_record, s.valid_txt, s.policy_ok), (7, 6, 4, 3, 2))
        self.assertEqual(s.misconfigured, 3)  # b would_fail, c txt invalid, f invalid
        self.assertEqual((s.tlsrpt_ok, s.tlsrpt_ok_sts), (2, 2))
        self.assertEqual(s.verdicts["not_deployed"], 2)
        self.assertEqual(s.modes, {"enforce": 1, "testing": 1})  # f's mode is not a valid policy's
        self.assertEqual(s.issues_all["tlsrpt_invalid"], 1)
        self.assertNotIn("tlsrpt_invalid", s.issues_record)  # d has no record
        self.assertEqual(s.issues_record["txt_invalid"], 1)

    def test_ranks_and_providers(self):
        s = self.s
        self.assertEqual(s.rank_buckets[(1, 1000)], [4, 3, 1])
        self.assertEqual(s.rank_buckets[(1001, 10000)], [2, 0, 0])
        top = s.top_providers(10)
        # a counts once for big.test although two of its MX hosts are there
        self.assertEqual(top[0], ("big.test", 3, 2, 2, 1))
        self.assertEqual({p[0] for p in top}, {"big.test", "c.example", "other.test"})

    def test_mx_table(self):
        s = self.s
        self.assertEqual(s.mx_rows, 3)
        self.assertEqual(s.tls_versions, {"TLSv1.2": 2, "TLSv1.3": 1})
        # one certificate per host, days after the scan's date (first scanned_at)
        self.assertEqual(s.mx_cert_expiry["> 1 year"], 0)
        self.assertEqual(s.mx_cert_expiry["90-365 days"], 1)
        self.assertEqual(s.mx_cert_expiry["7-30 days"], 1)
        self.assertEqual(s.mx_cert_expiry["expired"], 0)
        self.assertIsNone(s.policy_cert_expiry)  # no policy_cert_not_after column


if __name__ == "__main__":
    unittest.main(verbosity=2)
