// Makes the keys and tokens of the end-to-end benchmark, at benchmark time, into one directory.
//
//   node gen_tokens.mjs OUT_DIR ISSUER AUDIENCE COUNT FILLER_KEYS
//
// Node's crypto is used rather than one `openssl` process per token: it signs the ~8,000 tokens
// in a few seconds, where spawning openssl for each would take minutes. Private keys never leave
// this process (they are never written to disk); only public material and tokens are written:
//
//   rs.pem, es.pem       SPKI public keys, for HAProxy's jwt_verify (it takes a PEM file path)
//   hs.secret            the HMAC secret as text, for jwt_verify (it takes the secret itself)
//   jwks.json            the 3 keys (rs-1, es-1, hs-1): the "3 keys" case and every workload
//   jwks-large.json      the same 3 plus FILLER_KEYS P-256 keys: the 1,000-key JWKS of workload 7
//   rs-one.txt           one RS256 token (workload 2, and workload 7)
//   rs.txt es.txt hs.txt COUNT distinct tokens each (different sub and jti)
//   rs-bad.txt           COUNT distinct RS256 tokens whose signature was altered (workload 6)
//   parity.tsv           name, expected status, token: the claim checks both proxies must agree on
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const [outDir, issuer, audience, countText, fillerText] = process.argv.slice(2);
if (!outDir || !issuer || !audience) {
  console.error("usage: node gen_tokens.mjs OUT_DIR ISSUER AUDIENCE COUNT FILLER_KEYS");
  process.exit(2);
}
const count = Number(countText ?? 2000);
const fillerKeys = Number(fillerText ?? 997);

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const write = (name, text) => fs.writeFileSync(path.join(outDir, name), text);

// Keys are generated with their encodings requested up front, and public JWKs are read from
// the DER by hand, never with KeyObject.export({format: "jwk"}): with node 20, exporting JWKs
// in a loop of generateKeyPairSync calls deadlocked once here (a garbage collection during the
// export ran a key-generation job's destructor, which waited for the mutex the export held).
function generate(type, options) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync(type, {
    ...options,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { spki: publicKey, privatePem: privateKey };
}

// Minimal DER reading: enough for the two fixed shapes below. Returns [tag, content, rest].
function derRead(buf) {
  const tag = buf[0];
  let len = buf[1];
  let at = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i];
    at = 2 + n;
  }
  return [tag, buf.subarray(at, at + len), buf.subarray(at + len)];
}
const unsigned = (int) => (int[0] === 0 && int.length > 1 ? int.subarray(1) : int);

// SubjectPublicKeyInfo = SEQUENCE { AlgorithmIdentifier, BIT STRING key }.
function spkiKeyBits(spki) {
  const [, seq] = derRead(spki);
  const [, , afterAlg] = derRead(seq);
  const [tag, bits] = derRead(afterAlg);
  if (tag !== 0x03 || bits[0] !== 0) throw new Error("unexpected SPKI shape");
  return bits.subarray(1); // skip the "unused bits" byte
}
function rsaJwk(spki) {
  // The key bits are RSAPublicKey = SEQUENCE { INTEGER n, INTEGER e }.
  const [, seq] = derRead(spkiKeyBits(spki));
  const [, n, rest] = derRead(seq);
  const [, e] = derRead(rest);
  return { kty: "RSA", n: b64url(unsigned(n)), e: b64url(unsigned(e)) };
}
function p256Jwk(spki) {
  // The key bits are the uncompressed point 04 || X || Y, 32 bytes each on P-256.
  const point = spkiKeyBits(spki);
  if (point.length !== 65 || point[0] !== 4) throw new Error("unexpected P-256 point");
  return { kty: "EC", crv: "P-256", x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) };
}
const pem = (spki) =>
  `-----BEGIN PUBLIC KEY-----\n${spki.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END PUBLIC KEY-----\n`;

const rsa = generate("rsa", { modulusLength: 2048, publicExponent: 65537 });
const ec = generate("ec", { namedCurve: "P-256" });
const rsaPrivate = crypto.createPrivateKey(rsa.privatePem);
const ecPrivate = crypto.createPrivateKey(ec.privatePem);
// 32 random bytes written as 64 hex characters: the secret is those 64 ASCII bytes. Hex keeps it
// safe to put in HAProxy's config unquoted, and 64 bytes is above HS256's 32-byte minimum.
const hsSecret = crypto.randomBytes(32).toString("hex");

