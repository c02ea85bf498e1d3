/**
 * Gunther's Universal Scalability Law (USL), fitted to one throughput-vs-replicas curve.
 *
 *   X(N) = λN / (1 + σ(N−1) + κN(N−1))
 *
 * λ is the throughput of one replica, σ the contention (the serial share that queues, Amdahl's
 * term: throughput flattens towards λ/σ) and κ the coherency cost (every replica paying for
 * every other one: throughput peaks, then falls). Measured points alone say "4 replicas gave
 * 3.1×"; the fit says *why* (queueing or crosstalk) and where more replicas stop helping.
 *
 * Pure functions, and the result is plain data so it can go into report.json as it is. Note that
 * JSON.stringify writes `Infinity` as `null`: read a null `peakReplicas` / `stopsPayingOffAt`
 * as "never".
 */

export interface UslPoint {
  replicas: number;
  throughput: number;
}

export interface UslResidual {
  replicas: number;
  measured: number;
  fitted: number;
  /** (measured − fitted) / fitted */
  relativeError: number;
}

export interface UslFit {
  /** Throughput of one replica: the measured N = 1 point (mean, if it was given more than once). */
  lambda: number;
  /** Contention ≥ 0. */
  sigma: number;
  /** Coherency ≥ 0; 0 when it could not be fitted (see `kappaFitted`). */
  kappa: number;
  /**
   * False when only one distinct N > 1 was measured: two unknowns cannot be told apart from one
   * ratio, so σ alone was fitted with κ = 0 (Amdahl's law), and the curve can never show a peak.
   */
  kappaFitted: boolean;
  /**
   * Coefficients the unconstrained least-squares fit wanted below 0 and that were held at 0
   * (the other one refitted alone), so that the curve stays physical: σ < 0 would mean a
   * replica makes the others faster, κ < 0 that throughput accelerates without bound. A clamp
   * usually means noise, a cache warming up, or a bottleneck outside the replicas.
   */
  clamped: ('sigma' | 'kappa')[];
  /** Human-readable remarks about the fit (Amdahl fallback, clamps). */
  notes: string[];
  /**
   * N where the fitted curve peaks: sqrt((1−σ)/κ) (never below 1; 1 when σ ≥ 1, where every
   * replica after the first costs more than it brings); Infinity when κ = 0 and σ < 1, where
   * the curve only flattens towards λ/σ.
   */
  peakReplicas: number;
  /**
   * The smallest whole N ≥ 1 at which adding one more replica gains less than 5 % of one
   * replica's throughput λ, i.e. X(N+1) − X(N) < 0.05 λ — "the next replica stops paying off";
   * Infinity if that does not happen within N ≤ 1000.
   */
  stopsPayingOffAt: number;
  /** Per measured point (sorted by replicas): the fitted X and (measured − fitted)/fitted. */
  residuals: UslResidual[];
}

/** Share of λ below which one more replica is said to stop paying off. */
export const PAYOFF_THRESHOLD = 0.05;
/** Search limit for `stopsPayingOffAt`. */
export const PAYOFF_SEARCH_LIMIT = 1000;

/** The law itself: X(N) = λN / (1 + σ(N−1) + κN(N−1)). */
export function uslThroughput(fit: Pick<UslFit, 'lambda' | 'sigma' | 'kappa'>, n: number): number {
  return (fit.lambda * n) / (1 + fit.sigma * (n - 1) + fit.kappa * n * (n - 1));
}

/**
 * Fits the USL with Gunther's linearisation: λ = X(1); for N > 1 the relative capacity
 * C(N) = X(N)/λ gives y = N/C(N) − 1 = σ(N−1) + κN(N−1), a straight-line model with no
 * intercept, solved by least squares (2×2 normal equations). Fixing λ to the measured N = 1
 * point (rather than fitting it too) keeps the fit exact on the baseline every other point is
 * compared to, and needs no iterative solver.
 *
 * Returns undefined when there is no N = 1 point, no N > 1 point, or λ ≤ 0. Points with a
 * non-finite value, or with replicas < 1, are ignored.
 */
