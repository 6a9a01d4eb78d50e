/**
 * The DevTools panel: a launcher button and a dialog listing what the page evaluated, in a shadow
 * root so the page's CSS neither styles it nor is styled by it. DOM APIs only: text goes in with
 * `textContent` (never markup), styles through CSSOM (`element.style`), which a strict
 * Content-Security-Policy allows (no `<style>` elements, no `style` attributes). Keyboard: every
 * control is a native button, select or input; the launcher says whether the dialog is open;
 * Escape closes it and gives focus back to the launcher.
 */
import type { Experiment, ExperimentResult, FeatureResult } from '../../types';
import type { ForcedValues } from './session';

/** What the panel shows and changes. */
/** An experiment the page evaluated; `via` says where its variation came from when not from hashing here (a Sixpack server). */
export interface RecordedExperiment {
  experiment: Experiment;
  result: ExperimentResult;
  via?: string;
}

export interface PanelModel {
  features(): Map<string, FeatureResult>;
  experiments(): Map<string, RecordedExperiment>;
  forced(): ForcedValues;
  /** `undefined` stops forcing. */
  forceFeature(key: string, value: unknown): void;
  forceVariation(key: string, index: number | undefined): void;
  clearForced(): void;
}

export interface Panel {
  /** Render at the next turn (many changes in one turn render once). */
  schedule(): void;
  destroy(): void;
}

type Style = Partial<Record<keyof CSSStyleDeclaration, string>>;

const FONT = '12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif';
const BUTTON: Style = { font: FONT, padding: '3px 8px', border: '1px solid #767676', borderRadius: '4px', background: '#f4f4f4', color: '#111', cursor: 'pointer' };
const CELL: Style = { padding: '3px 6px', borderBottom: '1px solid #ddd', textAlign: 'left', verticalAlign: 'top', overflowWrap: 'anywhere' };

/** Longest text of a value shown in a cell. */
const MAX_TEXT = 80;

/** A value as short JSON; hostile values (cycles, BigInt, throwing getters) as best we can. */
export function describeValue(value: unknown, maxLength = MAX_TEXT): string {
  let text: string;
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  } catch {
    try {
      text = String(value);
    } catch {
      text = '(unprintable)';
    }
  }
  return text.length > maxLength ? text.slice(0, maxLength - 1) + '…' : text;
}

/** The value typed into a force field: JSON if it parses, else the text itself. */
const parseTyped = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

