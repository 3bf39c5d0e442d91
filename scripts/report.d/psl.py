"""Registrable domains ("eTLD+1") of MX host names through libpsl, the Public Suffix List library
that curl and wget use (Debian: libpsl5, with the list from the `publicsuffix` package).

MX hosts are grouped into mail providers by the registrable domain of their name:
mx1.bigmail.test and mx2.bigmail.test -> bigmail.test; aspmx.l.google.com -> google.com;
x.mail.protection.outlook.com -> outlook.com.

Choices (documented in docs/analysis.md, "Providers"):
- Only the ICANN section of the list counts.  The private section lists names under which
  customers get their own subdomains (blogspot.com, herokuapp.com, ...); for mail the provider is
  the operator of the servers, so host.customer.herokuapp.com groups under herokuapp.com.
- Names under a TLD the list does not know (the testnet's .test, .invalid, internal names) follow
  the list's default rule "*": the last label is the public suffix, so mx.hosting3.test ->
  hosting3.test.  That is libpsl's documented behaviour for unlisted TLDs.
- A name that is itself a public suffix, or has a single label, is its own group.

libpsl is loaded with ctypes (no compiled extension; libpsl5 is already a dependency of curl), and
psl_latest() picks the newer of libpsl's built-in list and /usr/share/publicsuffix.
"""
import ctypes
import ctypes.util

PSL_TYPE_ICANN = 1
CACHE_MAX = 200_000


class PublicSuffixList:
    def __init__(self):
        name = ctypes.util.find_library("psl") or "libpsl.so.5"
        lib = ctypes.CDLL(name)
        lib.psl_latest.restype = ctypes.c_void_p
        lib.psl_latest.argtypes = [ctypes.c_char_p]
        lib.psl_is_public_suffix2.restype = ctypes.c_int
        lib.psl_is_public_suffix2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.psl_registrable_domain.restype = ctypes.c_char_p
        lib.psl_registrable_domain.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.psl_get_version.restype = ctypes.c_char_p
        lib.psl_dist_filename.restype = ctypes.c_char_p
        self._lib = lib
        self._psl = lib.psl_latest(None)
        if not self._psl:
            raise RuntimeError("libpsl: psl_latest() could not load a Public Suffix List")
        self._cache = {}
        self._icann = {}

    def describe(self):
        """'libpsl 0.21.2 (...), list /usr/share/publicsuffix/public_suffix_list.dafsa' for the report."""
        version = self._lib.psl_get_version().decode()
        dist = self._lib.psl_dist_filename()
        return "libpsl %s, list %s (ICANN section)" % (version, dist.decode() if dist else "built in")

    def _is_suffix(self, name):
        return self._lib.psl_is_public_suffix2(self._psl, name.encode("ascii", "replace"), PSL_TYPE_ICANN) != 0

    def registrable(self, host):
        """The registrable domain of host (lower-cased, trailing dot removed), or host itself when
        it has none (a public suffix, a single label)."""
        cached = self._cache.get(host)
        if cached is not None:
            return cached
        if len(self._cache) > CACHE_MAX:
            self._cache.clear()  # memory stays bounded; hosts of big providers come back at once
        name = host.strip().rstrip(".").lower()
        # Fast path, one C call: libpsl's answer over the whole list is the ICANN answer whenever
        # the suffix it found is an ICANN suffix (an ICANN rule can only be shorter otherwise).
        whole = self._lib.psl_registrable_domain(self._psl, name.encode("ascii", "replace"))
        result = None
        if whole is not None:
            whole = whole.decode("ascii", "replace")
            suffix = whole.partition(".")[2]
            icann = self._icann.get(suffix)
            if icann is None:
                icann = self._icann[suffix] = self._is_suffix(suffix)
            if icann:
                result = whole
        if result is None:
            result = self._icann_registrable(name)
        self._cache[host] = result
        return result

    def _icann_registrable(self, name):
        labels = name.split(".")
        # The longest suffix that is public (ICANN): check from the longest candidate down.
        for i in range(1, len(labels)):
            if self._is_suffix(".".join(labels[i:])):
                return ".".join(labels[i - 1:])
        return name