export function fitUsl(points: readonly UslPoint[]): UslFit | undefined {
  const valid = points
    .filter((p) => Number.isFinite(p.replicas) && Number.isFinite(p.throughput) && p.replicas >= 1)
    .map((p) => ({ replicas: p.replicas, throughput: p.throughput }))
    .sort((a, b) => a.replicas - b.replicas);
  const ones = valid.filter((p) => p.replicas === 1);
  const more = valid.filter((p) => p.replicas > 1);
  if (ones.length === 0 || more.length === 0) return undefined;
  const lambda = ones.reduce((sum, p) => sum + p.throughput, 0) / ones.length;
  if (!(lambda > 0)) return undefined;

  // y = σ·a + κ·b with a = N−1, b = N(N−1).
  let saa = 0;
  let sab = 0;
  let sbb = 0;
  let say = 0;
  let sby = 0;
  for (const { replicas: n, throughput } of more) {
    const y = (n * lambda) / throughput - 1;
    const a = n - 1;
    const b = n * (n - 1);
    saa += a * a;
    sab += a * b;
    sbb += b * b;
    say += a * y;
    sby += b * y;
  }
  // X ≤ 0 at some N > 1 makes y infinite or negative nonsense: no fit.
  if (!Number.isFinite(say) || !Number.isFinite(sby)) return undefined;

  const notes: string[] = [];
  const clamped: UslFit['clamped'] = [];
  const kappaFitted = new Set(more.map((p) => p.replicas)).size >= 2;
  let sigma: number;
  let kappa: number;
  if (!kappaFitted) {
    // One ratio, two unknowns: Amdahl.
    sigma = say / saa;
    kappa = 0;
    notes.push('only one replica count above 1: fitted σ alone with κ = 0 (Amdahl), so no peak can show');
    if (sigma < 0) {
      sigma = 0;
      clamped.push('sigma');
    }
  } else {
    const det = saa * sbb - sab * sab;
    sigma = (say * sbb - sby * sab) / det;
    kappa = (sby * saa - say * sab) / det;
    if (sigma < 0 || kappa < 0) {
      // Non-negative least squares with two unknowns: the optimum lies on an edge, so compare
      // "σ alone" with "κ alone" (each clamped at 0) by residual sum of squares (up to a constant).
      const sigmaAlone = Math.max(0, say / saa);
      const kappaAlone = Math.max(0, sby / sbb);
      const costSigmaAlone = sigmaAlone * sigmaAlone * saa - 2 * sigmaAlone * say;
      const costKappaAlone = kappaAlone * kappaAlone * sbb - 2 * kappaAlone * sby;
      if (costSigmaAlone <= costKappaAlone) {
        sigma = sigmaAlone;
        kappa = 0;
        clamped.push('kappa');
        if (say / saa < 0) clamped.push('sigma');
      } else {
        sigma = 0;
        kappa = kappaAlone;
        clamped.push('sigma');
        if (sby / sbb < 0) clamped.push('kappa');
      }
    }
  }
  for (const name of clamped)
    notes.push(
      `${name === 'sigma' ? 'σ' : 'κ'} came out negative and was held at 0 (the other refitted alone)`,
    );

  const law = { lambda, sigma, kappa };
  return {
    lambda,
    sigma,
    kappa,
    kappaFitted,
    clamped,
    notes,
    peakReplicas: peakReplicas(sigma, kappa),
    stopsPayingOffAt: stopsPayingOffAt(law),
    residuals: valid.map(({ replicas, throughput }) => {
      const fitted = uslThroughput(law, replicas);
      return { replicas, measured: throughput, fitted, relativeError: (throughput - fitted) / fitted };
    }),
  };
}

/** dX/dN = 0 at N² = (1−σ)/κ; the curve on N ≥ 1 peaks there, or at N = 1 when that is below 1. */
function peakReplicas(sigma: number, kappa: number): number {
  if (sigma >= 1) return 1;
  if (kappa === 0) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.sqrt((1 - sigma) / kappa));
}

function stopsPayingOffAt(law: Pick<UslFit, 'lambda' | 'sigma' | 'kappa'>): number {
  for (let n = 1; n <= PAYOFF_SEARCH_LIMIT; n++) {
    if (uslThroughput(law, n + 1) - uslThroughput(law, n) < PAYOFF_THRESHOLD * law.lambda) return n;
  }
  return Number.POSITIVE_INFINITY;
}
