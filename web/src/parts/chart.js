// chart.js - <Chart>: a uPlot chart kept in a div, its data replaced as it changes (uPlot
// draws on a canvas; its stylesheet comes with the bundle).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { html } from "../html.js";

export function Chart({ opts, data, width = 720, height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    plot.current = new uPlot({ width, height, ...opts }, data, box.current);
    return () => plot.current.destroy();
  }, [JSON.stringify(opts.series.map((s) => s.label)), width, height]);
  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [data]);
  return html`<div class="chart" ref=${box}></div>`;
}
