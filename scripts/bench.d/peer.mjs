#!/usr/bin/env node
// peer.mjs: the peer of scripts/bench.  Does, for every input domain, the DNS and policy-fetch
// work of `mtasts-scan --starttls none`, the way a Node.js mail system would do it: the mailauth
// package's MTA-STS functions (resolvePolicy for the _mta-sts TXT record, parsePolicy for the
// policy body, validateMx for each MX against the policy) on Node's own c-ares resolver
// (dns.promises.Resolver) and node:https.
//
// Per domain, like the scanner:
//   MX <d>, TXT _mta-sts.<d> (mailauth.resolvePolicy), TXT _smtp._tls.<d>   in parallel;
//   no MX (NODATA/NXDOMAIN) and no DNS failure: A + AAAA <d> (the implicit MX, RFC 5321 §5.1);
//   a valid _mta-sts record: A + AAAA mta-sts.<d>, then GET https://mta-sts.<d>/.well-known/
//   mta-sts.txt on the first address with the RFC 8461 §3.3 rules (certificate checked against
//   --ca-file, no redirects, 200 only, text/plain, at most 64 KiB, --timeout per operation),
//   mailauth.parsePolicy on the body and mailauth.validateMx for every MX.
// mailauth's own fetchPolicy is not used for the fetch because its timeout is fixed at 15 s, it
// follows none of the content-type / size rules and cannot be given a CA: the fetch here does the
// same GET with the scanner's rules and limits, so both sides do the same work.
//
// usage: node peer.mjs --resolver IP [--ca-file PEM] [--concurrency N] [--timeout SEC]
//                      [--dns-timeout SEC] [--retries N] [--out FILE] INPUT
// INPUT is "rank,domain" or "domain" lines (like the scanner; invalid names are skipped without a
// query).  Writes one CSV row per domain to --out when given, and a final line on stderr:
//   peer: N domains in S s; dns Q queries (T timeouts); https F fetches (O ok policies); ...
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import dns from 'node:dns';
import https from 'node:https';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const mtasts = require('mailauth/lib/mta-sts');

const POLICY_MAX = 65536; // RFC 8461 §3.3: a sender may stop reading there; so does the scanner

function parseArgs(argv) {
    const o = { resolver: null, caFile: null, concurrency: 1000, timeout: 5, dnsTimeout: 3,
                retries: 2, out: null, input: null };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const val = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case '--resolver': o.resolver = val(); break;
            case '--ca-file': o.caFile = val(); break;
            case '--concurrency': o.concurrency = Number(val()); break;
            case '--timeout': o.timeout = Number(val()); break;
            case '--dns-timeout': o.dnsTimeout = Number(val()); break;
            case '--retries': o.retries = Number(val()); break;
            case '--out': o.out = val(); break;
            case '-h': case '--help':
                process.stdout.write('usage: node peer.mjs --resolver IP [--ca-file PEM] [--concurrency N] ' +
                    '[--timeout SEC] [--dns-timeout SEC] [--retries N] [--out FILE] INPUT\n');
                process.exit(0);
                break;
            default:
                if (a.startsWith('-') || o.input) throw new Error(`unexpected argument ${a}`);
                o.input = a;
        }
    }
    if (!o.resolver || !o.input) throw new Error('--resolver and INPUT are required');
    if (!(o.concurrency >= 1)) throw new Error('--concurrency must be at least 1');
    return o;
}

const opts = (() => {
    try {
        return parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`peer: ${e.message}\n`);
        process.exit(2);
    }
})();

const counters = { domains: 0, skipped: 0, dns: 0, dnsTimeouts: 0, dnsFailed: 0, fetches: 0,
                   policiesOk: 0, fetchFailed: 0, policyInvalid: 0, mxCovered: 0,
                   mxNotCovered: 0, stsTxt: 0 };

// One resolver (one c-ares channel), like the scanner.  Node's c-ares doubles the timeout on each
// retry round as the scanner's does.
const resolver = new dns.promises.Resolver({ timeout: Math.round(opts.dnsTimeout * 1000),
                                              tries: opts.retries + 1 });
