// A message's text as React elements (never HTML). Links open outside the app through the main
// process, which checks them again (http, https and mailto only).
import { memo, type MouseEvent, type ReactNode } from 'react';
import { parseMessage, type Inline } from './markdown';

export interface LinkOpener {
  (href: string): void;
}

function renderInline(nodes: Inline[], openLink: LinkOpener): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text':
        return n.text;
      case 'code':
        return <code key={i}>{n.text}</code>;
      case 'bold':
        return <strong key={i}>{renderInline(n.children, openLink)}</strong>;
      case 'italic':
        return <em key={i}>{renderInline(n.children, openLink)}</em>;
      case 'strike':
        return <s key={i}>{renderInline(n.children, openLink)}</s>;
      case 'link':
        return (
          <a
            key={i}
            href={n.href}
            rel="noopener noreferrer"
            onClick={(e: MouseEvent) => {
              e.preventDefault();
              openLink(n.href);
            }}
          >
            {renderInline(n.children, openLink)}
          </a>
        );
    }
  });
}

export const MessageText = memo(function MessageText({
  text,
  openLink,
}: {
  text: string;
  openLink: LinkOpener;
}) {
  const blocks = parseMessage(text);
  return (
    <div className="message-text">
      {blocks.map((b, i) =>
        b.type === 'codeblock' ? (
          <pre key={i}>
            <code>{b.text}</code>
          </pre>
        ) : (
          <p key={i}>{renderInline(b.children, openLink)}</p>
        ),
      )}
    </div>
  );
});
