// Checks of optimizer options, shared by every optimizer: each error names the option and the group.

export function checkNonNegative(where: string, option: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0)) throw new Error(`${where}: invalid ${option} ${value} (must be a number ≥ 0)`);
}

/** β in [0, 1). */
export function checkBeta(where: string, option: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new Error(`${where}: invalid ${option} ${value} (must be in [0, 1))`);
}
