/** Medians, spreads and number formats shared by the benchmarks' reports. */

export interface Stats {
  median: number;
  min: number;
  max: number;
  values: number[];
}

export function stats(values: number[]): Stats {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN, values };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, values };
}

/** `a[i] / b[i]` pair by pair (same round), as stats. */
export function ratios(a: number[], b: number[]): Stats {
  return stats(a.map((x, i) => x / b[i]!));
}

export const fmt = {
  int: (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–'),
  fixed: (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–'),
  x: (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–'),
  /** `median (min – max)` */
  spread: (s: Stats, f: (n: number) => string): string => (s.values.length > 1 ? `${f(s.median)} (${f(s.min)} – ${f(s.max)})` : f(s.median)),
};

/** A Markdown table (also readable as plain text in a terminal). */
export function table(header: string[], body: string[][]): string {
  return [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
