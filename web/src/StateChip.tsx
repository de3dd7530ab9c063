// A state name as a coloured chip, grouped the way the ladder colours them: opening (blue),
// open (green), closing (orange), TIME_WAIT (purple), gone (grey). Hovering it shows the state's
// topic (report/topics.ts, as `synack explain --topic`).

import { findTopic } from '../../src/report/topics.js';

export function stateGroup(s: string): string {
  switch (s) {
    case 'ESTABLISHED':
      return 'open';
    case 'SYN_SENT':
    case 'SYN_RECEIVED':
    case 'LISTEN':
      return 'opening';
    case 'FIN_WAIT_1':
    case 'FIN_WAIT_2':
    case 'CLOSE_WAIT':
    case 'CLOSING':
    case 'LAST_ACK':
      return 'closing';
    case 'TIME_WAIT':
      return 'timewait';
    case 'UNKNOWN':
      return 'unknown';
    default:
      return 'closed';
  }
}

/** Fill colours of the host chart, per state (the chips' hues). */
export const STATE_COLOURS: Record<string, string> = {
  LISTEN: '#90caf9',
  SYN_SENT: '#42a5f5',
  SYN_RECEIVED: '#1565c0',
  ESTABLISHED: '#43a047',
  FIN_WAIT_1: '#ffb74d',
  FIN_WAIT_2: '#ffa726',
  CLOSE_WAIT: '#e65100',
  CLOSING: '#ff8a65',
  LAST_ACK: '#f4511e',
  TIME_WAIT: '#8e24aa',
  UNKNOWN: '#9e9e9e',
  CLOSED: '#616161',
};

export function StateChip({ s, lang = 'en' }: { s: string; lang?: 'en' | 'zh' }) {
  const topic = findTopic(s);
  return (
    <span className={`chip st-${stateGroup(s)}`} title={topic?.text[lang]} data-topic={topic?.id}>
      {s}
    </span>
  );
}
