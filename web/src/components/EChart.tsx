import { useEffect, useRef } from 'react';
import { echarts, type ChartOption } from '../lib/echarts';

export interface EChartClick {
  name: string;
  dataIndex: number;
}

interface Props {
  option: ChartOption;
  /** CSS height of the chart, e.g. 240 (pixels). Width follows the container. */
  height: number;
  onClick?: (e: EChartClick) => void;
  className?: string;
  ariaLabel: string;
}

/**
 * A canvas ECharts instance bound to a div: created once, updated with setOption, resized with its container and
 * disposed on unmount. Canvas rendering needs no inline scripts or styles beyond the element's own style attribute,
 * so it works under the page's Content-Security-Policy. Tooltips must use renderMode 'richText' (drawn on the canvas)
 * when they show packet-derived text: the default HTML tooltip would interpret it as markup.
 */
export function EChart({ option, height, onClick, className, ariaLabel }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const chartRef = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const chart = echarts.init(el, null, { renderer: 'canvas' });
    chartRef.current = chart;
    chart.on('click', (p) => {
      clickRef.current?.({ name: String(p.name ?? ''), dataIndex: p.dataIndex ?? -1 });
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
    chartRef.current?.setOption(option, { notMerge: true });
  }, [option]);

  useEffect(() => {
    chartRef.current?.resize();
  }, [height]);

  return <div ref={ref} className={className} style={{ height, width: '100%' }} role="img" aria-label={ariaLabel} />;
}
