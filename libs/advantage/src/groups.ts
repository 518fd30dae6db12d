/**
 * Group bookkeeping and numerically careful group statistics shared by the estimators
 * (docs/algorithms.md §1, §7).
 *
 *   sum:  Neumaier's compensated summation, Σ x_i with an O(ε) error bound independent of n
 *   mean: μ_g = Σ_{i∈g} x_i / n_g
 *   var:  σ²_g = Σ_{i∈g} (x_i − μ_g)² / (n_g − 1)   (two passes: mean first, then deviations)
 *
 * Groups need not be contiguous: `groupMembers` lists the indices of each group in the order the
 * groups first appear.
 */

/** Indices of each group's members, groups in order of first appearance. */
export const groupMembers = (groupIds: ArrayLike<number>): readonly Int32Array[] => {
  const byId = new Map<number, number[]>();
  for (let i = 0; i < groupIds.length; i++) {
    const id = groupIds[i]!;
    const members = byId.get(id);
    if (members === undefined) byId.set(id, [i]);
    else members.push(i);
  }
  return Array.from(byId.values(), (members) => Int32Array.from(members));
};

/** Neumaier-compensated Σ weight(i)·values[i] over `indices` (every index when omitted). */
export const compensatedSum = (
  values: ArrayLike<number>,
  indices?: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number => {
  const n = indices === undefined ? values.length : indices.length;
  let sum = 0;
  let compensation = 0;
  for (let k = 0; k < n; k++) {
    const i = indices === undefined ? k : indices[k]!;
    const x = weights === undefined ? values[i]! : values[i]! * weights[i]!;
    const t = sum + x;
    compensation += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + compensation;
};

/** Mean of `values` over `members`. */
export const meanOver = (values: ArrayLike<number>, members: ArrayLike<number>): number =>
  compensatedSum(values, members) / members.length;

/** Unbiased (n − 1) variance over `members` around a given mean; 0 for fewer than two members. */
export const sampleVarianceOver = (values: ArrayLike<number>, members: ArrayLike<number>, mean: number): number => {
  if (members.length < 2) return 0;
  const squares = new Float64Array(members.length);
  for (let k = 0; k < members.length; k++) {
    const d = values[members[k]!]! - mean;
    squares[k] = d * d;
  }
  return compensatedSum(squares) / (members.length - 1);
};

/** True when every member has exactly the value of the first. */
export const isConstantOver = (values: ArrayLike<number>, members: ArrayLike<number>): boolean => {
  const first = values[members[0]!];
  for (let k = 1; k < members.length; k++) if (values[members[k]!] !== first) return false;
  return true;
};

/**
 * Per-group advantages with the shared edge cases of docs/algorithms.md §1: a group of one keeps its
 * reward, a group whose rewards are all equal gets 0, and the members of every other group get
 * `forGroup(members)(i)` (the group's statistics computed once, in `forGroup`). Unchecked: the
 * caller validates rewards and group ids.
 */
export const advantagesByGroup = (
  rewards: ArrayLike<number>,
  groupIds: ArrayLike<number>,
  forGroup: (members: Int32Array) => (i: number) => number,
): Float64Array => {
  const out = new Float64Array(rewards.length);
  for (const members of groupMembers(groupIds)) {
    if (members.length === 1) out[members[0]!] = rewards[members[0]!]!;
    else if (!isConstantOver(rewards, members)) {
      const advantage = forGroup(members);
      for (const i of members) out[i] = advantage(i);
    }
  }
  return out;
};
