#!/usr/bin/env node
// Writes the seed corpora under tests/fuzz/corpus/ (they are checked in; run this again only to
// change them): node tests/fuzz/make_corpus.js
//
// Node's built-in crypto only. The keys "fuzz-ed25519", "fuzz-es256" and "fuzz-hs512" are
// derived from fixed labels exactly as token_fuzz.cpp derives them, so tokens signed here
// verify there. Published material comes from tests/data/vectors, config/examples and the YAML
// texts of tests/config/*_test.cpp.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const here = __dirname;
const root = path.resolve(here, '..', '..');
const out = path.join(here, 'corpus');

const b64u = (b) => Buffer.from(b).toString('base64url');
const sha = (alg, text) => crypto.createHash(alg).update(text).digest();

function write(target, name, content) {
  const dir = path.join(out, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), content);
}

// ---- Keys ------------------------------------------------------------------------------
const vectors = fs.readdirSync(path.join(root, 'tests/data/vectors'))
  .filter((f) => f.endsWith('.json')).sort()
  .map((f) => ({ name: path.basename(f, '.json'),
                 ...JSON.parse(fs.readFileSync(path.join(root, 'tests/data/vectors', f))) }));
const exampleJwks = JSON.parse(fs.readFileSync(path.join(root, 'config/examples/jwks.json')));
const exampleToken = fs.readFileSync(path.join(root, 'config/examples/token.jwt'), 'utf8').trim();

// Ed25519 from a 32-byte seed: PKCS#8 is a fixed prefix and the seed.
const edSeed = sha('sha256', 'jwt-sidecar fuzz ed25519');
const edKey = crypto.createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), edSeed]),
  format: 'der', type: 'pkcs8' });
const edJwk = { ...crypto.createPublicKey(edKey).export({ format: 'jwk' }), kid: 'fuzz-ed25519' };

function p256(label) {
  const d = sha('sha256', label);
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const jwk = { kty: 'EC', crv: 'P-256', x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33)) };
  return { jwk, key: crypto.createPrivateKey({ key: { ...jwk, d: b64u(d) }, format: 'jwk' }) };
}
const es = p256('jwt-sidecar fuzz es256');
const esJwk = { ...es.jwk, alg: 'ES256', kid: 'fuzz-es256' };
const hsSecret = sha('sha512', 'jwt-sidecar fuzz hs512');
const hsJwk = { kty: 'oct', kid: 'fuzz-hs512', alg: 'HS512', k: b64u(hsSecret) };
const a1Secret = Buffer.from(vectors.find((v) => v.name === 'rfc7515_a1_hs256').jwks.keys[0].k,
                             'base64url');

function sign(alg, input) {
  if (alg === 'EdDSA') return crypto.sign(null, Buffer.from(input), edKey);
  if (alg === 'ES256') {
    return crypto.sign('sha256', Buffer.from(input), { key: es.key, dsaEncoding: 'ieee-p1363' });
  }
  if (alg === 'HS512') return crypto.createHmac('sha512', hsSecret).update(input).digest();
  if (alg === 'HS256') return crypto.createHmac('sha256', a1Secret).update(input).digest();
  throw new Error(alg);
}
function jwt(header, payload, alg = header.alg) {
  const input = b64u(JSON.stringify(header)) + '.' + b64u(JSON.stringify(payload));
  return input + '.' + b64u(sign(alg, input));
}

// ---- token: two option bytes (see token_fuzz.cpp), then the token or "header\xffpayload" --
const opt = (a, b, rest) => Buffer.concat([Buffer.from([a, b]), Buffer.from(rest, 'latin1')]);
const ALL = 0, ASYM = 1, HMAC = 2, MIXED = 3;
const ISS_JOE = 1 << 2, ISS_IDP = 2 << 2, ISS_FUZZ = 3 << 2;
const EXP = 0x10, AUD = 0x20, LIFETIME = 0x40, SMALL = 0x80;
const NOW_RFC = 0, NOW_2027 = 1, NOW_ZERO = 2, NOW_2100 = 3;
const SKEW60 = 1 << 2, SKEW_HOUR = 2 << 2;
const MODE = (m) => m << 4, MORE_KEYS = 0x80;

for (const v of vectors) {
  write('token', v.name, opt(ALL | ISS_JOE | EXP, NOW_RFC | SKEW60, v.token));
}
write('token', 'example_es256', opt(ASYM | ISS_IDP | EXP | AUD, NOW_2027 | SKEW60, exampleToken));
write('token', 'example_es256_expired', opt(ASYM | ISS_IDP | EXP, NOW_2100, exampleToken));
write('token', 'example_es256_more_keys',
      opt(ASYM | ISS_IDP, NOW_2027 | SKEW60 | MORE_KEYS, exampleToken));
