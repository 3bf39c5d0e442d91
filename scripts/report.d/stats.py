"""One scan's numbers for the report, read in bounded memory.

A scan is a domain CSV (-o), optionally an MX CSV (--mx-output) and a metadata record
(--metadata).  Columns are read BY NAME and only those needed (usecols), in chunks of CHUNK rows,
so memory stays flat whatever the size and new columns at the end change nothing.  Every figure is
an integer count; percentages are made when rendering.

Definitions (docs/analysis.md repeats them):
- domains: rows whose verdict is not input_invalid;
- with a record: domains whose _mta-sts TXT lookup found a record with the version prefix
  (txt_status ok, invalid or multiple) -- the denominator of the issue breakdown;
- valid record: txt_status ok (MTA-STS adoption);
- misconfigured: a domain with a record whose verdict is invalid or would_fail, or whose record
  itself is broken (txt_status invalid or multiple);
- providers: MX hosts grouped by registrable domain (psl.py); a domain counts once per provider.
"""
import datetime
import json
import os

import pandas as pd

CHUNK = 100_000

DOMAIN_COLS = ["rank", "mx", "txt_status", "policy_status", "policy_mode", "tlsrpt_status",
               "verdict", "issues", "scanned_at", "policy_cert_not_after"]
MX_COLS = ["mx_host", "address", "probe_status", "tls_version", "cert_not_after", "verify_ok",
           "probed_at"]

RECORD_STATUSES = ("ok", "invalid", "multiple")
RANK_BUCKETS = [(1, 1_000), (1_001, 10_000), (10_001, 100_000), (100_001, 1_000_000),
                (1_000_001, None)]
EXPIRY_BINS = [("expired", None, 0), ("< 7 days", 0, 7), ("7-30 days", 7, 30),
               ("30-90 days", 30, 90), ("90-365 days", 90, 365), ("> 1 year", 365, None)]


def _read(path, wanted):
    """Chunks of the CSV with only the wanted columns that exist, as strings ('' = empty)."""
    return pd.read_csv(path, usecols=lambda c: c in wanted, dtype=str, keep_default_na=False,
                       chunksize=CHUNK)


def _add(acc, counts):
    """acc (dict) += counts (a pandas Series of integers)."""
    for key, n in counts.items():
        acc[key] = acc.get(key, 0) + int(n)


def _parse_time(text):
    if not text:
        return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def _expiry_bins(not_after, reference):
    """Counts of certificate expiry dates (strings) in EXPIRY_BINS, days after reference."""
    counts = {label: 0 for label, _, _ in EXPIRY_BINS}
    if reference is None or len(not_after) == 0:
        return counts
    times = pd.to_datetime(not_after, format="%Y-%m-%dT%H:%M:%SZ", utc=True, errors="coerce").dropna()
    days = (times - pd.Timestamp(reference)).dt.total_seconds() / 86400.0
    for label, lo, hi in EXPIRY_BINS:
        mask = pd.Series(True, index=days.index)
        if lo is not None:
            mask &= days >= lo
        if hi is not None:
            mask &= days < hi
        counts[label] = int(mask.sum())
    return counts


