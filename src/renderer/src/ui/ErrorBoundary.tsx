// Keeps one failing part of the screen from taking the whole app with it: React unmounts the
// entire tree on an error no boundary catches (security review M13: an object where a file name
// belonged blanked the app). The failed part says so and offers to try again; the rest goes on.
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What this part of the screen is, for the message ("the call panel"). */
  area: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`Parley: ${this.props.area} failed`, error, info.componentStack);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <section className="error-boundary" role="alert" aria-label={`${this.props.area} failed`}>
        <p>
          Something went wrong in {this.props.area}; the rest of Parley still works. (
          {error.message.slice(0, 200)})
        </p>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </section>
    );
  }
}