write('token', 'example_es256_small', opt(ASYM | SMALL, NOW_2027, exampleToken));

const now = 1800000000;
const claims = { iss: 'fuzz', sub: 'alice', aud: 'fuzz', iat: now - 600, nbf: now - 600,
                 exp: now + 600 };
const good = ALL | ISS_FUZZ | EXP | AUD | LIFETIME;
write('token', 'fuzz_ed25519', opt(good, NOW_2027 | SKEW60,
      jwt({ alg: 'EdDSA', kid: 'fuzz-ed25519' }, claims)));
write('token', 'fuzz_ed25519_nokid', opt(good, NOW_2027 | SKEW60, jwt({ alg: 'EdDSA' }, claims)));
write('token', 'fuzz_es256', opt(good, NOW_2027 | SKEW60,
      jwt({ typ: 'JWT', alg: 'ES256', kid: 'fuzz-es256' }, { ...claims, aud: ['x', 'fuzz'] })));
write('token', 'fuzz_es256_nokid_more_keys', opt(good, NOW_2027 | SKEW60 | MORE_KEYS,
      jwt({ alg: 'ES256' }, claims)));
write('token', 'fuzz_hs512', opt(ALL | ISS_FUZZ | EXP, NOW_2027 | SKEW_HOUR,
      jwt({ alg: 'HS512', kid: 'fuzz-hs512' }, { ...claims, exp: now - 100.5 })));
write('token', 'fuzz_hs512_unknown_kid', opt(HMAC, NOW_2027,
      jwt({ alg: 'HS512', kid: 'nobody' }, claims)));
write('token', 'fuzz_hs256_a1', opt(HMAC | EXP, NOW_2027, jwt({ alg: 'HS256' }, claims)));
write('token', 'fuzz_es256_as_hs256', opt(ALL, NOW_2027,
      jwt({ alg: 'HS256', kid: 'fuzz-es256' }, claims)));

// Signed by the target (modes 1-5): "<header JSON>\xff<payload JSON>".
const signed = (mode, header, payload) =>
  JSON.stringify(header) + '\xff' + (typeof payload === 'string' ? payload : JSON.stringify(payload));
const modes = [
  [1, { alg: 'HS256' }],
  [2, { alg: 'HS256', kid: '018c0ae5-4d9b-471b-bfd6-eef314bc7037' }],
  [3, { alg: 'HS512', kid: 'fuzz-hs512' }],
  [4, { alg: 'EdDSA', kid: 'fuzz-ed25519' }],
  [5, { alg: 'ES256', kid: 'fuzz-es256', typ: 'JWT' }],
];
const payloads = {
  good: claims,
  aud_list: { ...claims, aud: ['a', 'fuzz', 'b'] },
  no_exp: { iss: 'fuzz', aud: 'fuzz' },
  nbf_future: { ...claims, nbf: now + 7200 },
  iat_future: { ...claims, iat: now + 7200 },
  lifetime: { ...claims, iat: now - 86400 },
  fractional: { ...claims, exp: now + 0.5, iat: 1.5e9, nbf: 0 },
  big_numbers: '{"iss":"fuzz","exp":253402300800,"nbf":1e308,"iat":18446744073709551615}',
  negative: '{"iss":"fuzz","exp":-1,"iat":-0.0}',
  bad_types: '{"iss":1,"aud":[1],"exp":"1800000000","nbf":null,"iat":true,"sub":{}}',
  nested: '{"iss":"fuzz","exp":1800000600,"a":{"b":[{"c":[[[[1]]]]}]},"aud":"fuzz"}',
  duplicate: '{"iss":"fuzz","iss":"joe","exp":1800000600}',
  escaped: '{"\\u0069ss":"fuzz","exp":1800000600,"aud":"f\\u0075zz"}',
  not_object: '["iss","fuzz"]',
  not_json: 'Example of Ed25519 signing',
};
for (const [mode, header] of modes) {
  for (const [name, payload] of Object.entries(payloads)) {
    write('token', `signed${mode}_${name}`, opt(good, NOW_2027 | SKEW60 | MODE(mode),
          signed(mode, header, payload)));
  }
}
const headers = {
  alg_none: '{"alg":"none"}',
  alg_None: '{"alg":"NoNe","kid":"fuzz-hs512"}',
  alg_number: '{"alg":256}',
  alg_unknown: '{"alg":"HS1024"}',
  kid_number: '{"alg":"HS512","kid":7}',
  crit: '{"alg":"HS512","crit":["exp"],"exp":1}',
  b64: '{"alg":"HS512","b64":false}',
  enc: '{"alg":"HS512","enc":"A128GCM","zip":"DEF"}',
  duplicate: '{"alg":"HS512","alg":"none"}',
  escaped: '{"\\u0061lg":"HS512","k\\u0069d":"fuzz-hs512"}',
  jwk_inside: '{"alg":"HS512","jwk":{"kty":"oct","k":"AAAA"},"jku":"http://x","x5c":["AA"]}',
  not_object: '"HS512"',
  deep: '{"alg":"HS512","x":' + '['.repeat(40) + ']'.repeat(40) + '}',
  bad_utf8: '{"alg":"HS512","kid":"\xc3\x28"}',
};
for (const [name, header] of Object.entries(headers)) {
  write('token', `header_${name}`, opt(ALL, NOW_2027 | MODE(3), header + '\xff' + JSON.stringify(claims)));
}

