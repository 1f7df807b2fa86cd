#!/usr/bin/env node
// Verifies an EvidenceBot bundle with Sigstore's own JavaScript verifier (@sigstore/verify 3.x), offline:
// every statements/*.sigstore.json and manifest.sigstore.json against the given public key, with thresholds of 0
// (no transparency log, no timestamps), then every statement subject's SHA-256 against the bundle's files.
//
//   node tests/interop/verify-bundle.mjs BUNDLE_DIR PUBLIC_KEY.pem [--json] [--keys-map]
//
// Exit code 0 when everything verifies, 1 when anything fails, 2 on usage errors.
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const args = process.argv.slice(2);
const json = args.includes('--json');
const [dir, keyPath] = args.filter((a) => !a.startsWith('--'));
if (!dir || !keyPath || !existsSync(dir) || !existsSync(keyPath)) {
  console.error('usage: node verify-bundle.mjs BUNDLE_DIR PUBLIC_KEY.pem [--json] [--keys-map]');
  process.exit(2);
}

const publicKey = createPublicKey(readFileSync(keyPath, 'utf8'));
const spki = publicKey.export({ type: 'spki', format: 'der' });
const hint = sha256(spki);
// Trust exactly one key, found by its hint (hex SHA-256 of the SPKI DER); no CAs, logs or TSAs.
// Default: a key finder that hands out the parsed key. --keys-map: the documented map form instead
// ({ hint: { rawBytes } }), with which @sigstore/verify parses the key again for every verification.
const emptyRoot = { mediaType: '', certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] };
const trust = args.includes('--keys-map')
  ? toTrustMaterial(emptyRoot, { [hint]: { rawBytes: spki, keyDetails: 5 /* PKIX_ECDSA_P256_SHA_256 */ } })
  : toTrustMaterial(emptyRoot, (keyHint) => {
      if (keyHint !== hint) throw new Error(`key not found: ${keyHint} (trusted: ${hint})`);
      return { publicKey, validFor: () => true };
    });
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });

const failures = [];
const digests = new Map();
const fileDigest = (name) => {
  if (!digests.has(name)) {
    const full = path.join(dir, ...name.split('/'));
    digests.set(name, existsSync(full) ? sha256(readFileSync(full)) : null);
  }
  return digests.get(name);
};

// Returns the verified payload, or null after recording why it failed.
function verifyBundleFile(name) {
  try {
    const bundle = bundleFromJSON(JSON.parse(readFileSync(path.join(dir, ...name.split('/')), 'utf8')));
    verifier.verify(toSignedEntity(bundle));
    return bundle.content.dsseEnvelope.payload;
  } catch (e) {
    failures.push({ file: name, check: 'signature', detail: e.message ?? String(e) });
    return null;
  }
}

function checkSubjects(name, payload) {
  let statement;
  try {
    statement = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    failures.push({ file: name, check: 'payload', detail: e.message });
    return;
  }
  if (statement._type !== 'https://in-toto.io/Statement/v1') {
    failures.push({ file: name, check: 'payload', detail: `_type is ${statement._type}` });
  }
  if (!Array.isArray(statement.subject) || statement.subject.length === 0) {
    failures.push({ file: name, check: 'subjects', detail: 'no subjects' });
    return;
  }
  for (const s of statement.subject) {
    const actual = fileDigest(s.name);
    if (actual === null) failures.push({ file: name, check: 'subjects', detail: `subject ${s.name} is missing` });
    else if (actual !== s.digest?.sha256) failures.push({ file: name, check: 'subjects', detail: `subject ${s.name} has SHA-256 ${actual}, statement says ${s.digest?.sha256}` });
  }
}

const statementsDir = path.join(dir, 'statements');
const statements = existsSync(statementsDir)
  ? readdirSync(statementsDir).filter((f) => f.endsWith('.sigstore.json')).sort().map((f) => `statements/${f}`)
  : [];

const started = performance.now();
for (const name of statements) {
  const payload = verifyBundleFile(name);
  if (payload) checkSubjects(name, payload);
}
const statementsMs = performance.now() - started;

// The manifest: its signature covers exactly manifest.json, whose subjects are every other file.
let manifestChecked = false;
if (existsSync(path.join(dir, 'manifest.sigstore.json'))) {
  const payload = verifyBundleFile('manifest.sigstore.json');
  if (payload) {
    manifestChecked = true;
    if (!payload.equals(readFileSync(path.join(dir, 'manifest.json')))) {
      failures.push({ file: 'manifest.sigstore.json', check: 'payload', detail: 'signed payload differs from manifest.json' });
    }
    checkSubjects('manifest.json', payload);
  }
} else {
  failures.push({ file: 'manifest.sigstore.json', check: 'signature', detail: 'missing' });
}
if (statements.length === 0) failures.push({ file: 'statements/', check: 'statements', detail: 'no signed statements' });

const summary = {
  verifier: '@sigstore/verify',
  statements: statements.length,
  statementsMs: Math.round(statementsMs * 1000) / 1000,
  statementsPerSecond: statements.length > 0 ? Math.round(statements.length / (statementsMs / 1000)) : 0,
  manifest: manifestChecked,
  passed: failures.length === 0,
  failures,
};
if (json) {
  console.log(JSON.stringify(summary));
} else {
  for (const f of failures) console.log(`FAIL ${f.check} ${f.file}: ${f.detail}`);
  console.log(`${summary.passed ? 'OK' : 'FAILED'}: ${statements.length} statement(s) and the manifest checked with @sigstore/verify (key ${hint}), ${failures.length} failure(s)`);
}
// exitCode, not exit(): exit() can cut off output still queued for a pipe.
process.exitCode = summary.passed ? 0 : 1;

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}
