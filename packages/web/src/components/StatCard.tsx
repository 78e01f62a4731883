import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

export type Tone = 'accent' | 'success' | 'warning' | 'danger' | 'info' | 'neutral';

/** One number. Fixed height and tabular figures, so a changing value never moves anything. */
export function StatCard({
  label,
  value,
  icon,
  tone = 'accent',
  footer,
  testId,
}: {
  label: string;
  value: ReactNode;
  icon: IconName;
  tone?: Tone;
  footer?: ReactNode;
  testId?: string;
}) {
  return (
    <section className={`card stat stat--${tone}`} aria-label={label} data-testid={testId}>
      <header className="stat-head">
        <span className="stat-label">{label}</span>
        <span className="stat-icon">
          <Icon name={icon} size={18} />
        </span>
      </header>
      <div className="stat-value" data-testid={testId ? `${testId}-value` : undefined}>
        {value}
      </div>
      <div className="stat-foot">{footer}</div>
    </section>
  );
}
