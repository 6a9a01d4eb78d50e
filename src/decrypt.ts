/** Thrown when an encrypted payload cannot be decrypted (wrong key, corrupt text, no WebCrypto). */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/**
 * Decrypt a GrowthBook-style encrypted payload `"<iv>.<ciphertext>"` (both base64) with an
 * AES-CBC key (base64), using WebCrypto (browsers, Node ≥ 18, edge runtimes).
 * @throws {DecryptionError} on any failure; the message never contains the key.
 */
export async function decrypt(encrypted: string, decryptionKey: string, subtle?: SubtleCrypto): Promise<string> {
  const crypto = subtle || globalThis.crypto?.subtle;
  if (!crypto) throw new DecryptionError('No WebCrypto (crypto.subtle) available');
  try {
    const [iv, cipherText] = encrypted.split('.');
    const key = await crypto.importKey('raw', base64ToBytes(decryptionKey), { name: 'AES-CBC', length: 128 }, false, [
      'decrypt',
    ]);
    const plain = await crypto.decrypt({ name: 'AES-CBC', iv: base64ToBytes(iv) }, key, base64ToBytes(cipherText));
    return new TextDecoder().decode(plain);
  } catch {
    throw new DecryptionError('Failed to decrypt payload');
  }
}
