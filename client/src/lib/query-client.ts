import { QueryClient } from '@tanstack/react-query';

/** The console's one query client. */
export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 1_000, retry: 2 } },
});
