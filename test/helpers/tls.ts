// Test certificates, made with `openssl` at run time in a temporary folder (nothing secret is kept in the
// repository, and nothing expires there): a CA, server certificates it signs (for 127.0.0.1 and localhost,
// expired, for another host name), and another CA with a certificate of its own for 127.0.0.1. Keys are EC
// P-256, which openssl makes in milliseconds. The expired one is dated in 2020 with `openssl ca -startdate
// -enddate`, which every openssl 1.1 and 3.x has.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** The CA devices are given (transport.caFile). */
  caFile: string;
  /** For 127.0.0.1 and localhost, signed by the CA, valid now. */
  server: CertFiles;
  /** Signed by the CA for 127.0.0.1 and localhost, valid only in January 2020. */
  expired: CertFiles;
  /** Signed by the CA, valid now, for other.example only. */
  otherHost: CertFiles;
  /** For 127.0.0.1 and localhost, valid now, signed by another CA. */
  otherCa: CertFiles;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const LOCAL = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

/** Makes the certificates; `openssl` must be installed (needPeer('openssl')). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'dm-pki-'));
  const ca = (name: string) => {
    openssl(dir, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '3650', '-subj', `/CN=${name}`]);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const request = (name: string, cn: string, san: string) => {
    openssl(dir, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
    writeFileSync(join(dir, `${name}.ext`), `${san}\n`);
  };
  const sign = (name: string, by: CertFiles): CertFiles => {
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      by.cert,
      '-CAkey',
      by.key,
      '-CAcreateserial',
      '-days',
      '3650',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ]);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const testCa = ca('test-ca');
  const anotherCa = ca('another-ca');
  request('server', 'localhost', LOCAL);
  request('expired', 'localhost', LOCAL);
  request('other-host', 'other.example', 'subjectAltName=DNS:other.example');
  request('other-ca', 'localhost', LOCAL);
  // `openssl x509 -days` starts now; `openssl ca` takes both dates.
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = test',
      '[test]',
      'database = index.txt',
      'new_certs_dir = issued',
      'serial = serial',
      'default_md = sha256',
      'policy = any',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  openssl(dir, [
    'ca',
    '-batch',
    '-notext',
    '-config',
    'ca.cnf',
    '-cert',
    testCa.cert,
    '-keyfile',
    testCa.key,
    '-in',
    'expired.csr',
    '-out',
    'expired.crt',
    '-startdate',
    '20200101000000Z',
    '-enddate',
    '20200201000000Z',
    '-extfile',
    'expired.ext',
  ]);
  return {
    dir,
    caFile: testCa.cert,
    server: sign('server', testCa),
    expired: { cert: join(dir, 'expired.crt'), key: join(dir, 'expired.key') },
    otherHost: sign('other-host', testCa),
    otherCa: sign('other-ca', anotherCa),
  };
}
