/**
 * `splitflap/decrypt`: GrowthBook-style encrypted payloads (AES-CBC through WebCrypto).
 */
import type { Plugin } from '../plugin';

/** Thrown when an encrypted payload cannot be decrypted (wrong key, corrupt text, no WebCrypto). */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

const base64ToBytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

/**
 * Decrypt a GrowthBook-style encrypted payload `"<iv>.<ciphertext>"` (both base64) with an
 * AES-CBC key (base64), using WebCrypto (browsers, Node ≥ 18, edge runtimes).
 * @throws {DecryptionError} on any failure; the message never contains the key.
 */
export async function decrypt(encrypted: string, decryptionKey: string, subtle?: SubtleCrypto): Promise<string> {
  const crypto = subtle || (globalThis.crypto && globalThis.crypto.subtle);
  if (!crypto) throw new DecryptionError('No WebCrypto (crypto.subtle)');
  try {
    const [iv, cipherText] = encrypted.split('.');
    const name = 'AES-CBC';
    const key = await crypto.importKey('raw', base64ToBytes(decryptionKey), { name, length: 128 }, false, ['decrypt']);
    return new TextDecoder().decode(await crypto.decrypt({ name, iv: base64ToBytes(iv) }, key, base64ToBytes(cipherText)));
  } catch {
    throw new DecryptionError('Failed to decrypt payload');
  }
}

/** Options of {@link encryptedFeatures}. */
export interface EncryptedFeaturesOptions {
  /** An encrypted `features` payload (`"iv.ciphertext"`), used once decrypted (`ready()` waits for it). */
  encrypted?: string;
  /** The AES key (base64). */
  decryptionKey: string;
}

/** What {@link encryptedFeatures} adds to the client. */
export interface DecryptMethods {
  /** Decrypt and use an encrypted `features` payload. Rejects with a `DecryptionError` on a bad key or text. */
  setEncryptedFeatures(encrypted: string, decryptionKey?: string): Promise<void>;
}

/**
 * `splitflap/decrypt`'s plugin: encrypted feature payloads, inline. (Remote payloads decrypt with
 * `remote({ decryptionKey })`.)
 */
export function encryptedFeatures(options: EncryptedFeaturesOptions): Plugin<DecryptMethods> {
  return (host) => {
    const setEncryptedFeatures = async (encrypted: string, key = options.decryptionKey) => {
      try {
        host.setFeatures(JSON.parse(await decrypt(encrypted, key)));
      } catch (error) {
        host.log('Could not use encrypted features', { error });
        throw error;
      }
    };
    // Logged by setEncryptedFeatures already.
    if (options.encrypted) host.addStartupTask(setEncryptedFeatures(options.encrypted).catch(() => undefined));
    return { setEncryptedFeatures };
  };
}
