/** Where progress is drawn: stderr, so stdout stays clean for results. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

/**
 * A spinner with a label for builds and uploads. It draws only when `enabled` (the CLI passes
 * "stdout is a terminal"), so scripts and pipes see no control characters.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private label = '';

  constructor(
    private readonly stream: ProgressStream,
    readonly enabled: boolean,
  ) {}

  /** Shows `label`; replaces the label when already running. */
  start(label: string): void {
    this.label = label;
    if (!this.enabled) return;
    this.draw();
    this.timer ??= setInterval(() => this.draw(), FRAME_MS);
    this.timer.unref();
  }

  /** Clears the line; prints `message` (with a tick) when given. */
  stop(message?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.enabled) return;
    this.stream.write('\r\x1b[2K');
    if (message) this.stream.write(`✔ ${message}\n`);
  }

  /** Runs `task` with the spinner showing `label`, clearing it however the task ends. */
  async run<T>(label: string, task: () => Promise<T>, done?: (result: T) => string): Promise<T> {
    this.start(label);
    try {
      const result = await task();
      this.stop(done?.(result));
      return result;
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[2K${FRAMES[this.frame]} ${this.label}`);
  }
}
