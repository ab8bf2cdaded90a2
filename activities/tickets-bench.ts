/** The no-op activity of the benchmark's baseline workflow (workflows/service-ticket-baseline.ts). */
export function createTicketBenchActivities() {
  return {
    async ticketBenchNoop(i: number): Promise<number> {
      return i;
    },
  };
}

export type TicketBenchActivities = ReturnType<typeof createTicketBenchActivities>;
