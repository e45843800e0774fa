import { useEffect, useRef } from 'react';
import { echarts, type ChartOption } from '../lib/echarts';

export interface EChartClick {
  name: string;
  dataIndex: number;
  data: unknown;
}

interface Props {
  option: ChartOption;
  /** CSS height of the chart, e.g. 240 (pixels). Width follows the container. */
  height: number;
  onClick?: (e: EChartClick) => void;
  /** Horizontal brushing: called with the x-axis range selected (axis values), on mouse release. */
  onBrushX?: (range: [number, number]) => void;
  className?: string;
  ariaLabel: string;
  testId?: string;
}

/**
 * A canvas ECharts instance bound to a div: created once, updated with setOption, resized with its container and
 * disposed on unmount. Canvas rendering needs no inline scripts; ECharts sets style attributes, which the page's
 * CSP allows (style-src 'unsafe-inline'). Tooltips must use renderMode 'richText' (drawn on the canvas) when they show
 * packet-derived text: the default HTML tooltip would interpret it as markup.
 */
export function EChart({ option, height, onClick, onBrushX, className, ariaLabel, testId }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const brushRef = useRef(onBrushX);
  brushRef.current = onBrushX;
  const brushable = !!onBrushX;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const chart = echarts.init(el, null, { renderer: 'canvas' });
    chartRef.current = chart;
    chart.on('click', (p) => {
      clickRef.current?.({ name: String(p.name ?? ''), dataIndex: p.dataIndex ?? -1, data: p.data });
    });
    chart.on('brushEnd', (e) => {
      const areas = (e as { areas?: { coordRange?: unknown }[] }).areas ?? [];
      const r = areas[0]?.coordRange;
      if (Array.isArray(r) && typeof r[0] === 'number' && typeof r[1] === 'number' && r[1] > r[0]) {
        brushRef.current?.([r[0], r[1]]);
      }
    });
    const ro = new ResizeObserver(() => chart.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      chart.dispose();
      chartRef.current = null;
    };
  }, []);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    chart.setOption(option, { notMerge: true });
    if (brushable) {
      // Brushing is on from the start: a drag across the plot selects a time range.
      chart.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
    }
  }, [option, brushable]);

  useEffect(() => {
    chartRef.current?.resize();
  }, [height]);

  return (
    <div
      ref={ref}
      className={className}
      style={{ height, width: '100%' }}
      role="img"
      aria-label={ariaLabel}
      data-testid={testId}
    />
  );
}
