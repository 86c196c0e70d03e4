// What every slice of the chat store shares: the one state and its `set`, invoking the bridge,
// and the user-facing notice for a failed action.
import type { ChatState } from '../chat-state';
import { describe, type Invoke } from '../invoke';

export interface Me {
  user_id: string;
  displayName: string;
  username: string;
}

export interface SliceContext {
  getState(): ChatState;
  set(patch: Partial<ChatState>): void;
  /** Folds a patch into the state without asking for a publish (work done during one). */
  fold(patch: Partial<ChatState>): void;
  invoke: Invoke;
  me(): Me | undefined;
}

export abstract class Slice {
  constructor(protected readonly ctx: SliceContext) {}

  protected get state(): ChatState {
    return this.ctx.getState();
  }

  protected set(patch: Partial<ChatState>): void {
    this.ctx.set(patch);
  }

  protected get invoke(): Invoke {
    return this.ctx.invoke;
  }

  protected get me(): Me | undefined {
    return this.ctx.me();
  }

  /** Runs a user's action; a failure is shown as the notice instead of thrown. */
  async attempt<T>(what: () => Promise<T>): Promise<T | undefined> {
    try {
      return await what();
    } catch (err) {
      this.set({ notice: describe(err) });
      return undefined;
    }
  }
}
