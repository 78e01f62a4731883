/**
 * Recognitions and unknown faces per minute over the last hour: a stacked bar chart drawn as
 * SVG at the container's pixel size (no chart library). Hover or focus it and use the arrow
 * keys to read single minutes; a hidden table carries the same numbers for screen readers.
 */
import { type KeyboardEvent, memo, type PointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import { clockMinute } from '../lib/format';
import { type Bucket, CHART_MINUTES, minuteOf } from '../lib/live';

const PAD = { top: 14, right: 8, bottom: 26, left: 34 };

function useWidth(ref: React.RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.floor(entry.contentRect.width));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/** 1, 2 or 5 × 10^n at or above `value` (at least 1): a whole-number axis step. */
function niceStep(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

/** Axis top and ticks: about four whole-number steps, with headroom above the tallest bar. */
function axis(peak: number): { top: number; ticks: number[] } {
  const step = niceStep(peak / 4);
  const count = Math.max(4, Math.floor(peak / step) + 1);
  return { top: step * count, ticks: Array.from({ length: count + 1 }, (_, i) => i * step) };
}

export const RecognitionChart = memo(function RecognitionChart({
  buckets,
  now,
  height = 240,
}: {
  buckets: ReadonlyMap<number, Bucket>;
  now: number;
  height?: number;
}) {
  const wrap = useRef<HTMLDivElement>(null);
  const width = useWidth(wrap);
  const [active, setActive] = useState<number | null>(null);

  const current = minuteOf(now);
  const series = useMemo(() => {
    const out: { minute: number; recognized: number; unknown: number }[] = [];
    for (let i = CHART_MINUTES - 1; i >= 0; i--) {
      const minute = current - i;
      const b = buckets.get(minute);
      out.push({ minute, recognized: b?.recognized ?? 0, unknown: b?.unknown ?? 0 });
    }
    return out;
  }, [buckets, current]);

  const totals = useMemo(
    () =>
      series.reduce(
        (acc, s) => ({
          recognized: acc.recognized + s.recognized,
          unknown: acc.unknown + s.unknown,
          peak: Math.max(acc.peak, s.recognized + s.unknown),
        }),
        { recognized: 0, unknown: 0, peak: 0 },
      ),
    [series],
  );

  const { top: max, ticks } = axis(totals.peak);
  const innerW = Math.max(0, width - PAD.left - PAD.right);
  const innerH = height - PAD.top - PAD.bottom;
  const slot = innerW / CHART_MINUTES;
  const barW = Math.max(1, slot * 0.68);
  const y = (v: number) => PAD.top + innerH - (v / max) * innerH;

  const indexAt = (clientX: number, target: SVGSVGElement) => {
    const x = clientX - target.getBoundingClientRect().left - PAD.left;
    return Math.min(CHART_MINUTES - 1, Math.max(0, Math.floor(x / slot)));
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => setActive(indexAt(event.clientX, event.currentTarget));
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const last = CHART_MINUTES - 1;
    let next: (i: number) => number;
    switch (event.key) {
      case 'ArrowLeft':
        next = (i) => Math.max(0, i - 1);
        break;
      case 'ArrowRight':
        next = (i) => Math.min(last, i + 1);
        break;
      case 'Home':
        next = () => 0;
        break;
      case 'End':
        next = () => last;
        break;
      default:
        return;
    }
    event.preventDefault();
    setActive((i) => next(i ?? last));
  };

  const shown = active === null ? null : series[active];
  const summary = `Recognitions per minute over the last hour: ${totals.recognized} recognized, ${totals.unknown} unknown faces; busiest minute ${totals.peak}.`;

  return (
    <div className="chart">
      <div className="chart-legend">
        <span className="legend-item legend-item--recognized">
          <span className="legend-swatch" aria-hidden="true" />
          Recognized <strong className="num">{totals.recognized}</strong>
        </span>
        <span className="legend-item legend-item--unknown">
          <span className="legend-swatch" aria-hidden="true" />
          Unknown <strong className="num">{totals.unknown}</strong>
        </span>
        <span className="chart-readout num" aria-live="polite">
          {shown
            ? `${clockMinute(shown.minute * 60_000)} · ${shown.recognized} recognized · ${shown.unknown} unknown`
            : `Peak ${totals.peak}/min`}
        </span>
      </div>
      <div className="chart-canvas" ref={wrap} style={{ height }}>
        {width > 0 ? (
          <svg
            width={width}
            height={height}
            role="img"
            aria-label={summary}
            // biome-ignore lint/a11y/noNoninteractiveTabindex: the chart is explorable with the arrow keys
            tabIndex={0}
            onPointerMove={onPointerMove}
            onPointerLeave={() => setActive(null)}
            onKeyDown={onKeyDown}
            onBlur={() => setActive(null)}
            data-testid="recognition-chart"
          >
            {ticks.map((t) => (
              <g key={t}>
                <line className="chart-grid" x1={PAD.left} x2={width - PAD.right} y1={y(t)} y2={y(t)} />
                <text className="chart-axis" x={PAD.left - 8} y={y(t)} dy="0.32em" textAnchor="end">
                  {t}
                </text>
              </g>
            ))}
            {series.map((s, i) => {
              const x = PAD.left + i * slot + (slot - barW) / 2;
              const hRec = (s.recognized / max) * innerH;
              const hUnk = (s.unknown / max) * innerH;
              const base = PAD.top + innerH;
              const dim = active !== null && active !== i;
              return (
                <g key={s.minute} className={dim ? 'chart-bar is-dim' : 'chart-bar'}>
                  {s.recognized > 0 ? (
                    <rect
                      className="bar-recognized"
                      x={x}
                      y={base - hRec}
                      width={barW}
                      height={hRec}
                      rx={Math.min(2, barW / 3)}
                    />
                  ) : null}
                  {s.unknown > 0 ? (
                    <rect
                      className="bar-unknown"
                      x={x}
                      y={base - hRec - hUnk - (s.recognized > 0 ? 1 : 0)}
                      width={barW}
                      height={hUnk}
                      rx={Math.min(2, barW / 3)}
                    />
                  ) : null}
                </g>
              );
            })}
            {active !== null ? (
              <rect
                className="chart-cursor"
                x={PAD.left + active * slot}
                y={PAD.top}
                width={slot}
                height={innerH}
                pointerEvents="none"
              />
            ) : null}
            {series.map((s, i) =>
              (CHART_MINUTES - 1 - i) % 10 === 0 ? (
                <text
                  key={`x${s.minute}`}
                  className="chart-axis"
                  x={PAD.left + i * slot + slot / 2}
                  y={height - 8}
                  textAnchor={i === CHART_MINUTES - 1 ? 'end' : 'middle'}
                >
                  {i === CHART_MINUTES - 1 ? 'now' : clockMinute(s.minute * 60_000)}
                </text>
              ) : null,
            )}
          </svg>
        ) : null}
      </div>
      {/* A table sized as sr-only still grows with its rows, so the wrapper is the hidden box. */}
      <div className="sr-only">
        <table>
          <caption>Recognitions per minute, minutes with activity</caption>
          <thead>
            <tr>
              <th scope="col">Minute</th>
              <th scope="col">Recognized</th>
              <th scope="col">Unknown</th>
            </tr>
          </thead>
          <tbody>
            {series
              .filter((s) => s.recognized + s.unknown > 0)
              .map((s) => (
                <tr key={s.minute}>
                  <td>{clockMinute(s.minute * 60_000)}</td>
                  <td>{s.recognized}</td>
                  <td>{s.unknown}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </div>
  );
});
