// The service-account signing key pair (DATA_DIR/pki/sa.key, sa.pub): RSA 2048, created once and kept.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PUBLIC_MODE, SECRET_MODE, writeFileAtomic } from '../../../kubeconfig/files.ts';

export interface ServiceAccountKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Upstream's key id: base64url SHA-256 of the DER public key. */
  keyId: string;
}

/**
 * Loads `<dataDir>/pki/sa.key` and `sa.pub`, creating both (key 0600, public 0644) when neither exists. A lone
 * half of the pair is an error, never silently replaced (it would invalidate every issued token).
 */
export function ensureServiceAccountKeys(dataDir: string): ServiceAccountKeys {
  const keyPath = join(dataDir, 'pki', 'sa.key');
  const pubPath = join(dataDir, 'pki', 'sa.pub');
  const haveKey = existsSync(keyPath);
  const havePub = existsSync(pubPath);
  if (!haveKey && !havePub) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileAtomic(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), SECRET_MODE);
    writeFileAtomic(pubPath, pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(), PUBLIC_MODE);
  } else if (!haveKey || !havePub) {
    throw new Error(`service-account key pair is incomplete: ${haveKey ? pubPath : keyPath} is missing`);
  }
  const privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
  const publicKey = createPublicKey(readFileSync(pubPath, 'utf8'));
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { privateKey, publicKey, keyId: createHash('sha256').update(der).digest('base64url') };
}
