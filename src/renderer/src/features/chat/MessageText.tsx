// A message's text as React elements (never HTML). Links open outside the app through the main
// process, which checks them again (http, https and mailto only).
import { memo, type MouseEvent, type ReactNode } from 'react';
import { parseMessage, type Inline } from './markdown';

export interface LinkOpener {
  (href: string): void;
}

function renderInline(nodes: Inline[], openLink: LinkOpener, me?: string): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.type) {
      case 'text':
        return n.text;
      case 'mention': {
        const mine = me !== undefined && n.username.toLowerCase() === me.toLowerCase();
        return (
          <span key={i} className={`mention ${mine ? 'mention-me' : ''}`}>
            @{n.username}
          </span>
        );
      }
      case 'code':
        return <code key={i}>{n.text}</code>;
      case 'bold':
        return <strong key={i}>{renderInline(n.children, openLink, me)}</strong>;
      case 'italic':
        return <em key={i}>{renderInline(n.children, openLink, me)}</em>;
      case 'strike':
        return <s key={i}>{renderInline(n.children, openLink, me)}</s>;
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
            {renderInline(n.children, openLink, me)}
          </a>
        );
    }
  });
}

export const MessageText = memo(function MessageText({
  text,
  openLink,
  me,
}: {
  text: string;
  openLink: LinkOpener;
  /** The user's username: mentions of them stand out. */
  me?: string;
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
          <p key={i}>{renderInline(b.children, openLink, me)}</p>
        ),
      )}
    </div>
  );
});
