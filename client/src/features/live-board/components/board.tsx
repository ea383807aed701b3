import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { PHONE, useMediaQuery } from '../../../components/use-media-query';
import { useNow } from '../../../components/use-now';
import { useShortcuts } from '../../../components/use-shortcuts';
import { useBoard } from '../api/get-board';
import { useOrg } from '../../../lib/org-api';
import { EMPTY_FILTER, filterCalls, type BoardFilter } from '../filter';
import { BoardRow } from './board-row';
import { BoardToolbar } from './board-toolbar';

interface Props {
  /** Calls this console listens to. */
  listening: ReadonlySet<string>;
  selectedCallId: string | undefined;
  onSelect(callId: string | undefined): void;
  onListen(callId: string): void;
}

/** The board's columns, as `col-<id>` classes and headings. */
const COLUMNS = [
  ['region', 'Region'],
  ['center', 'Center'],
  ['team', 'Team'],
  ['agent', 'Agent'],
  ['customer', 'Customer'],
  ['state', 'State'],
  ['duration', 'Duration'],
  ['levels', 'Agent · Customer'],
  ['listeners', 'Ears'],
  ['action', ''],
] as const;

/** A row on a desk, and a card of three lines on a phone. */
const ROW_HEIGHT = 40;
const CARD_HEIGHT = 96;

/** Every live call, live: filters, search, sort, a virtualised list, j/k/Enter. */
export function LiveBoard({ listening, selectedCallId, onSelect, onListen }: Props) {
  const board = useBoard();
  const org = useOrg();
  const now = useNow();
  const [filter, setFilter] = useState<BoardFilter>(EMPTY_FILTER);
  const all = useMemo(() => [...(board.data?.values() ?? [])], [board.data]);
  const shown = useMemo(() => filterCalls(all, filter), [all, filter]);
  const scroller = useRef<HTMLDivElement>(null);
  const phone = useMediaQuery(PHONE);
  const rowHeight = phone ? CARD_HEIGHT : ROW_HEIGHT;
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    getItemKey: (i) => shown[i]!.id,
  });

  useEffect(() => virtualizer.measure(), [virtualizer, rowHeight]);

  // Keyboard: j/k move the selection, Enter listens to it.
  useShortcuts((e) => {
    const index = shown.findIndex((c) => c.id === selectedCallId);
    if (e.key === 'j' || e.key === 'k') {
      const next = e.key === 'j' ? Math.min(shown.length - 1, index + 1) : Math.max(0, index - 1);
      const call = shown[next];
      if (call) {
        onSelect(call.id);
        virtualizer.scrollToIndex(next, { align: 'auto' });
      }
      return true;
    }
    if (
      e.key === 'Enter' &&
      selectedCallId &&
      index >= 0 &&
      !(e.target as HTMLElement | null)?.closest('button')
    ) {
      onListen(selectedCallId);
      return true;
    }
    return false;
  });

  return (
    <section className="board" aria-label="Live calls">
      <BoardToolbar
        filter={filter}
        onChange={setFilter}
        org={org.data}
        calls={all}
        shown={shown.length}
      />
      {board.isPending ? (
        <p className="empty">Connecting to the live board…</p>
      ) : board.isError ? (
        <p className="empty error">The live board is unavailable: {board.error.message}</p>
      ) : shown.length === 0 ? (
        <p className="empty">
          {all.length === 0
            ? 'No live calls right now. Calls appear here the moment they are tapped.'
            : 'No live call matches these filters.'}
        </p>
      ) : (
        <div className="board-grid" role="grid" aria-rowcount={shown.length + 1}>
          <div className="board-head" role="row" aria-rowindex={1}>
            {COLUMNS.map(([id, label]) => (
              <span key={id} role="columnheader" className={`col-${id}`}>
                {label || <span className="visually-hidden">Listen</span>}
              </span>
            ))}
          </div>
          <div className="board-body" ref={scroller} role="rowgroup">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const call = shown[item.index]!;
                return (
                  <div
                    key={item.key}
                    className="row-slot"
                    role="presentation"
                    style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                  >
                    <BoardRow
                      call={call}
                      org={org.data}
                      now={now}
                      index={item.index + 2}
                      selected={call.id === selectedCallId}
                      listening={listening.has(call.id)}
                      onSelect={() => onSelect(call.id)}
                      onListen={() => onListen(call.id)}
                    />
                  </div>
                );
              })}
            </div>
          </div>
        </div>
      )}
    </section>
  );
}
