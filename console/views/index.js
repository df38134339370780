import { aggregateLookupView, aggregateView } from './aggregate.js';
import { eventView } from './event.js';
import { eventsView } from './events.js';
import { archiveRunView } from './archive-run.js';
import { overviewView } from './overview.js';
import { parkedView } from './parked.js';
import { replayView } from './replay.js';
import { replaysView } from './replays.js';
import { retentionView } from './retention.js';
import { tailView } from './tail.js';

/**
 * Every view of the console, in navigation order; the first whose route matches is shown.
 * A later phase adds its module here with `available` reading the service's capabilities.
 * @type {import('../lib/view.js').View[]}
 */
export const views = [overviewView, eventsView, eventView, aggregateLookupView, aggregateView, tailView, replaysView, replayView, retentionView, archiveRunView, parkedView];