class ScanStats:
    def __init__(self, label, domains, mx=None, metadata=None, psl=None):
        self.label = label
        self.paths = {"domains": domains, "mx": mx, "metadata": metadata}
        self.meta = None
        if metadata and os.path.exists(metadata):
            with open(metadata, encoding="utf-8") as f:
                self.meta = json.load(f)
        self.rows = 0
        self.domains = 0
        self.with_record = 0
        self.valid_txt = 0
        self.policy_ok = 0
        self.misconfigured = 0
        self.tlsrpt_ok = 0
        self.tlsrpt_ok_sts = 0
        self.verdicts = {}
        self.issues_all = {}      # code -> domains with the code
        self.issues_record = {}   # code -> domains with a record and the code
        self.modes = {}
        self.rank_buckets = {b: [0, 0, 0] for b in RANK_BUCKETS}  # domains, valid txt, enforce
        self._provider_parts = [] # per-chunk provider tables, folded (see providers)
        self.scanned_min = self.scanned_max = ""
        self.policy_cert_not_after = []
        self.has_policy_cert_column = False
        self.mx_rows = 0
        self.probe_status = {}
        self.tls_versions = {}
        self.mx_cert_expiry = None
        self.policy_cert_expiry = None
        self._psl = psl
        self._read_domains(domains)
        if mx and os.path.exists(mx):
            self._read_mx(mx)
        ref = self.date
        self.policy_cert_expiry = (_expiry_bins(pd.Series(self.policy_cert_not_after, dtype=str), ref)
                                   if self.has_policy_cert_column else None)
        self.policy_cert_not_after = None

    # ---- the domain table ----

    def _read_domains(self, path):
        for chunk in _read(path, DOMAIN_COLS):
            self.rows += len(chunk)
            _add(self.verdicts, chunk["verdict"].value_counts())
            c = chunk[chunk["verdict"] != "input_invalid"]
            self.domains += len(c)
            record = c["txt_status"].isin(RECORD_STATUSES)
            valid = c["txt_status"] == "ok"
            policy_ok = c["policy_status"] == "ok"
            enforce = policy_ok & (c["policy_mode"] == "enforce")
            tlsrpt = c["tlsrpt_status"] == "ok"
            self.with_record += int(record.sum())
            self.valid_txt += int(valid.sum())
            self.policy_ok += int(policy_ok.sum())
            self.tlsrpt_ok += int(tlsrpt.sum())
            self.tlsrpt_ok_sts += int((tlsrpt & valid).sum())
            self.misconfigured += int((record & (c["verdict"].isin(("invalid", "would_fail")) |
                                                 c["txt_status"].isin(("invalid", "multiple")))).sum())
            _add(self.modes, c.loc[policy_ok, "policy_mode"].value_counts())
            issues = c.loc[c["issues"] != "", "issues"].str.split(";").explode()
            _add(self.issues_all, issues.value_counts())
            _add(self.issues_record, issues[record.reindex(issues.index).values].value_counts())
            if "rank" in c:
                self._ranks(c, valid, enforce)
            self._providers(c, valid, policy_ok, enforce)
            if "scanned_at" in c and len(c):
                lo, hi = c["scanned_at"].min(), c["scanned_at"].max()
                self.scanned_min = min(self.scanned_min or lo, lo)
                self.scanned_max = max(self.scanned_max, hi)
            if "policy_cert_not_after" in c:
                self.has_policy_cert_column = True
                self.policy_cert_not_after.extend(c.loc[c["policy_cert_not_after"] != "",
                                                        "policy_cert_not_after"].unique())

    def _ranks(self, c, valid, enforce):
        rank = pd.to_numeric(c["rank"], errors="coerce")
        for b in RANK_BUCKETS:
            lo, hi = b
            m = (rank >= lo) & ((rank <= hi) if hi else True)
            acc = self.rank_buckets[b]
            acc[0] += int(m.sum())
            acc[1] += int((m & valid).sum())
            acc[2] += int((m & enforce).sum())

    def _providers(self, c, valid, policy_ok, enforce):
        has_mx = c["mx"] != ""
        hosts = c.loc[has_mx, "mx"].str.split(";").explode()
        if hosts.empty:
            return
        unique = hosts.unique()
        group = {h: self._psl.registrable(h) for h in unique}
        # one (domain, provider) pair however many of the domain's MX hosts the provider runs
        pairs = pd.DataFrame({"row": hosts.index, "provider": hosts.map(group).values}).drop_duplicates()
        rows = pairs["row"].values
        pairs["domains"] = 1
        pairs["valid"] = valid.loc[rows].values.astype(int)
        pairs["policy"] = policy_ok.loc[rows].values.astype(int)
        pairs["enforce"] = enforce.loc[rows].values.astype(int)
        sums = pairs.groupby("provider", sort=False)[["domains", "valid", "policy", "enforce"]].sum()
        self._provider_parts.append(sums)
        if len(self._provider_parts) >= 4:  # fold, so memory is one table of providers
            self._provider_parts = [self.providers]

    @property
    def providers(self):
        """DataFrame indexed by provider: domains served, valid txt, valid policy, enforce."""
        if not self._provider_parts:
            return pd.DataFrame(columns=["domains", "valid", "policy", "enforce"], dtype="int64")
        if len(self._provider_parts) > 1:
            self._provider_parts = [pd.concat(self._provider_parts).groupby(level=0, sort=False).sum()]
        return self._provider_parts[0]

    # ---- the MX table ----

    def _read_mx(self, path):
        certs = {}
        for chunk in _read(path, MX_COLS):
            self.mx_rows += len(chunk)
            if "probe_status" in chunk:
                _add(self.probe_status, chunk["probe_status"].value_counts())
            if "tls_version" in chunk:
                _add(self.tls_versions, chunk.loc[chunk["tls_version"] != "", "tls_version"].value_counts())
            if "cert_not_after" in chunk and "mx_host" in chunk:
                # one certificate per host: a host's addresses normally serve the same one
                have = chunk[chunk["cert_not_after"] != ""]
                for host, na in zip(have["mx_host"], have["cert_not_after"]):
                    certs.setdefault(host, na)
        self.mx_cert_expiry = _expiry_bins(pd.Series(list(certs.values()), dtype=str), self.date)

    # ---- facts for the report ----

    @property
    def date(self):
        """When the scan ran: the metadata's start time, else the first scanned_at."""
        if self.meta and self.meta.get("time", {}).get("started"):
            return _parse_time(self.meta["time"]["started"])
        return _parse_time(self.scanned_min)

    def top_providers(self, n):
        """[(provider, domains, valid txt, valid policy, enforce)] by domains served, then name."""
        p = self.providers.reset_index(names="provider")
        p = p.sort_values(["domains", "provider"], ascending=[False, True]).head(n)
        return [(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]))
                for r in p[["provider", "domains", "valid", "policy", "enforce"]].itertuples(index=False)]