function element<K extends keyof HTMLElementTagNameMap>(tag: K, style?: Style, text?: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (style) Object.assign(el.style, style);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A table with a caption and header row; rows go into the returned body. */
function table(caption: string, headers: string[]): { table: HTMLTableElement; caption: HTMLTableCaptionElement; body: HTMLTableSectionElement } {
  const tableEl = element('table', { width: '100%', borderCollapse: 'collapse', margin: '8px 0 12px' });
  const captionEl = element('caption', { textAlign: 'left', fontWeight: '600', fontSize: '13px', padding: '4px 0' }, caption);
  const head = element('thead');
  const row = element('tr');
  for (const header of headers) {
    const th = element('th', { ...CELL, fontWeight: '600', background: '#f0f0f0' }, header);
    th.scope = 'col';
    row.append(th);
  }
  head.append(row);
  const body = element('tbody');
  tableEl.append(captionEl, head, body);
  return { table: tableEl, caption: captionEl, body };
}

interface Row {
  row: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  control: HTMLInputElement | HTMLSelectElement;
}

/** Show `model` in the page until `destroy()`. Call in a browser only. */
export function createPanel(model: PanelModel, options: { open?: boolean } = {}): Panel {
  const host = element('div');
  host.dataset.splitflapDevtools = '';
  const root = host.attachShadow({ mode: 'open' });

  const launcher = element('button', {
    ...BUTTON,
    position: 'fixed',
    right: '12px',
    bottom: '12px',
    zIndex: '2147483647',
    background: '#1d3557',
    color: '#fff',
    border: '1px solid #1d3557',
    padding: '6px 12px',
    boxShadow: '0 2px 6px rgba(0,0,0,.3)',
  }, 'Splitflap');
  launcher.type = 'button';
  launcher.setAttribute('aria-controls', 'splitflap-devtools-panel');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-label', 'Splitflap DevTools');

  const dialog = element('section', {
    position: 'fixed',
    right: '12px',
    bottom: '52px',
    zIndex: '2147483647',
    width: 'min(720px, calc(100vw - 24px))',
    maxHeight: 'min(70vh, 640px)',
    overflow: 'auto',
    boxSizing: 'border-box',
    padding: '10px 14px',
    background: '#fff',
    color: '#111',
    font: FONT,
    border: '1px solid #767676',
    borderRadius: '8px',
    boxShadow: '0 6px 24px rgba(0,0,0,.25)',
  });
  dialog.id = 'splitflap-devtools-panel';
  dialog.hidden = true;
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-modal', 'false');
  dialog.setAttribute('aria-labelledby', 'splitflap-devtools-title');

  const header = element('div', { display: 'flex', alignItems: 'center', gap: '8px', flexWrap: 'wrap' });
  const title = element('h2', { font: FONT, fontSize: '14px', fontWeight: '700', margin: '0', flex: '1' }, 'Splitflap DevTools');
  title.id = 'splitflap-devtools-title';
  title.tabIndex = -1;
  const clear = element('button', BUTTON, 'Clear forced values');
  clear.type = 'button';
  const close = element('button', BUTTON, 'Close');
  close.type = 'button';
  close.setAttribute('aria-label', 'Close Splitflap DevTools');
  header.append(title, clear, close);
  const note = element('p', { margin: '6px 0 0', color: '#444' }, 'Forced values apply to this browser tab only (sessionStorage) and are never sent to a server.');
  const status = element('p', { margin: '4px 0 0', color: '#444' });
  status.setAttribute('role', 'status');

  const featureTable = table('Features', ['Feature', 'Value', 'Source', 'Rule', 'Variant', 'Force value']);
  const experimentTable = table('Experiments', ['Experiment', 'Variation', 'Value', 'In experiment', 'Hashed on', 'Force variation']);
  dialog.append(header, note, status, featureTable.table, experimentTable.table);
  root.append(launcher, dialog);

  const featureRows = new Map<string, Row>();
  const experimentRows = new Map<string, Row>();

  const setOpen = (open: boolean) => {
    dialog.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      render();
      title.focus();
    }
  };
  launcher.addEventListener('click', () => setOpen(dialog.hidden));
  close.addEventListener('click', () => {
    setOpen(false);
    launcher.focus();
  });
  dialog.addEventListener('keydown', (event) => {
    if (event.key != 'Escape') return;
    event.stopPropagation();
    setOpen(false);
    launcher.focus();
  });
  clear.addEventListener('click', () => {
    model.clearForced();
    status.textContent = 'Forced values cleared.';
  });

  function featureRow(key: string, result: FeatureResult): Row {
    const row = element('tr');
    const cells = [0, 1, 2, 3, 4, 5].map(() => element('td', CELL));
    cells[0]!.textContent = key;
    const label = 'Force value of ' + key;
    let control: HTMLInputElement | HTMLSelectElement;
    const forcedValue = model.forced().features[key];
    if (typeof result.value == 'boolean' || typeof forcedValue == 'boolean') {
      const select = element('select', { font: FONT });
      for (const [value, text] of [['', 'not forced'], ['true', 'true (on)'], ['false', 'false (off)']] as const) {
        const option = element('option', undefined, text);
        option.value = value;
        select.append(option);
      }
      select.addEventListener('change', () => model.forceFeature(key, select.value ? select.value == 'true' : undefined));
      control = select;
    } else {
      const input = element('input', { font: FONT, width: '10em' });
      input.type = 'text';
      input.placeholder = 'JSON, Enter to force';
      input.addEventListener('change', () => model.forceFeature(key, input.value.trim() ? parseTyped(input.value.trim()) : undefined));
      control = input;
    }
    control.setAttribute('aria-label', label);
    cells[5]!.append(control);
    row.append(...cells);
    featureTable.body.append(row);
    return { row, cells, control };
  }

  /** A row with a variation select; a remote experiment's (Sixpack) cannot be forced from here, its select says how. */
  function experimentRow(key: string, experiment: Experiment, remote: boolean): Row {
    const row = element('tr');
    const cells = [0, 1, 2, 3, 4, 5].map(() => element('td', CELL));
    cells[0]!.textContent = key;
    const select = element('select', { font: FONT });
    const none = element('option', undefined, 'not forced');
    none.value = '';
    select.append(none);
    const variations = Array.isArray(experiment.variations) ? experiment.variations : [];
    variations.forEach((variation, index) => {
      const option = element('option', undefined, index + ': ' + describeValue(variation));
      option.value = String(index);
      select.append(option);
    });
    select.setAttribute('aria-label', 'Force variation of ' + key);
    if (remote) {
      select.disabled = true;
      select.title = `Force a Sixpack alternative with ?sixpack-force-${key}=<alternative>`;
    }
    select.addEventListener('change', () => model.forceVariation(key, select.value ? +select.value : undefined));
    cells[5]!.append(select);
    row.append(...cells);
    experimentTable.body.append(row);
    return { row, cells, control: select };
  }

  /** Set a control's shown value, unless someone is using it right now. */
  const show = (control: Row['control'], value: string) => {
    if (root.activeElement !== control && control.value !== value) control.value = value;
  };

  function render(): void {
    scheduled = false;
    if (dialog.hidden) return;
    const forced = model.forced();
    const features = model.features();
    featureTable.caption.textContent = `Features evaluated (${features.size})`;
    for (const [key, result] of features) {
      const row = featureRows.get(key) || featureRows.set(key, featureRow(key, result)).get(key)!;
      const variant = result.experiment && result.experimentResult ? `${result.experiment.key}: ${result.experimentResult.key}` : '—';
      const texts = [key, describeValue(result.value), result.source, result.ruleId || '—', variant];
      texts.forEach((text, index) => {
        if (row.cells[index]!.textContent !== text) row.cells[index]!.textContent = text;
      });
      const isForced = Object.prototype.hasOwnProperty.call(forced.features, key);
      const value = forced.features[key];
      show(row.control, !isForced ? '' : row.control instanceof HTMLSelectElement ? String(value === true) : describeValue(value, Infinity));
    }
    // A feature dropped from the model (a Sixpack experiment's probe) loses its row.
    featureRows.forEach((row, key) => {
      if (!features.has(key)) row.row.remove(), featureRows.delete(key);
    });
    const experiments = model.experiments();
    experimentTable.caption.textContent = `Experiments (${experiments.size})`;
    for (const [key, { experiment, result, via }] of experiments) {
      const row = experimentRows.get(key) || experimentRows.set(key, experimentRow(key, experiment, !!via)).get(key)!;
      const how = via || (result.hashUsed ? `${result.hashAttribute} = ${describeValue(result.hashValue)}` : '—');
      const texts = [key, String(result.variationId), describeValue(result.value), result.inExperiment ? 'yes' : 'no', how];
      texts.forEach((text, index) => {
        if (row.cells[index]!.textContent !== text) row.cells[index]!.textContent = text;
      });
      const index = forced.variations[key];
      show(row.control, index === undefined ? '' : String(index));
    }
  }

  let scheduled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const mount = () => {
    (document.body || document.documentElement).append(host);
    if (options.open) setOpen(true);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });

  return {
    schedule() {
      if (scheduled || dialog.hidden) return;
      scheduled = true;
      timer = setTimeout(render, 0);
    },
    destroy() {
      clearTimeout(timer);
      document.removeEventListener('DOMContentLoaded', mount);
      host.remove();
    },
  };
}
