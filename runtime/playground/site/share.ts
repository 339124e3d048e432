// A shareable playground link: the editor's `.gmn` text in the URL's hash, deflated and written
// in base64url (`#code=...`), so a link carries the whole spec and no server stores anything.
const PREFIX = '#code=';

export async function hashOf(source: string): Promise<string> {
  const deflated = await transform(new TextEncoder().encode(source), new CompressionStream('deflate-raw'));
  let binary = '';
  for (const byte of deflated) binary += String.fromCharCode(byte);
  return PREFIX + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text a hash carries; null for a hash that is not a playground link or is corrupt. */
export async function sourceOfHash(hash: string): Promise<string | null> {
  if (!hash.startsWith(PREFIX)) return null;
  try {
    const binary = atob(hash.slice(PREFIX.length).replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder().decode(await transform(bytes, new DecompressionStream('deflate-raw')));
  } catch {
    return null;
  }
}

async function transform(bytes: Uint8Array<ArrayBuffer>, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}
