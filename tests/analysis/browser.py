#!/usr/bin/python3
"""The HTML report in a real browser: headless Chromium renders it, takes a screenshot and dumps
the DOM; the screenshot must not be blank and the DOM must show the testnet scan's known numbers.

  browser.py REPORT.html TRUTH_CSV SCAN_DIR INPUT_LIST [SCANS_IN_REPORT]

Expected numbers come from the generator's truth.csv (verdicts, issue codes, modes, TLS-RPT) and
from the files themselves where truth says nothing (the input's SHA-256; a provider's domains,
counted here from the domain CSV's mx column independently of the report's code).  The screenshot
is left beside the report (REPORT.png) for a person to look at.
"""
import hashlib
import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

import pandas as pd
from PIL import Image

failures = []


def check(cond, what):
    print("browser: %s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        failures.append(what)


class Cells(html.parser.HTMLParser):
    """data-key / data-meta cells of the DOM -> their text; the image count."""

    def __init__(self):
        super().__init__()
        self.values, self.images, self._key, self._text = {}, 0, None, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img" and (a.get("src") or "").startswith("data:image/png;base64,"):
            self.images += 1
        key = a.get("data-key") or (a.get("data-meta") and "meta:" + a["data-meta"])
        if key:
            self._key, self._text = key, []

    def handle_data(self, data):
        if self._key:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._key and tag in ("td", "b"):
            self.values[self._key] = "".join(self._text).strip()
            self._key = None


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    sys.exit("browser: no chromium (apt-get install chromium)")


def render(report):
    """(DOM text, screenshot path) from headless Chromium."""
    url = "file://" + os.path.abspath(report)
    png = os.path.splitext(report)[0] + ".png"
    profile = tempfile.mkdtemp(prefix="mtasts-chromium.")
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=" + profile, "--window-size=1100,2600"]
    try:
        subprocess.run(base + ["--screenshot=" + png, url], check=True, capture_output=True, timeout=120)
        dom = subprocess.run(base + ["--dump-dom", url], check=True, capture_output=True, timeout=120).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return dom.decode("utf-8"), png


def not_blank(png):
    im = Image.open(png).convert("RGB")
    small = im.resize((im.width // 4, im.height // 4))
    pixels = list(small.getdata())
    inked = sum(1 for p in pixels if min(p) < 200) / len(pixels)
    colors = len(set(pixels))
    return im.size, inked, colors


def main():
    report, truth_path, scan_dir, input_list = sys.argv[1:5]
    scans = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    truth = pd.read_csv(truth_path)
    dom, png = render(report)
    size, inked, colors = not_blank(png)
    check(inked > 0.03 and colors > 50,
          "screenshot %s %dx%d is not blank: %.1f%% inked pixels, %d colours" % (png, size[0], size[1], 100 * inked, colors))
    cells = Cells()
    cells.feed(dom)
    v = cells.values
    check(cells.images >= 5, "the DOM holds %d inline PNG charts" % cells.images)
    remote = re.findall(r'(?:src|href)\s*=\s*"(?!data:|#)[^"]*"', dom)
    check(not remote and "<script" not in dom and "<link" not in dom,
          "no script and no remote resource in the page (%s)" % remote[:3])

    def num(key):
        return int(v[key]) if key in v else None

    check(num("rows") == len(truth), "rows: %s = %d truth rows" % (v.get("rows"), len(truth)))
    for verdict, n in truth["verdict"].value_counts().items():
        check(num("verdict:" + verdict) == n, "verdict %s: %s = truth %d" % (verdict, v.get("verdict:" + verdict), n))
    codes = truth["issues"].dropna().str.split(";").explode().value_counts()
    for code, n in codes.items():
        check(num("issue:" + code) == n, "issue %s: %s = truth %d" % (code, v.get("issue:" + code), n))
    valid_verdicts = ["invalid", "mode_none", "would_fail", "enforce_ok", "testing_ok", "sts_unchecked"]
    sts = truth[truth["verdict"].isin(valid_verdicts)]
    # `invalid` also covers a broken or repeated v=STSv1 record (txt_invalid / txt_multiple):
    # those domains have no valid record
    sts = sts[~sts["issues"].fillna("").str.contains(r"\btxt_(?:invalid|multiple)\b")]
    check(num("valid_txt") == len(sts), "valid _mta-sts records: %s = truth %d" % (v.get("valid_txt"), len(sts)))
    policy = truth["verdict"].isin(["mode_none", "would_fail", "enforce_ok", "testing_ok"]).sum()
    check(num("policy_ok") == policy, "valid policies: %s = truth %d" % (v.get("policy_ok"), policy))
    check(num("mode:none") == (truth["verdict"] == "mode_none").sum(), "mode none: %s" % v.get("mode:none"))
    check((num("mode:enforce") or 0) + (num("mode:testing") or 0) == policy - (truth["verdict"] == "mode_none").sum(),
          "modes enforce + testing = valid policies not in mode none")
    no_tlsrpt = sts["issues"].fillna("").str.contains("tlsrpt_(?:missing|invalid|multiple)").sum()
    check(num("tlsrpt_ok_sts") == len(sts) - no_tlsrpt,
          "TLS-RPT beside MTA-STS: %s = truth %d" % (v.get("tlsrpt_ok_sts"), len(sts) - no_tlsrpt))
    expired = int(codes.get("mx_cert_expired", 0) > 0)
    check(num("mx_expiry:expired") == expired, "MX certificates expired: %s (truth: %d host)" % (v.get("mx_expiry:expired"), expired))
    # the biggest provider, counted here from the domain CSV
    domains = pd.read_csv(os.path.join(scan_dir, "domains.csv.zst"))
    top = [k for k in v if k.startswith("provider:")]
    check(len(top) > 0 and all(k.count(".") == 1 for k in top),
          "providers are registrable domains of the .test names (%s ...)" % ", ".join(k[9:] for k in top[:3]))
    if top:
        name = top[0][len("provider:"):]
        served = domains["mx"].fillna("").map(lambda m: any(h == name or h.endswith("." + name) for h in m.split(";") if h)).sum()
        check(num(top[0]) == served, "provider %s serves %s domains = %d counted from the CSV" % (name, v[top[0]], served))
    # metadata
    with open(input_list, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    label = v.get("latest_label")
    check(v.get("meta:%s:input SHA-256" % label) == sha, "metadata: input SHA-256 printed = sha256 of the list")
    check(v.get("meta:%s:status" % label) == "completed", "metadata: status completed")
    trends = [k for k in v if k.startswith("trend_domains:")]
    check(len(trends) == (scans if scans > 1 else 0), "trends: %d scans in the trend table" % len(trends))
    if scans == 2:  # run.sh: the earlier scan was --dns-only (no policy fetched), the later full
        check(v.get("trend_valid_pct:0") == v.get("trend_valid_pct:1") == v.get("valid_txt_pct"),
              "trends: adoption %s in both scans" % v.get("trend_valid_pct:0"))
        check(v.get("trend_enforce_pct:0") == "0.0%" and v.get("trend_enforce_pct:1") == "%.1f%%" % (
            100.0 * num("mode:enforce") / num("domains")), "trends: enforce %s (DNS only) then %s" % (
            v.get("trend_enforce_pct:0"), v.get("trend_enforce_pct:1")))
    print("browser: %d failed" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