resolver.setServers([opts.resolver]);
const ca = opts.caFile ? readFileSync(opts.caFile) : undefined;
// No keep-alive: every policy host is another name; the connection ends with the fetch.
const agent = new https.Agent({ keepAlive: false, maxSockets: Infinity });

// Answers NXDOMAIN / NODATA are facts, not failures (as in the scanner's dns_status_failed).
const ANSWER_CODES = new Set(['ENOTFOUND', 'ENODATA']);

async function query(name, type) {
    counters.dns++;
    try {
        return await resolver.resolve(name, type);
    } catch (e) {
        if (e.code === 'ETIMEOUT') counters.dnsTimeouts++;
        else if (!ANSWER_CODES.has(e.code)) counters.dnsFailed++;
        throw e;
    }
}

// Resolves to { ok: true, value } or { ok: false, code }.
async function settle(p) {
    try {
        return { ok: true, value: await p };
    } catch (e) {
        return { ok: false, code: e.code || 'ERROR' };
    }
}

async function addresses(name) {
    const [a, aaaa] = await Promise.all([settle(query(name, 'A')), settle(query(name, 'AAAA'))]);
    return [...(a.ok ? a.value : []), ...(aaaa.ok ? aaaa.value : [])];
}

// GET the policy with the RFC 8461 §3.3 rules; resolves to the body (Buffer) or throws an Error
// whose code names the failure.
function fetchPolicy(host, addr) {
    counters.fetches++;
    return new Promise((resolve, reject) => {
        const fail = (code, msg) => {
            const e = new Error(msg || code);
            e.code = code;
            reject(e);
        };
        const req = https.request({
            host: addr, port: 443, servername: host, path: '/.well-known/mta-sts.txt',
            method: 'GET', headers: { host, 'user-agent': 'mtasts-bench-peer' }, ca,
            rejectUnauthorized: true, agent, timeout: opts.timeout * 1000,
        }, res => {
            if (res.statusCode !== 200) {
                res.resume();
                return fail(res.statusCode >= 300 && res.statusCode < 400 ? 'redirect' : 'http_status');
            }
            const type = (res.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
            if (type !== 'text/plain') {
                res.resume();
                return fail('content_type');
            }
            const chunks = [];
            let len = 0;
            res.on('data', c => {
                len += c.length;
                if (len > POLICY_MAX) {
                    req.destroy();
                    return fail('too_large');
                }
                chunks.push(c);
            });
            res.on('end', () => resolve(Buffer.concat(chunks, len)));
            res.on('error', e => fail(e.code || 'read_error', e.message));
        });
        req.on('timeout', () => {
            req.destroy();
            fail('timeout');
        });
        req.on('error', e => fail(e.code || 'connect_error', e.message));
        req.end();
    });
}

async function scanDomain(rank, d) {
    const mtastsResolver = (name, type) => query(name, type);
    const [mx, sts, tlsrpt] = await Promise.all([
        settle(query(d, 'MX')),
        settle(mtasts.resolvePolicy(d, { resolver: mtastsResolver })),
        settle(query(`_smtp._tls.${d}`, 'TXT')),
    ]);
    const row = { rank, d, mx: '', sts: '', tlsrpt: '', policy: '', covered: '' };
    const mxFailed = !mx.ok && !ANSWER_CODES.has(mx.code);
    // Two v=STSv1 records are an answer (txt_multiple), not a DNS failure.
    const stsFailed = !sts.ok && sts.code !== 'multi_sts_records';
    row.sts = sts.ok ? (sts.value ? 'ok' : 'none') : `error:${sts.code}`;
    row.tlsrpt = tlsrpt.ok ? `${tlsrpt.value.length}` : tlsrpt.code;
    if (mxFailed || stsFailed) {
        row.mx = mx.ok ? 'ok' : mx.code;
        return row;
    }
    const nullMx = mx.ok && mx.value.length === 1 && mx.value[0].exchange === '';
    if (nullMx) {
        row.mx = 'null';
        return row;
    }
    let hosts;
    const work = [];
    if (!mx.ok) {
        work.push(addresses(d).then(a => { hosts = a.length ? [d] : []; }));
    } else {
        hosts = mx.value.sort((x, y) => x.priority - y.priority).map(m => m.exchange.toLowerCase());
    }
    let policy = null;
    if (sts.ok && sts.value) {
        counters.stsTxt++;
        const host = `mta-sts.${d}`;
        work.push(addresses(host).then(async a => {
            if (!a.length) {
                row.policy = 'host_unresolved';
                return;
            }
            try {
                const body = await fetchPolicy(host, a[0]);
                policy = mtasts.parsePolicy(body);
                row.policy = `ok:${policy.mode}`;
            } catch (e) {
                row.policy = e.code || 'error';
            }
        }));
    }
    await Promise.all(work);
    row.mx = hosts.join(' ');
    if (sts.ok && sts.value) {
        if (policy) {
            counters.policiesOk++;
            const bad = hosts.filter(h => !mtasts.validateMx(h, policy).valid);
            row.covered = bad.length ? 'no' : 'yes';
            if (bad.length) counters.mxNotCovered++;
            else counters.mxCovered++;
        } else if (/^(invalid_sts|ERR_INVALID)/.test(row.policy)) {
            counters.policyInvalid++;
        } else {
            counters.fetchFailed++;
        }
    }
    return row;
}

// LDH labels of 1..63, at most 253 characters, ASCII only (the scanner rejects the rest too).
const NAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function parseLine(line, lineNo) {
    line = line.trim();
    if (!line || line.startsWith('#')) return null;
    const comma = line.indexOf(',');
    const rank = comma >= 0 ? line.slice(0, comma) : String(lineNo);
    let d = (comma >= 0 ? line.slice(comma + 1) : line).trim().toLowerCase();
    if (d.endsWith('.')) d = d.slice(0, -1);
    return { rank, d, valid: NAME_RE.test(d) };
}

const csvField = s => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

async function main() {
    const out = opts.out ? createWriteStream(opts.out) : null;
    // finished_at (Unix seconds, ms resolution) lets scripts/bench --wan take the peer's steady
    // rate the way it takes the scanner's from scanned_at.
    if (out) out.write('rank,domain,mx,sts,tlsrpt,policy,mx_covered,finished_at\n');
    const rl = createInterface({ input: createReadStream(opts.input), crlfDelay: Infinity });
    const t0 = process.hrtime.bigint();
    let inflight = 0;
    let lineNo = 0;
    let wake = null;
    const finished = row => {
        counters.domains++;
        if (out) out.write([row.rank, row.d, row.mx, row.sts, row.tlsrpt, row.policy, row.covered,
                            (Date.now() / 1000).toFixed(3)]
                           .map(x => csvField(String(x))).join(',') + '\n');
    };
    for await (const line of rl) {
        const p = parseLine(line, ++lineNo);
        if (!p) continue;
        if (!p.valid) {
            counters.skipped++;
            continue;
        }
        while (inflight >= opts.concurrency) await new Promise(r => { wake = r; });
        inflight++;
        scanDomain(p.rank, p.d).then(finished, e => {
            process.stderr.write(`peer: ${p.d}: ${e.stack || e}\n`);
            counters.domains++;
        }).finally(() => {
            inflight--;
            if (wake) {
                const w = wake;
                wake = null;
                w();
            }
        });
    }
    while (inflight > 0) await new Promise(r => { wake = r; });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    if (out) await new Promise(r => out.end(r));
    const c = counters;
    process.stderr.write(`peer: ${c.domains} domains in ${secs.toFixed(2)}s; dns ${c.dns} queries ` +
        `(${c.dnsTimeouts} timeouts, ${c.dnsFailed} other failures); https ${c.fetches} fetches ` +
        `(${c.policiesOk} ok policies, ${c.policyInvalid} invalid, ${c.fetchFailed} fetch failures); ` +
        `${c.stsTxt} valid _mta-sts records; mx covered ${c.mxCovered} / not ${c.mxNotCovered}; ` +
        `${c.skipped} invalid lines skipped; concurrency ${opts.concurrency}; ` +
        `node ${process.version} c-ares ${process.versions.ares}\n`);
}

main().catch(e => {
    process.stderr.write(`peer: ${e.stack || e}\n`);
    process.exit(1);
});