write("rs.pem", pem(rsa.spki));
write("es.pem", pem(ec.spki));
write("hs.secret", hsSecret);

const baseKeys = [
  { ...rsaJwk(rsa.spki), kid: "rs-1", alg: "RS256", use: "sig" },
  { ...p256Jwk(ec.spki), kid: "es-1", alg: "ES256", use: "sig" },
  { kty: "oct", kid: "hs-1", alg: "HS256", use: "sig", k: b64url(Buffer.from(hsSecret, "ascii")) },
];
write("jwks.json", JSON.stringify({ keys: baseKeys }));

// The filler keys are P-256 because generating 1,000 RSA keys would take minutes; what the scale
// workload measures is how a large key set affects lookups, not what kind the unused keys are.
// The real keys are put last so that a linear scan by kid would have to walk past all of them.
const filler = [];
for (let i = 0; i < fillerKeys; i++) {
  const { spki } = generate("ec", { namedCurve: "P-256" });
  filler.push({ ...p256Jwk(spki), kid: `filler-${String(i).padStart(4, "0")}`, alg: "ES256", use: "sig" });
}
write("jwks-large.json", JSON.stringify({ keys: [...filler, ...baseKeys] }));

const now = Math.floor(Date.now() / 1000);

function sign(alg, kid, claims) {
  const header = b64url(JSON.stringify({ alg, typ: "JWT", kid }));
  const payload = b64url(JSON.stringify(claims));
  const input = Buffer.from(`${header}.${payload}`, "ascii");
  let sig;
  if (alg === "RS256") sig = crypto.sign("sha256", input, rsaPrivate);
  else if (alg === "ES256")
    // JWS wants the raw R||S form (RFC 7518 3.4), not the DER that sign() gives by default.
    sig = crypto.sign("sha256", input, { key: ecPrivate, dsaEncoding: "ieee-p1363" });
  else sig = crypto.createHmac("sha256", Buffer.from(hsSecret, "ascii")).update(input).digest();
  return `${header}.${payload}.${b64url(sig)}`;
}

// A realistic access token: the registered claims both proxies check plus a scope.
function claims(i, overrides = {}) {
  return {
    iss: issuer,
    sub: `user-${i}`,
    aud: audience,
    iat: now - 10,
    exp: now + 3600,
    jti: crypto.randomBytes(8).toString("hex"),
    scope: "orders:read orders:write",
    ...overrides,
  };
}

// Changes one character in the middle of the signature: still canonical base64url of the same
// length (only the last character carries padding bits), so the token parses and the signature
// check itself has to refuse it, which is the expensive path a flood of forgeries exercises.
function corrupt(token) {
  const dot = token.lastIndexOf(".");
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
  const c = token[at] === "A" ? "B" : "A";
  return token.slice(0, at) + c + token.slice(at + 1);
}

const lines = (tokens) => tokens.join("\n") + "\n";
const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

write("rs-one.txt", lines([sign("RS256", "rs-1", claims(0))]));
write("rs.txt", lines(range(count, (i) => sign("RS256", "rs-1", claims(i)))));
write("es.txt", lines(range(count, (i) => sign("ES256", "es-1", claims(i)))));
write("hs.txt", lines(range(count, (i) => sign("HS256", "hs-1", claims(i)))));
write("rs-bad.txt", lines(range(count, (i) => corrupt(sign("RS256", "rs-1", claims(i))))));

// Each proxy must give the same answer to each of these before any number is taken: it is what
// shows that the HAProxy rules check what jwt-sidecar checks.
const parity = [
  ["valid_rs256", 200, sign("RS256", "rs-1", claims(1))],
  ["valid_es256", 200, sign("ES256", "es-1", claims(1))],
  ["valid_hs256", 200, sign("HS256", "hs-1", claims(1))],
  ["bad_signature", 401, corrupt(sign("RS256", "rs-1", claims(1)))],
  ["expired", 401, sign("RS256", "rs-1", claims(1, { iat: now - 7200, exp: now - 3600 }))],
  ["no_exp", 401, sign("RS256", "rs-1", claims(1, { exp: undefined }))],
  ["wrong_audience", 401, sign("RS256", "rs-1", claims(1, { aud: "someone-else" }))],
  ["wrong_issuer", 401, sign("RS256", "rs-1", claims(1, { iss: "https://evil.example.test" }))],
  ["alg_none", 401, `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify(claims(1)))}.`],
];
write("parity.tsv", parity.map((row) => row.join("\t")).join("\n") + "\n");
