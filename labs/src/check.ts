/** What the grader knows about the stack under test, from the command line. */
export interface CheckContext {
  /** The lab being graded (1 to 5). */
  lab: number;
  /** The site: the front at /, woody-api at /api/ (no trailing slash). */
  site: string;
  /** The movie-api load balancer (no trailing slash). */
  movie: string;
  /** The local stack's control API (no trailing slash). */
  control: string;
  /** How many replicas the lab expects. */
  replicas: number;
  /** A shell command that adds replicas (lab 4). */
  scale: string | undefined;
  /** Kill replicas and freeze dependencies (labs 2 and 5), on this machine only. */
  allowFaults: boolean;
  /** Progress of a slow check, on stderr. */
  progress(message: string): void;
}

export type Status = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckResult {
  status: Status;
  /** What was measured, in one line. */
  evidence: string;
  /** On a FAIL: what to look at in the stack, and the lab sheet that explains it. */
  lookAt?: string;
  /** The measurements, for teachers (--json). */
  data?: Record<string, unknown>;
}

export interface Check {
  id: string;
  name: string;
  /** Bound on the whole check, network calls and commands included. */
  timeoutMs: number;
  run(context: CheckContext): Promise<CheckResult>;
}

export const pass = (evidence: string, data?: Record<string, unknown>): CheckResult => ({
  status: 'PASS',
  evidence,
  data,
});

export const fail = (evidence: string, lookAt: string, data?: Record<string, unknown>): CheckResult => ({
  status: 'FAIL',
  evidence,
  lookAt,
  data,
});

export const skip = (evidence: string, data?: Record<string, unknown>): CheckResult => ({
  status: 'SKIP',
  evidence,
  data,
});

export const NO_INSTANCE_HEADER =
  'no X-Instance header: this check needs a stack that names the replica that answered';

/** The service a check talks to: woody-api through the site, or movie-api through its load balancer. */
export interface Target {
  service: 'woody-api' | 'movie-api';
  base(context: CheckContext): string;
  /** A cheap GET that every replica answers. */
  cheapPath: string;
}

export const WOODY: Target = {
  service: 'woody-api',
  base: (context) => `${context.site}/api`,
  cheapPath: '/ping',
};

export const MOVIE: Target = {
  service: 'movie-api',
  base: (context) => context.movie,
  // The tutorial's benchmark URL.
  cheapPath: '/moviesbytitle?title=The%20Good%20Dinosaur',
};
