// Checks of optimizer options, shared by every optimizer: each error names the option and the group.

/** PyTorch's habit, Adam(params, 0.01): a number stands for { lr }. */
export const withLr = <T>(options: T | number): T | { lr: number } => (typeof options === 'number' ? { lr: options } : options);

export function checkNonNegative(where: string, option: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value < Infinity)) throw new Error(`${where}: invalid ${option} ${value} (must be a finite number ≥ 0)`);
}

/** β in [0, 1). */
export function checkBeta(where: string, option: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new Error(`${where}: invalid ${option} ${value} (must be in [0, 1))`);
}
