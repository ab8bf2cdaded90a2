/** The no-op activity of the benchmark's yardstick workflows (bench/baseline-workflows.ts). */
export function createBaselineActivities() {
  return {
    async ticketBenchNoop(i: number): Promise<number> {
      return i;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