// Malformed compact serialisations, raw.
const h = b64u('{"alg":"HS256"}'), p = b64u(JSON.stringify(claims));
const raw = {
  jwe: `${h}.${p}.AAAA.AAAA.AAAA`,
  four_parts: `${h}.${p}.AAAA.AAAA`,
  two_parts: `${h}.${p}`,
  empty_signature: `${h}.${p}.`,
  empty_header: `.${p}.AAAA`,
  padded: `${h}=.${p}.AAAA`,
  standard_alphabet: `${h}.${p}.ab+/`,
  trailing_bits: `${h.slice(0, -1)}B.${p}.AAAA`,
  length_1_mod_4: `${h}A.${p}.AAAA`,
  whitespace: ` ${h}.${p}.AAAA`,
  unsigned_none: `${b64u('{"alg":"none"}')}.${p}.`,
};
for (const [name, token] of Object.entries(raw)) write('token', `raw_${name}`, opt(ALL, NOW_2027, token));

// ---- jwks ------------------------------------------------------------------------------
const allKeys = [];
for (const v of vectors) {
  write('jwks', v.name, JSON.stringify(v.jwks, null, 1));
  for (const k of v.jwks.keys) {
    if (!allKeys.some((x) => JSON.stringify(x) === JSON.stringify(k))) allKeys.push(k);
  }
}
write('jwks', 'example', JSON.stringify(exampleJwks, null, 2));
write('jwks', 'derived', JSON.stringify({ keys: [edJwk, esJwk, hsJwk] }));
write('jwks', 'single_jwk', JSON.stringify(edJwk));
const gen = (type, options) => crypto.generateKeyPairSync(type, options).publicKey.export({ format: 'jwk' });
const p384 = gen('ec', { namedCurve: 'P-384' });
const ed448 = gen('ed448');
const rsa2048 = gen('rsa', { modulusLength: 2048 });
write('jwks', 'more_types', JSON.stringify({ keys: [
  { ...p384, kid: 'p384', alg: 'ES384', use: 'sig' },
  { ...ed448, kid: 'ed448', key_ops: ['verify'] },
  { ...rsa2048, kid: 'rsa-pss', alg: 'PS512' },
  { kty: 'oct', k: b64u(crypto.randomBytes(48)), alg: 'HS384', kid: 'hs384' },
] }));
const rsa1024 = gen('rsa', { modulusLength: 1024 });
const bad = [
  { ...esJwk, kid: 'd', d: 'AAAA' },
  { ...es.jwk, kid: 'off-curve', y: es.jwk.x },
  { ...es.jwk, kid: 'short-x', x: es.jwk.x.slice(4) },
  { ...es.jwk, kid: 'wrong-crv', crv: 'P-384' },
  { ...rsa1024, kid: 'rsa1024' },
  { ...rsa2048, kid: 'even-e', e: 'AQAA' },
  { ...rsa2048, kid: 'alg-mismatch', alg: 'ES256' },
  { kty: 'oct', kid: 'short', k: 'AAAA' },
  { kty: 'oct', kid: 'hs512-short', alg: 'HS512', k: b64u(Buffer.alloc(32, 1)) },
  { kty: 'OKP', crv: 'X25519', kid: 'x25519', x: edJwk.x },
  { kty: 'OKP', crv: 'Ed25519', kid: 'ed-short', x: edJwk.x.slice(2) },
  { kty: 'EC', kid: 'no-crv', x: es.jwk.x, y: es.jwk.y },
  { kid: 'no-kty' },
  { kty: 'RSA', kid: 7, n: rsa2048.n, e: rsa2048.e },
  { ...edJwk, kid: 'enc', use: 'enc' },
  { ...edJwk, kid: 'ops', key_ops: ['sign'] },
  { ...edJwk, kid: 'alg-unknown', alg: 'RS1' },
];
write('jwks', 'refused_keys', JSON.stringify({ keys: bad }));
write('jwks', 'all_vector_keys', JSON.stringify({ keys: allKeys.map((k, i) => ({ ...k, kid: `v${i}` })) }));
write('jwks', 'duplicate_kid', JSON.stringify({ keys: [edJwk, { ...esJwk, kid: 'fuzz-ed25519' }] }));
write('jwks', 'duplicate_member', '{"keys":[{"kty":"oct","k":"AAAA","k":"BBBB"}]}');
write('jwks', 'keys_not_array', '{"keys":{"kty":"oct"}}');
write('jwks', 'element_not_object', '{"keys":[1,"a",null]}');
write('jwks', 'neither', '{"kid":"x"}');
write('jwks', 'empty_set', '{"keys":[]}');

