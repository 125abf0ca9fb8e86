// Builds tar.gz archives byte by byte, so tests can craft what no well-behaved tool writes:
// absolute paths, `..`, links, devices, duplicate names, lying manifests.
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Header } from 'tar';

export interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO';
  body?: string | Buffer;
  linkpath?: string;
  mode?: number;
  /** The size the header claims, when it must differ from the body's (a lying header). */
  size?: number;
}

export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    const type = entry.type ?? 'File';
    const header = new Header({
      path: entry.path,
      type,
      size: entry.size ?? (type === 'File' ? body.length : 0),
      mode: entry.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      mtime: new Date(0),
      linkpath: entry.linkpath ?? '',
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** A minimal well-formed release: the files the installer needs plus a manifest of their hashes. */
export function releaseEntries(
  files: Record<string, string>,
  manifestOverrides: Record<string, unknown> = {},
): RawEntry[] {
  const manifest = {
    name: 'ai-proxy',
    version: '1.2.3',
    commit: 'abc',
    arch: process.arch,
    node: 'v24',
    files: Object.fromEntries(Object.entries(files).map(([path, body]) => [path, sha256(body)])),
    ...manifestOverrides,
  };
  return [
    ...Object.entries(files).map(([path, body]) => ({ path, body })),
    { path: 'manifest.json', body: JSON.stringify(manifest) },
  ];
}

export const MINIMAL_FILES: Record<string, string> = {
  'ai-proxy': '#!/bin/true\n',
  Dockerfile: 'FROM scratch\nEXPOSE 8080\nHEALTHCHECK CMD ["/app/ai-proxy","healthcheck","--port","8080"]\n',
  '.env.example': 'PORT=8080\nAUTH_TOKEN=\n',
  'provider-config.yaml': 'providers: []\n',
  'rootfs/etc/passwd': 'ai-proxy:x:1001:1001::/app:/sbin/nologin\n',
};
