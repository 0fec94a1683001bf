// Makes the keys and tokens of the end-to-end benchmark, at benchmark time, into one directory.
//
//   node gen_tokens.mjs OUT_DIR ISSUER AUDIENCE COUNT FILLER_KEYS
//
// Node's crypto is used rather than one `openssl` process per token: it signs the ~8,000 tokens
// in a few seconds, where spawning openssl for each would take minutes. Private keys never leave
// this process (nothing asks for them on disk); only public material and tokens are written:
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

const rsa = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 65537 });
const ec = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
// 32 random bytes written as 64 hex characters: the secret is those 64 ASCII bytes. Hex keeps it
// safe to put in HAProxy's config unquoted, and 64 bytes is above HS256's 32-byte minimum.
const hsSecret = crypto.randomBytes(32).toString("hex");

write("rs.pem", rsa.publicKey.export({ type: "spki", format: "pem" }));
write("es.pem", ec.publicKey.export({ type: "spki", format: "pem" }));
write("hs.secret", hsSecret);

function publicJwk(keyObject, kid, alg) {
  const jwk = keyObject.export({ format: "jwk" });
  return { ...jwk, kid, alg, use: "sig" };
}
const baseKeys = [
  publicJwk(rsa.publicKey, "rs-1", "RS256"),
  publicJwk(ec.publicKey, "es-1", "ES256"),
  { kty: "oct", kid: "hs-1", alg: "HS256", use: "sig", k: b64url(Buffer.from(hsSecret, "ascii")) },
];
write("jwks.json", JSON.stringify({ keys: baseKeys }));

// The filler keys are P-256 because generating 1,000 RSA keys would take minutes; what the scale
// workload measures is how a large key set affects lookups, not what kind the unused keys are.
// The real keys are put last so that a linear scan by kid would have to walk past all of them.
const filler = [];
for (let i = 0; i < fillerKeys; i++) {
  const pair = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
  filler.push(publicJwk(pair.publicKey, `filler-${String(i).padStart(4, "0")}`, "ES256"));
}
write("jwks-large.json", JSON.stringify({ keys: [...filler, ...baseKeys] }));

const now = Math.floor(Date.now() / 1000);

function sign(alg, kid, claims) {
  const header = b64url(JSON.stringify({ alg, typ: "JWT", kid }));
  const payload = b64url(JSON.stringify(claims));
  const input = Buffer.from(`${header}.${payload}`, "ascii");
  let sig;
  if (alg === "RS256") sig = crypto.sign("sha256", input, rsa.privateKey);
  else if (alg === "ES256")
    // JWS wants the raw R||S form (RFC 7518 3.4), not the DER that sign() gives by default.
    sig = crypto.sign("sha256", input, { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
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
