// The rules the service graph reports (src/graph/build.ts). They read the
// whole repo at once (nginx, compose and every service's code), so no
// transform owns them: the catalog lists them with kind 'graph'.
import type { RuleMeta } from '../engine/types.js';

export const GRAPH_RULES: RuleMeta[] = [
  {
    id: 'upstream-target-missing',
    severity: 'blocking',
    description: 'an nginx `upstream` server or `proxy_pass` target whose host is no service of the repo, or whose port the target does not listen on',
    rationale: 'nginx answers 502 for every request it routes there: the route is down from the first request, however healthy the services are.',
    fixedBy: null,
  },
  {
    id: 'service-url-mismatch',
    severity: 'risky',
    description: 'a service URL (`*_URL`, `*_URI`, `*_HOST` in compose, or a code default) whose host is no service of the repo, or whose port is not the one the target listens on',
    rationale: 'The service starts and passes its healthcheck, then fails the first request that calls the wrong host or port.',
    fixedBy: null,
  },
  {
    id: 'depends-on-missing',
    severity: 'info',
    description: 'a service calls another over HTTP while starting, but its compose entry has no `depends_on` for it',
    rationale: 'compose may start the caller first; the startup call then fails and the service crashes or starts degraded.',
    fixedBy: null,
  },
  {
    id: 'topic-without-consumer',
    severity: 'info',
    description: 'a Kafka topic produced in the repo that no service of the repo consumes',
    rationale: 'Messages pile up unread: a consumer was renamed, removed, or subscribes to a misspelt topic.',
    fixedBy: null,
  },
  {
    id: 'topic-without-producer',
    severity: 'info',
    description: 'a Kafka topic consumed in the repo that no service of the repo produces',
    rationale: 'The consumer waits for messages that never come: a producer was renamed, removed, or sends to a misspelt topic.',
    fixedBy: null,
  },
];

export const GRAPH_RULE_IDS = new Set(GRAPH_RULES.map((r) => r.id));
