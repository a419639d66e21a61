import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type Certificate = { certFile: string; keyFile: string; certPem: string; keyPem: string };

export type CertificateOptions = {
  /** Subject CN; default 127.0.0.1. */
  commonName?: string;
  /** 'ec' (P-256, fast to generate) for TLS; 'rsa' (2048) where RS256 signing needs it. */
  keyType?: 'ec' | 'rsa';
  /** File name stem inside dir; default "tls". */
  name?: string;
};

/**
 * A self-signed certificate valid for one day, for IP:127.0.0.1 and DNS:localhost, made with the
 * openssl CLI. Being self-signed, the certificate is its own CA: clients trust it by passing certPem
 * as `ca`, and Distribution accepts it as a token `rootcertbundle`.
 */
export async function createCertificate(dir: string, options: CertificateOptions = {}): Promise<Certificate> {
  const name = options.name ?? 'tls';
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const keyArgs =
    (options.keyType ?? 'ec') === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  try {
    await run('openssl', [
      'req', '-x509', ...keyArgs, '-nodes', '-sha256', '-days', '1',
      '-subj', `/CN=${options.commonName ?? '127.0.0.1'}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyFile, '-out', certFile,
    ]);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`createCertificate: openssl req failed in ${dir}: ${stderr.trim()}`, { cause: err });
  }
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certFile, keyFile, certPem, keyPem };
}
