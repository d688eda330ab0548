import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import './qr.css';

/** A drawn code: the picture as a data URL (the page's CSP allows data: images, not inline markup) and its width in modules. */
interface DrawnQr {
  url: string;
  modules: number;
}

/** The last codes drawn: every tile of one blueprint shows the same payload, drawn once. */
const drawn = new Map<string, DrawnQr>();
const KEEP = 8;

async function draw(text: string): Promise<DrawnQr> {
  const cached = drawn.get(text);
  if (cached) return cached;
  // The encoder is a chunk of its own, loaded the first time a QR code is shown.
  const { qrSvg } = await import('./qr-svg.js');
  const { svg, modules } = qrSvg(text);
  const qr = { url: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`, modules };
  drawn.set(text, qr);
  if (drawn.size > KEEP) drawn.delete(drawn.keys().next().value!);
  return qr;
}

/**
 * The widest size up to `available` CSS pixels at which every module is a whole number of device
 * pixels: modules of uneven width (3.9 px drawn as 3 or 4) are what readers misread.
 */
function crispWidth(available: number, modules: number): number | null {
  const ratio = window.devicePixelRatio || 1;
  const perModule = Math.floor((available * ratio) / modules);
  return perModule >= 1 ? (perModule * modules) / ratio : null;
}

/**
 * A QR code image of `text`, as wide as its box allows (CSS sizes the box). `label` is its
 * alternative text: it names what the code is for, never what it carries (the payload may hold a
 * password).
 */
export function QrCode({ text, label, className }: { text: string; label: string; className?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [qr, setQr] = useState<{ text: string; drawn: DrawnQr } | null>(() => {
    const cached = drawn.get(text);
    return cached ? { text, drawn: cached } : null;
  });
  const [failed, setFailed] = useState<string | null>(null);
  const [available, setAvailable] = useState(0);

  useEffect(() => {
    let current = true;
    draw(text).then(
      (d) => current && setQr({ text, drawn: d }),
      (err: unknown) => current && setFailed(err instanceof Error ? err.message : String(err)),
    );
    return () => void (current = false);
  }, [text]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    // A box of fixed height (a tile in a grid of fixed rows) limits the code as much as its width does.
    const measure = () => setAvailable(el.clientHeight > 0 ? Math.min(el.clientWidth, el.clientHeight) : el.clientWidth);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const shown = qr?.text === text ? qr.drawn : null;
  const width = shown && available > 0 ? crispWidth(available, shown.modules) : null;
  return (
    <div ref={box} className={`qr${className ? ` ${className}` : ''}`} data-testid="qr">
      {shown ? (
        <img className="qr__image" src={shown.url} alt={label} draggable={false} style={width ? { width: `${width}px` } : undefined} />
      ) : failed ? (
        <p className="qr__failed">{failed}</p>
      ) : (
        <span className="qr__placeholder" aria-label={label} />
      )}
    </div>
  );
}
