// ECharts, modular: only what the dashboard draws is bundled. Register new chart types and components here.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, SunburstChart } from 'echarts/charts';
import { BrushComponent, DataZoomComponent, GridComponent, LegendComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { BarSeriesOption, LineSeriesOption, SunburstSeriesOption } from 'echarts/charts';
import type {
  BrushComponentOption,
  DataZoomComponentOption,
  GridComponentOption,
  LegendComponentOption,
  ToolboxComponentOption,
  TooltipComponentOption,
} from 'echarts/components';
import type { ComposeOption } from 'echarts/core';

echarts.use([BarChart, LineChart, SunburstChart, GridComponent, TooltipComponent, LegendComponent, BrushComponent,
  ToolboxComponent, DataZoomComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | SunburstSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | BrushComponentOption
  | ToolboxComponentOption
  | DataZoomComponentOption
>;

export { echarts };
