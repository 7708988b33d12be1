import { Cron } from 'croner';

import type { ConnectionParams } from '../connections/index.js';
import type { EventSource, EventSourceContext, EventType } from './event-source.js';

export interface ScheduleEventOptions {
  /** Five fields (minute to weekday), or six with seconds first. */
  cron: string;
  /** An IANA time zone. @default the Core's */
  timezone: string | undefined;
  /** The invocation's `args`. @default {} */
  args: Record<string, unknown>;
}

/**
 * A cron schedule (docs/events.md, "schedule"), parsed by `croner`. A run whose time comes while
 * the previous run is still going is skipped (counted as dropped); a run missed while the Core was
 * down is not made up. With several Cores, only the schedule owner's runs.
 */
export class ScheduleEventSource implements EventSource {
  #job: Cron | undefined;
  #running = false;
  readonly #args: Buffer;

  constructor(
    private readonly options: ScheduleEventOptions,
    private readonly context: EventSourceContext,
  ) {
    this.#args = Buffer.from(JSON.stringify(options.args));
  }

  start(): void {
    // Asked now, so that the owner (a lease) is taken before the first run is due.
    void this.context.scheduleOwner.owns(this.context.group);
    this.#job = new Cron(
      this.options.cron,
      { ...(this.options.timezone === undefined ? {} : { timezone: this.options.timezone }) },
      () => void this.#run(),
    );
    this.context.state.connected();
  }

  async #run(): Promise<void> {
    if (!(await this.context.scheduleOwner.owns(this.context.group))) return;
    if (this.#running) {
      this.context.state.counters.messagesReceived++;
      this.context.state.counters.messagesDropped++;
      this.context.logger.warn(
        { cron: this.options.cron },
        'schedule run skipped: the previous run has not ended',
      );
      return;
    }
    this.#running = true;
    try {
      const accepted = await this.context.accept({ source: this.options.cron, args: this.#args });
      await accepted.done;
    } catch {
      // The Core is stopping.
    } finally {
      this.#running = false;
    }
  }

  close(): Promise<void> {
    this.#job?.stop();
    return Promise.resolve();
  }
}

export const SCHEDULE_EVENT: EventType<ScheduleEventOptions> = {
  parse(params: ConnectionParams): ScheduleEventOptions {
    const cron = params.string('cron');
    const timezone = params.string('timezone', true);
    if (timezone !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: timezone });
      } catch {
        params.fail('timezone', `is not an IANA time zone like "Europe/Rome": ${JSON.stringify(timezone)}`);
      }
    }
    try {
      new Cron(cron, { paused: true, ...(timezone === undefined ? {} : { timezone }) }).stop();
    } catch (error) {
      params.fail(
        'cron',
        `is not a valid cron expression (${(error as Error).message}): ${JSON.stringify(cron)}`,
      );
    }
    const args = params.object('args') ?? {};
    params.done();
    return { cron, timezone, args };
  },
  create: (options, context) => new ScheduleEventSource(options, context),
  describe: (options) => options.cron,
};
