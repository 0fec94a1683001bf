#!/usr/bin/env node
// Verifies every published JWS test vector in this directory with Node's
// built-in crypto module (no npm packages). Exits non-zero if any fails.
//
// Usage: node tests/data/vectors/verify_vectors.js
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const B64URL = /^[A-Za-z0-9_-]*$/;

function b64u(s) {
  return Buffer.from(s, 'base64url');
}

function checkSig(alg, jwk, input, sig) {
  if (/^HS(256|384|512)$/.test(alg)) {
    if (jwk.kty !== 'oct') throw new Error(`${alg} needs an oct key`);
    const mac = crypto.createHmac('sha' + alg.slice(2), b64u(jwk.k)).update(input).digest();
    return mac.length === sig.length && crypto.timingSafeEqual(mac, sig);
  }
  // Import only the key material (kid/use/alg are not understood by createPublicKey).
  const { kid, use, alg: _alg, key_ops, ...material } = jwk;
  const key = crypto.createPublicKey({ key: material, format: 'jwk' });
  if (/^RS(256|384|512)$/.test(alg)) {
    if (jwk.kty !== 'RSA') throw new Error(`${alg} needs an RSA key`);
    return crypto.verify('sha' + alg.slice(2), input,
      { key, padding: crypto.constants.RSA_PKCS1_PADDING }, sig);
  }
  if (/^PS(256|384|512)$/.test(alg)) {
    if (jwk.kty !== 'RSA') throw new Error(`${alg} needs an RSA key`);
    const bits = Number(alg.slice(2));
    return crypto.verify('sha' + bits, input,
      { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }, sig);
  }
  if (/^ES(256|384|512)$/.test(alg)) {
    const want = { ES256: ['P-256', 64], ES384: ['P-384', 96], ES512: ['P-521', 132] }[alg];
    if (jwk.kty !== 'EC' || jwk.crv !== want[0]) throw new Error(`${alg} needs an EC ${want[0]} key`);
    if (sig.length !== want[1]) throw new Error(`${alg} signature is ${sig.length} bytes, want ${want[1]}`);
    return crypto.verify('sha' + alg.slice(2), input, { key, dsaEncoding: 'ieee-p1363' }, sig);
  }
  if (alg === 'EdDSA') {
    if (jwk.kty !== 'OKP') throw new Error('EdDSA needs an OKP key');
    return crypto.verify(null, input, key, sig);
  }
  throw new Error(`unsupported alg ${alg}`);
}

function verifyOne(file) {
  const text = fs.readFileSync(file, 'utf8');
  const v = JSON.parse(text);

  for (const field of ['source', 'token', 'jwks', 'alg', 'kid', 'payload_is_json_object', 'now']) {
    if (!(field in v)) throw new Error(`missing field "${field}"`);
  }

  const parts = v.token.split('.');
  if (parts.length !== 3) throw new Error(`token has ${parts.length} segments`);
  parts.forEach((p, i) => {
    if (!B64URL.test(p)) throw new Error(`segment ${i} is not unpadded base64url`);
    // Round trip guards against stray characters silently dropped by the decoder.
    if (b64u(p).toString('base64url') !== p) throw new Error(`segment ${i} does not round-trip`);
  });
  const [h64, p64, s64] = parts;

  const header = JSON.parse(b64u(h64).toString('utf8'));
  if (header.alg !== v.alg) throw new Error(`header alg ${header.alg} != ${v.alg}`);
  const headerKid = header.kid === undefined ? null : header.kid;
  if (headerKid !== v.kid) throw new Error(`header kid ${headerKid} != ${v.kid}`);

  // Payload shape and the "now" value.
  const payloadBytes = b64u(p64);
  let claims = null;
  try {
    const parsed = JSON.parse(payloadBytes.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) claims = parsed;
  } catch (_) { /* not JSON */ }
  if ((claims !== null) !== v.payload_is_json_object) {
    throw new Error(`payload_is_json_object=${v.payload_is_json_object} but payload JSON object: ${claims !== null}`);
  }
  if (claims && typeof claims.exp === 'number') {
    if (typeof v.now !== 'number' || !(v.now < claims.exp)) {
      throw new Error(`now=${v.now} is not before exp=${claims.exp}`);
    }
  } else if (v.now !== null) {
    throw new Error(`now should be null when payload has no exp`);
  }

  // Key: exactly one public JWK, no private members.
  const keys = v.jwks && v.jwks.keys;
  if (!Array.isArray(keys) || keys.length !== 1) throw new Error('jwks.keys must hold one key');
  const jwk = keys[0];
  for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth']) {
    if (priv in jwk) throw new Error(`jwk contains private member "${priv}"`);
  }
  if (jwk.kty !== 'oct' && v.kid !== null && jwk.kid !== undefined && jwk.kid !== v.kid) {
    throw new Error(`jwk kid ${jwk.kid} != ${v.kid}`);
  }

  const input = Buffer.from(`${h64}.${p64}`, 'ascii');
  const sig = b64u(s64);
  if (!checkSig(v.alg, jwk, input, sig)) throw new Error('signature does not verify');

  // Negative controls: a flipped signature bit or a changed signing input must fail.
  const badSig = Buffer.from(sig);
  badSig[badSig.length >> 1] ^= 0x01;
  if (checkSig(v.alg, jwk, input, badSig)) throw new Error('tampered signature still verifies');
  const badInput = Buffer.concat([input, Buffer.from('x')]);
  if (checkSig(v.alg, jwk, badInput, sig)) throw new Error('tampered input still verifies');

  return { alg: v.alg, kid: v.kid, now: v.now };
}

function main() {
  const dir = __dirname;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) {
    console.log('FAIL no *.json vectors found');
    process.exit(1);
  }
  let failed = 0;
  for (const f of files) {
    try {
      const r = verifyOne(path.join(dir, f));
      console.log(`PASS ${f} alg=${r.alg} kid=${r.kid} now=${r.now}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${f}: ${e.message}`);
    }
  }
  console.log(`${files.length - failed}/${files.length} vectors verified`);
  process.exit(failed ? 1 : 0);
}

main();
