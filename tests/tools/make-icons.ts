// Draws the app icon (a bench of slot tiles) without any image tool:
//   node tests/tools/make-icons.ts   -> resources/icons/icon.png (512 px) and icon.ico (16-256 px)
// The icons are committed; run this only to change them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

type Rgba = [number, number, number, number];
interface Shape {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  r: number;
  color: Rgba;
}

const hex = (h: string): Rgba => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), 255];

// Coordinates on a 512 grid: dark rounded square, two rows of slot tiles (running blue, waiting
// amber, done green), and the bench line under them.
const SHAPES: Shape[] = [
  { x0: 16, y0: 16, x1: 496, y1: 496, r: 96, color: hex('#1d2a38') },
  { x0: 84, y0: 112, x1: 200, y1: 228, r: 22, color: hex('#3b82f6') },
  { x0: 228, y0: 112, x1: 344, y1: 228, r: 22, color: hex('#22c55e') },
  { x0: 372, y0: 112, x1: 428, y1: 228, r: 22, color: hex('#22c55e') },
  { x0: 84, y0: 256, x1: 200, y1: 372, r: 22, color: hex('#f59e0b') },
  { x0: 228, y0: 256, x1: 344, y1: 372, r: 22, color: hex('#3b82f6') },
  { x0: 372, y0: 256, x1: 428, y1: 372, r: 22, color: hex('#22c55e') },
  { x0: 84, y0: 404, x1: 428, y1: 424, r: 10, color: hex('#e2e8f0') },
];

function inside(s: Shape, x: number, y: number): boolean {
  if (x < s.x0 || x > s.x1 || y < s.y0 || y > s.y1) return false;
  const cx = Math.min(Math.max(x, s.x0 + s.r), s.x1 - s.r);
  const cy = Math.min(Math.max(y, s.y0 + s.r), s.y1 - s.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= s.r ** 2;
}

/** RGBA pixels, row-major, top row first; 4x4 supersampling for smooth edges. */
function render(size: number): Buffer {
  const px = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0,
        g = 0,
        b = 0,
        a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const gx = ((x + (sx + 0.5) / n) * 512) / size;
          const gy = ((y + (sy + 0.5) / n) * 512) / size;
          let c: Rgba = [0, 0, 0, 0];
          for (const s of SHAPES) if (inside(s, gx, gy)) c = s.color;
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const i = (y * size + x) * 4;
      px[i] = a ? Math.round(r / a) : 0;
      px[i + 1] = a ? Math.round(g / a) : 0;
      px[i + 2] = a ? Math.round(b / a) : 0;
      px[i + 3] = Math.round(a / (n * n));
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size: number): Buffer {
  const px = render(size);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) px.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A 32-bit BMP entry (BGRA, bottom-up, with the AND mask), which every Windows tool reads. */
function dib(size: number): Buffer {
  const px = render(size);
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // colour + mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const colour = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = ((size - 1 - y) * size + x) * 4;
      colour[d] = px[s + 2] as number;
      colour[d + 1] = px[s + 1] as number;
      colour[d + 2] = px[s] as number;
      colour[d + 3] = px[s + 3] as number;
    }
  }
  const maskRow = Math.ceil(size / 32) * 4;
  return Buffer.concat([header, colour, Buffer.alloc(maskRow * size)]);
}

function ico(sizes: number[]): Buffer {
  const images = sizes.map(dib);
  const head = Buffer.alloc(6 + 16 * sizes.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(sizes.length, 4);
  let offset = head.length;
  sizes.forEach((size, i) => {
    const e = 6 + 16 * i;
    head.writeUInt8(size >= 256 ? 0 : size, e);
    head.writeUInt8(size >= 256 ? 0 : size, e + 1);
    head.writeUInt16LE(1, e + 4);
    head.writeUInt16LE(32, e + 6);
    head.writeUInt32LE((images[i] as Buffer).length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += (images[i] as Buffer).length;
  });
  return Buffer.concat([head, ...images]);
}

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources', 'icons');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'icon.png'), png(512));
fs.writeFileSync(path.join(out, 'icon.ico'), ico([256, 128, 64, 48, 32, 16]));
process.stdout.write(`wrote ${path.join(out, 'icon.png')} and icon.ico\n`);
