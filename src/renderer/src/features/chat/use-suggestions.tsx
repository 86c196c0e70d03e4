// What the composer offers while typing: members for an @word, emoji for a :word. The emoji list
// is loaded the first time one is typed (or a whole :name: is in the text, so sending can turn it
// into its emoji).
import type { Gemoji } from 'gemoji';
import { useEffect, useState, type ReactNode } from 'react';
import { groupNameOf, isGroupKey } from '../../../../shared/conversation-key';
import { mentionAt, mentionCandidates } from '../../../../shared/mentions';
import type { GroupUser } from '../../../../shared/protocol';
import { useChatStore, useStore } from '../../state/use-store';
import { loadEmoji, mayHoldShortcode, searchEmoji, shortcodeAt } from './emoji-search';

const NO_MEMBERS: readonly GroupUser[] = [];

/** A completion offered while typing: a member to mention, or an emoji by its shortcode. */
export interface Suggestion {
  id: string;
  /** What replaces the @word or :word typed. */
  insert: string;
  label: ReactNode;
}

export function useSuggestions(
  conversation: string,
  text: string,
  caret: number,
  dismissedAt: number | null,
): {
  /** The @word or :word being typed before the caret. */
  typed: { start: number; query: string } | null;
  suggestions: Suggestion[];
  emojiList: readonly Gemoji[] | null;
} {
  const store = useChatStore();
  // @-autocomplete: the members of a group, offered while an @word is typed before the caret.
  const members = useStore((s) =>
    isGroupKey(conversation)
      ? (s.members.get(groupNameOf(conversation)!) ?? NO_MEMBERS)
      : NO_MEMBERS,
  );
  const mention = mentionAt(text, caret);
  const shortcode = mention ? null : shortcodeAt(text, caret);
  const [emojiList, setEmojiList] = useState<readonly Gemoji[] | null>(null);
  const wantsEmoji = shortcode !== null || mayHoldShortcode(text);
  useEffect(() => {
    if (wantsEmoji && !emojiList) void loadEmoji().then(setEmojiList);
  }, [wantsEmoji, emojiList]);
  const typed = mention ?? shortcode;
  const suggestions: Suggestion[] =
    !typed || dismissedAt === typed.start
      ? []
      : mention
        ? mentionCandidates(members, mention.query, store.me?.user_id).map((m) => ({
            id: `@${m.username}`,
            insert: `@${m.username} `,
            label: (
              <>
                {m.displayName} <span className="hint">@{m.username}</span>
              </>
            ),
          }))
        : emojiList && shortcode
          ? searchEmoji(emojiList, shortcode.query).map((e) => ({
              id: e.name,
              insert: e.emoji,
              label: (
                <>
                  <span className="emoji" aria-hidden>
                    {e.emoji}
                  </span>{' '}
                  :{e.name}: <span className="hint">{e.description}</span>
                </>
              ),
            }))
          : [];
  return { typed, suggestions, emojiList };
}
