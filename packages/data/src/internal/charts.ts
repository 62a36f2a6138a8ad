import sharp from 'sharp';

const FONT = 'font-family="DejaVu Sans, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );
}

/** A labelled vertical bar chart as SVG (drawn by hand: no charting dependency in the data package). */
export function barChartSvg(
  title: string,
  bars: readonly { label: string; value: number }[],
  options: { yLabel?: string } = {},
): string {
  const width = Math.max(480, 60 + bars.length * 56);
  const height = 360;
  const left = 56;
  const bottom = 90;
  const top = 40;
  const plotH = height - top - bottom;
  const plotW = width - left - 20;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const step = plotW / Math.max(1, bars.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" ${FONT} font-size="16" text-anchor="middle">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="black"/>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="black"/>`,
  ];
  for (const tick of [0, 0.5, 1]) {
    const y = top + plotH * (1 - tick);
    parts.push(
      `<text x="${left - 6}" y="${y + 4}" ${FONT} font-size="11" text-anchor="end">${formatNumber(max * tick)}</text>`,
    );
  }
  if (options.yLabel !== undefined) {
    parts.push(
      `<text x="14" y="${top + plotH / 2}" ${FONT} font-size="11" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
    );
  }
  bars.forEach((bar, i) => {
    const h = (bar.value / max) * plotH;
    const x = left + i * step + step * 0.15;
    const w = step * 0.7;
    parts.push(`<rect x="${x}" y="${top + plotH - h}" width="${w}" height="${h}" fill="#4C78A8"/>`);
    parts.push(
      `<text x="${x + w / 2}" y="${top + plotH - h - 4}" ${FONT} font-size="10" text-anchor="middle">${formatNumber(bar.value)}</text>`,
    );
    const lx = x + w / 2;
    const ly = top + plotH + 12;
    parts.push(
      `<text x="${lx}" y="${ly}" ${FONT} font-size="11" text-anchor="end" transform="rotate(-40 ${lx} ${ly})">${escapeXml(bar.label.slice(0, 18))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export async function writeSvgPng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
