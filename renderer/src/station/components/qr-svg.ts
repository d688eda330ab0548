import { drawingSVG, qrcode, type RenderOptions } from 'bwip-js/browser';

/** A QR code drawn as SVG, and its width in modules (quiet zone included). */
export interface QrSvg {
  svg: string;
  modules: number;
}

/** bwip-js draws a module as two units at scale 1. */
const UNITS_PER_MODULE = 2;
/** The quiet zone ISO/IEC 18004 asks for: four modules of white on every side. */
const QUIET_MODULES = 4;

/**
 * Draws `text` as a QR code in SVG (bwip-js's QR encoder only, so the bundle keeps one
 * symbology). bwip-js puts the text in as its UTF-8 bytes, which the Android setup wizard's reader
 * takes for UTF-8; error correction M survives a creased or smudged printout. Loaded lazily by QrCode.
 */
export function qrSvg(text: string): QrSvg {
  // eclevel is a BWIPP option the typings do not list.
  const options: RenderOptions & { eclevel: string } = {
    bcid: 'qrcode',
    text,
    scale: 1,
    eclevel: 'M',
    padding: QUIET_MODULES * UNITS_PER_MODULE,
    backgroundcolor: 'FFFFFF',
  };
  const svg = qrcode(options, drawingSVG());
  const units = Number(/viewBox="0 0 (\d+)/.exec(svg)?.[1]);
  // Module edges snap to device pixels: sharp modules read better than smoothed ones.
  return { svg: svg.replace('<svg ', '<svg shape-rendering="crispEdges" '), modules: units / UNITS_PER_MODULE };
}
