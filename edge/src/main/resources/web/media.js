// Media blob format v1 of the assets module (assets/README.md): compress where useful, encrypt with
// AES-256-GCM under a key derived from the content itself (convergent), so the same file makes the
// same blob and is stored once, while the server only ever sees ciphertext.
const te = new TextEncoder();
const INFO = te.encode('pipechat/media/v1');

const COMPRESSED = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/heic',
  'image/heif', 'image/jxl', 'application/zip', 'application/gzip', 'application/x-gzip', 'application/zstd',
  'application/x-7z-compressed', 'application/vnd.rar', 'application/x-rar-compressed', 'application/x-bzip2',
  'application/x-xz', 'application/epub+zip', 'application/java-archive',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation']);
const WAV = new Set(['audio/wav', 'audio/x-wav', 'audio/wave']);

export function worthCompressing(mime) {
  const m = (mime || '').split(';')[0].trim().toLowerCase();
  if (m.startsWith('video/')) return false;
  if (m.startsWith('audio/')) return WAV.has(m);
  return !COMPRESSED.has(m);
}

const cat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
};
const sha256 = async (...parts) => new Uint8Array(await crypto.subtle.digest('SHA-256', cat(...parts)));
const hex = bytes => [...bytes].map(b => b.toString(16).padStart(2, '0')).join('');
const b64u = bytes => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const unb64u = text => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
const through = async (bytes, stream) =>
  new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());

async function keyAndNonce(secret) {
  const ikm = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveBits']);
  const okm = new Uint8Array(await crypto.subtle.deriveBits(
    {name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: INFO}, ikm, 44 * 8));
  const key = await crypto.subtle.importKey('raw', okm.slice(0, 32), 'AES-GCM', false, ['encrypt', 'decrypt']);
  return {key, iv: okm.slice(32, 44)};
}

/** plain: Uint8Array -> {id, blob, key, size} */
export async function seal(plain, mime) {
  let c = 0;
  let body = plain;
  if (worthCompressing(mime)) {
    const d = await through(plain, new CompressionStream('deflate-raw'));
    if (d.length < plain.length) { c = 1; body = d; }
  }
  const header = new Uint8Array([1, c]);
  const secret = await sha256(header, body);
  const {key, iv} = await keyAndNonce(secret);
  const ct = new Uint8Array(await crypto.subtle.encrypt({name: 'AES-GCM', iv, additionalData: header, tagLength: 128}, key, body));
  const blob = cat(header, ct);
  return {id: hex(await sha256(blob)), blob, key: b64u(secret), size: plain.length};
}

/** Checks and decrypts a downloaded blob; throws if anything does not match. */
export async function open(id, blob, keyText, size) {
  if (hex(await sha256(blob)) !== id) throw new Error('blob does not match its id');
  if (blob.length < 18 || blob[0] !== 1 || blob[1] > 1) throw new Error('unknown blob format');
  const header = blob.slice(0, 2);
  const secret = unb64u(keyText);
  if (secret.length !== 32) throw new Error('bad media key');
  const {key, iv} = await keyAndNonce(secret);
  const body = new Uint8Array(await crypto.subtle.decrypt({name: 'AES-GCM', iv, additionalData: header, tagLength: 128}, key, blob.slice(2)));
  if (hex(await sha256(header, body)) !== hex(secret)) throw new Error('content does not match its key');
  const plain = header[1] === 1 ? await through(body, new DecompressionStream('deflate-raw')) : body;
  if (size != null && plain.length !== size) throw new Error('size mismatch');
  return plain;
}

/** Photos are re-encoded smaller before sealing (a phone photo is several MB); other files go as they are. */
export async function shrinkImage(file, maxSide = 1600, quality = 0.85) {
  if (!file.type.startsWith('image/') || file.type === 'image/gif' || !window.createImageBitmap) return null;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 500_000) return null;
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise(r => canvas.toBlob(r, 'image/jpeg', quality));
    return blob && blob.size < file.size ? {bytes: new Uint8Array(await blob.arrayBuffer()), mime: 'image/jpeg'} : null;
  } catch {
    return null;
  }
}

/**
 * Seals {@code bytes} and uploads the blob unless the server has it already (HEAD 200): the media
 * object a message or a group icon carries, {id, mime, size, key}.
 */
export async function upload(bytes, mime, token) {
  const sealed = await seal(bytes, mime);
  const url = `/v1/media/${sealed.id}`;
  const head = await fetch(url, {method: 'HEAD'});
  if (head.status !== 200) {
    const put = await fetch(url, {method: 'PUT', body: sealed.blob, headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream'}});
    if (!put.ok) throw new Error(`upload failed: HTTP ${put.status}`);
  }
  return {id: sealed.id, mime, size: sealed.size, key: sealed.key};
}
