import type { InvocationMetrics } from './invocation-metrics.js';

/** Which kind of policy placed an invocation (a bounded label: not the APP script's name). */
export type PolicyKind = 'default' | 'app';

/** One scheduling decision. */
export interface SchedulingDecision {
  policy: PolicyKind;
  /** True when a Worker was chosen, false when the policy found none (`no_worker`). */
  placed: boolean;
  /** Time the policy took to decide, in seconds. */
  seconds: number;
}

/** One push of a function's code to the Workers (create or update). */
export interface CodePush {
  /** Until every Worker acknowledged or the push limit passed, in seconds. */
  seconds: number;
  /** Workers that failed or did not answer in time. */
  missing: number;
}

/** What the cluster tells the metrics: invocations, scheduling decisions and code pushes. */
export interface ClusterMetrics extends InvocationMetrics {
  scheduled(decision: SchedulingDecision): void;
  pushed(push: CodePush): void;
}

/** Metrics that go nowhere, for a cluster built without any. */
export const NO_CLUSTER_METRICS: ClusterMetrics = {
  invocationEnded() {},
  scheduled() {},
  pushed() {},
};
