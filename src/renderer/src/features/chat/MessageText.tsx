// A message's text as React elements (never HTML). Links open outside the app through the main
// process, which checks them again (http, https and mailto only).
import { memo, type MouseEvent, type ReactNode } from 'react';
import { parseInline, parseMessage, type Block, type Inline, type List } from './markdown';

export interface LinkOpener {
  (href: string): void;
}

/** Inline marks only; `openLink` undefined shows links as text (inside a button, say). */
function renderInline(nodes: Inline[], openLink: LinkOpener | undefined, me?: string): ReactNode[] {
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
        if (!openLink) return <span key={i}>{renderInline(n.children, openLink, me)}</span>;
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
    <div className="message-text">{blocks.map((b, i) => renderBlock(b, i, openLink, me))}</div>
  );
});

function renderList(list: List, key: number, openLink: LinkOpener, me?: string): ReactNode {
  const items = list.items.map((item, i) => (
    <li key={i}>
      {renderInline(item.children, openLink, me)}
      {item.sublist && renderList(item.sublist, 0, openLink, me)}
    </li>
  ));
  return list.ordered ? (
    <ol key={key} start={list.start === 1 ? undefined : list.start}>
      {items}
    </ol>
  ) : (
    <ul key={key}>{items}</ul>
  );
}

function renderBlock(b: Block, key: number, openLink: LinkOpener, me?: string): ReactNode {
  switch (b.type) {
    case 'codeblock':
      return (
        <pre key={key}>
          <code>{b.text}</code>
        </pre>
      );
    case 'quote':
      return <blockquote key={key}>{renderInline(b.children, openLink, me)}</blockquote>;
    case 'list':
      return renderList(b, key, openLink, me);
    case 'paragraph':
      return <p key={key}>{renderInline(b.children, openLink, me)}</p>;
  }
}

/**
 * One line of formatted text with no links to follow: a quoted reply inside its button. Line
 * breaks and block markers are flattened; marks, code and mentions stay.
 */
export const InlineText = memo(function InlineText({ text }: { text: string }) {
  const line = text
    .replace(/^ {0,3}(?:> ?|[-*+•] +|\d{1,9}[.)] +)/gm, '')
    .replace(/\s*\n\s*/g, ' ');
  return <>{renderInline(parseInline(line), undefined)}</>;
});
