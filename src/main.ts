import { serve } from './serve.ts';

serve().catch((error) => {
  console.error('event service failed to start:', error);
  process.exit(1);
});
