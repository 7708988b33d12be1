import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Colours of the series, in order (one per Worker), readable on the light background. */
const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export interface LineChartProps {
  title: string;
  /** Times in seconds since 1970, then one array per series, aligned with the times. */
  data: [number[], ...(number | null)[][]];
  /** The name of each series, in the order of `data` after the times. */
  series: string[];
  unit?: string;
  /** The times the x axis spans, in seconds since 1970 (the window, however few samples are in yet). */
  range: [number, number];
}

/** Axis labels that fit: 18113 is "18.1k", 0.25 is "0.25". */
export function compact(n: number): string {
  if (Math.abs(n) >= 10_000) return `${(n / 1000).toFixed(Math.abs(n) >= 100_000 ? 0 : 1)}k`;
  return String(Math.round(n * 100) / 100);
}

/** A live line chart (uPlot), redrawn when its data changes and resized with its box. */
export function LineChart({ title, data, series, unit, range }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const span = useRef(range);
  span.current = range;
  const chart = useRef<uPlot | undefined>(undefined);
  const key = series.join('\u0000');

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const plot = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height: 180,
        series: [
          {},
          ...series.map((label, i) => ({
            label,
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            ...(unit ? { value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v} ${unit}`) } : {}),
          })),
        ],
        scales: { x: { time: true, range: () => span.current } },
        axes: [{}, { size: 56, values: (_u: uPlot, splits: number[]) => splits.map(compact) }],
        legend: { live: false },
        cursor: { show: false },
      },
      data,
      element,
    );
    chart.current = plot;
    const observer = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(200, element.clientWidth), height: 180 }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
      chart.current = undefined;
    };
  }, [key, unit]);

  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={title} />
    </figure>
  );
}
