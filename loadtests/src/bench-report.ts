import { spread } from './stats.js';

/** What `./scale-lab bench` measures, in the order of its table. */
export const BENCH_TARGETS = ['bareNode', 'woody', 'nginx', 'nginxToNode', 'proxy'] as const;
export type BenchTarget = (typeof BENCH_TARGETS)[number];

/** Requests per second of every target, one entry per round. */
export type BenchRates = Record<BenchTarget, number[]>;

interface RatioGoal {
  label: string;
  numerator: BenchTarget;
  denominator: BenchTarget;
  atLeast: number;
}

/** Issue 12's goals: the request path costs at most a fifth of the throughput of the bare minimum. */
export const RATIO_GOALS: readonly RatioGoal[] = [
  { label: 'woody-api direct ÷ bare Node', numerator: 'woody', denominator: 'bareNode', atLeast: 0.8 },
  {
    label: 'proxy → woody-api ÷ nginx → bare Node',
    numerator: 'proxy',
    denominator: 'nginxToNode',
    atLeast: 0.8,
  },
];

/** 10× the 3.9k req/s of the original Flask lab API. Secondary: it depends on the machine, not the code. */
export const WOODY_DIRECT_GOAL = 39_000;

export interface Verdict {
  label: string;
  /** The median over rounds: of each round's ratio (both measured minutes apart at most), or of the rates. */
  value: number;
  min: number;
  max: number;
  atLeast: number;
  met: boolean;
}

/** Each ratio is taken round by round, so a slow minute of the shared machine weighs on both sides. */
function ratioVerdict(rates: BenchRates, goal: RatioGoal): Verdict {
  const ratios = rates[goal.numerator].map((rate, round) => rate / rates[goal.denominator][round]!);
  const { median, min, max } = spread(ratios);
  return { label: goal.label, value: median, min, max, atLeast: goal.atLeast, met: median >= goal.atLeast };
}

export function verdicts(rates: BenchRates): Verdict[] {
  const woody = spread(rates.woody);
  return [
    ...RATIO_GOALS.map((goal) => ratioVerdict(rates, goal)),
    {
      label: 'woody-api direct, req/s',
      value: woody.median,
      min: woody.min,
      max: woody.max,
      atLeast: WOODY_DIRECT_GOAL,
      met: woody.median >= WOODY_DIRECT_GOAL,
    },
  ];
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const decimal = (n: number) => (n >= 100 ? thousands(n) : n.toFixed(2));

/** A label, then right-aligned columns. */
const line = (width: number, label: string, cells: readonly string[]) =>
  label.padEnd(width) + cells.map((cell) => cell.padStart(10)).join('');

function goalLine(width: number, v: Verdict): string {
  const rounds = `rounds ${decimal(v.min)}–${decimal(v.max)}`;
  const verdict = v.met ? 'goal met' : 'goal missed';
  return `${line(width, v.label, [decimal(v.value)])}  ${rounds}, goal ≥ ${decimal(v.atLeast)}: ${verdict}`;
}

/** The printed result: req/s per target and round, then each goal with its verdict. */
export function benchTable(labels: Record<BenchTarget, string>, rates: BenchRates): string {
  const width = Math.max(...Object.values(labels).map((label) => label.length), 40);
  const rounds = rates.bareNode.map((_, round) => `round ${round + 1}`);
  return [
    line(width, 'req/s', [...rounds, 'median']),
    ...BENCH_TARGETS.map((target) =>
      line(width, labels[target], [...rates[target], spread(rates[target]).median].map(thousands)),
    ),
    '',
    line(width, 'goal (median over rounds)', ['value']),
    ...verdicts(rates).map((verdict) => goalLine(width, verdict)),
  ].join('\n');
}
