import type { ReactNode } from 'react';

interface Props {
  title: ReactNode;
  actions?: ReactNode;
  className?: string;
  children: ReactNode;
}

/** A titled pane of the dashboard; its body fills the pane and scrolls inside it. */
export function Panel({ title, actions, className, children }: Props) {
  return (
    <section className={`panel${className ? ` ${className}` : ''}`}>
      <header className="panel-header">
        <h2 className="panel-title">{title}</h2>
        {actions && <div className="panel-actions">{actions}</div>}
      </header>
      <div className="panel-body">{children}</div>
    </section>
  );
}