// ---- config ----------------------------------------------------------------------------
for (const f of fs.readdirSync(path.join(root, 'config/examples')).filter((x) => x.endsWith('.yaml'))) {
  write('config', path.basename(f, '.yaml'), fs.readFileSync(path.join(root, 'config/examples', f)));
}
// The YAML of the config unit tests: every raw string literal that looks like a config.
const testDir = path.join(root, 'tests/config');
let n = 0;
for (const f of fs.readdirSync(testDir).filter((x) => x.endsWith('_test.cpp')).sort()) {
  const text = fs.readFileSync(path.join(testDir, f), 'utf8');
  for (const m of text.matchAll(/R"([A-Za-z_]*)\(([\s\S]*?)\)\1"/g)) {
    if (m[2].includes(':')) write('config', `${path.basename(f, '_test.cpp')}_${++n}`, m[2]);
  }
}
write('config', 'inline_jwks', `listen: 127.0.0.1:8080
upstream: http://127.0.0.1:9000/base
providers:
  local:
    issuer: fuzz
    audiences: [fuzz]
    algorithms: [EdDSA, ES256, HS512]
    jwks: {keys: [${JSON.stringify(edJwk)}, ${JSON.stringify(esJwk)}]}
    clock_skew: 30s
    max_lifetime: 1h
    token_from: [{header: Authorization}, {cookie: session}, {query: access_token}]
    forward_claims: {sub: x-user, realm_access.roles: x-roles}
    forward_payload_header: x-jwt-payload
routes:
  - name: open
    match: {path: /healthz, methods: [GET]}
    auth: none
  - name: api
    match: {prefix: /api/, host: API.Example.test}
    claims:
      scope: {any: [read, write]}
      email_verified: {equals: true}
      admin: {present: false}
`);
write('config', 'anchors', `listen: &l 127.0.0.1:8080
upstream: http://u
admin: *l
providers: &p
  a: {issuer: a, jwks_file: /x, algorithms: &algs [RS256]}
routes:
  - {name: r, match: {prefix: /}, providers: [a]}
limits: {<<: {max_body_bytes: 1KiB}, drain_timeout: 0s}
`);
write('config', 'two_documents', 'listen: 127.0.0.1:1\n---\nlisten: 127.0.0.1:2\n');
write('config', 'leading_comma', ',listen: x\n');
write('config', 'tabs_and_crlf', 'listen:\t127.0.0.1:8080\r\nupstream: http://u\r\n');
write('config', 'empty', '');

// ---- path ------------------------------------------------------------------------------
const paths = [
  '/', '/a/b/c', '/a//b///c/', '/a/./b/../c', '/a/b/..', '/..', '/../../etc/passwd',
  '/%2e%2e/%2E%2e/admin', '/public/..;/admin', '/admin;jsessionid=1/x', '/a;b;c/d;e',
  '/%61%62%7E%2D%5f', '/%3b/%3B', '/%25/%2525', '/%2F', '/%2f', '/a\\b', '/%5c', '/%00',
  '/a%', '/a%4', '/a%zz', '/a?b=%2F&c=/../', '/a?', '/?', '/a#frag', '/a b', '/\x7f',
  '*', 'http://example.test/a', '//host/a', '/.;/x', '/..;x/y', '/;x', '/%C3%A9t%C3%A9',
  '/~user/%7euser', '/a/.../b', '/.%2e/x', '/a/%2e/b',
];
paths.forEach((pth, i) => write('path', `path_${String(i).padStart(2, '0')}`, Buffer.from(pth, 'latin1')));

console.log('corpora written to', out);
