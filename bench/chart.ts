// An SVG of the run: throughput beside its floors, and latency percentiles, as horizontal bars.

export interface Bar {
  label: string;
  value: number;
}

export interface LatencyBars {
  label: string;
  p50: number;
  p95: number;
  p99: number;
}

const width = 900;
const labelWidth = 260;
const barHeight = 16;
const gap = 6;
const shades = { p50: "#7aa6d6", p95: "#3b6fa8", p99: "#1d3d63" };

export function chart(throughput: Bar[], latency: LatencyBars[]): string {
  const top = panel(
    "Throughput (answers a second)",
    throughput.map((bar) => ({ ...bar, color: "#4c9a5f", text: `${Math.round(bar.value)}/s` })),
    30,
  );
  const bars = latency.flatMap((group) =>
    (["p50", "p95", "p99"] as const).map((p) => ({
      label: `${group.label} ${p}`,
      value: group[p],
      color: shades[p],
      text: `${group[p]} ms`,
    })),
  );
  const bottom = panel("Latency percentiles (ms)", bars, top.height + 50);
  const height = top.height + bottom.height + 70;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    top.svg,
    bottom.svg,
    "</svg>",
    "",
  ].join("\n");
}

function panel(title: string, bars: (Bar & { color: string; text: string })[], y: number): { svg: string; height: number } {
  const finite = bars.filter((bar) => Number.isFinite(bar.value));
  const max = Math.max(1, ...finite.map((bar) => bar.value));
  const scale = (width - labelWidth - 90) / max;
  const rows = bars.map((bar, i) => {
    const rowY = y + 20 + i * (barHeight + gap);
    const length = Number.isFinite(bar.value) ? Math.max(1, bar.value * scale) : 0;
    return [
      `<text x="${labelWidth - 8}" y="${rowY + 12}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${rowY}" width="${length.toFixed(1)}" height="${barHeight}" fill="${bar.color}"/>`,
      `<text x="${(labelWidth + length + 6).toFixed(1)}" y="${rowY + 12}">${escapeXml(Number.isFinite(bar.value) ? bar.text : "none")}</text>`,
    ].join("");
  });
  const svg = [`<text x="10" y="${y}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`, ...rows].join("\n");
  return { svg, height: 20 + bars.length * (barHeight + gap) };
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
