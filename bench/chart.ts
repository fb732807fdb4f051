// Draws the benchmark's headline figures as a dependency-free SVG: latency percentiles of the room
// fan-out and throughput, Veche beside the baseline, from one run.

type Results = Record<string, Record<string, unknown> | undefined>;
const VECHE = "#2563eb";
const BASE = "#9ca3af";

interface Bar {
  label: string;
  veche: number;
  baseline: number;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
const fmt = (n: number) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));

function panel(x: number, y: number, w: number, h: number, title: string, unit: string, bars: Bar[]): string {
  const max = Math.max(1, ...bars.flatMap((b) => [b.veche, b.baseline]));
  const slot = w / Math.max(1, bars.length);
  const bw = Math.min(28, slot / 3);
  let out = `<text x="${x}" y="${y - 12}" font-size="14" font-weight="600">${esc(title)}</text>`;
  out += `<line x1="${x}" y1="${y + h}" x2="${x + w}" y2="${y + h}" stroke="#374151"/>`;
  out += `<text x="${x}" y="${y + h + 44}" font-size="11" fill="#6b7280">${esc(unit)}</text>`;
  bars.forEach((b, i) => {
    const cx = x + slot * i + slot / 2;
    for (const [k, value, color] of [
      [-1, b.veche, VECHE],
      [0, b.baseline, BASE],
    ] as const) {
      const bh = (value / max) * h;
      const bx = cx + k * bw + (k === 0 ? 2 : -2);
      out += `<rect x="${bx.toFixed(1)}" y="${(y + h - bh).toFixed(1)}" width="${bw}" height="${bh.toFixed(1)}" fill="${color}"/>`;
      out += `<text x="${(bx + bw / 2).toFixed(1)}" y="${(y + h - bh - 3).toFixed(1)}" font-size="10" text-anchor="middle">${fmt(value)}</text>`;
    }
    out += `<text x="${cx.toFixed(1)}" y="${y + h + 16}" font-size="11" text-anchor="middle">${esc(b.label)}</text>`;
  });
  return out;
}

export function renderChart(report: { date: string; quick: boolean; results: Results; machine: Record<string, unknown> }): string {
  const r = report.results;
  const latency: Bar[] = [];
  for (const rate of [10, 100]) {
    const v = r[`fanout_${rate}_veche`];
    const b = r[`fanout_${rate}_baseline`];
    if (!v || !b) continue;
    for (const p of ["p50", "p95", "p99"]) latency.push({ label: `${rate}/s ${p}`, veche: num(v[`${p}Ms`]), baseline: num(b[`${p}Ms`]) });
  }
  const throughput: Bar[] = [];
  if (r.saturation_veche && r.saturation_baseline) {
    throughput.push({
      label: "saturation",
      veche: num(r.saturation_veche.deliveriesPerSec),
      baseline: num(r.saturation_baseline.deliveriesPerSec),
    });
  }
  for (const rate of [10, 100]) {
    const v = r[`fanout_${rate}_veche`];
    const b = r[`fanout_${rate}_baseline`];
    if (v && b) throughput.push({ label: `${rate} msg/s`, veche: num(v.deliveriesPerSec), baseline: num(b.deliveriesPerSec) });
  }
  if (r.rooms_veche && r.rooms_baseline)
    throughput.push({ label: "many rooms", veche: num(r.rooms_veche.deliveriesPerSec), baseline: num(r.rooms_baseline.deliveriesPerSec) });
  if (r.busy_veche && r.busy_baseline)
    throughput.push({ label: "busy group", veche: num(r.busy_veche.deliveriesPerSec), baseline: num(r.busy_baseline.deliveriesPerSec) });

  const m = report.machine;
  const caption = `${report.date.slice(0, 10)}${report.quick ? " (quick)" : ""} · ${m.cores} cores, ${m.cpu} · node ${m.node}, workerd ${m.workerd} · commit ${m.commit}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="960" height="400" viewBox="0 0 960 400" font-family="system-ui, sans-serif">
<rect width="960" height="400" fill="white"/>
<text x="20" y="28" font-size="18" font-weight="700">Veche room fan-out vs a bare ws broadcast server (1,000 sockets)</text>
<rect x="20" y="40" width="12" height="12" fill="${VECHE}"/><text x="38" y="51" font-size="12">Veche (each message stored before delivery)</text>
<rect x="330" y="40" width="12" height="12" fill="${BASE}"/><text x="348" y="51" font-size="12">baseline: Node ws broadcast, no storage</text>
${panel(40, 95, 460, 215, "Send-to-receive latency", "milliseconds (lower is better)", latency)}
${panel(560, 95, 370, 215, "Deliveries per second", "deliveries/s (higher is better)", throughput)}
<text x="20" y="388" font-size="11" fill="#6b7280">${esc(caption)}</text>
</svg>
`;
}
