// @ts-check
/**
 * Draws the beaconhunt HTML report from the JSON document embedded in the page (id "report-data"): the
 * header facts, the findings table with its sorting and filters, and the detail panel of the selected
 * finding with its charts and evidence. Every string from the data is written as a text node or an
 * attribute value, never parsed as markup, so a server name or URI from the logs cannot add elements.
 * Chart.js 4 (UMD build, global `Chart`) is inlined before this script.
 */
(function () {
  'use strict';

  /** @type {any} */
  const ChartJs = /** @type {any} */ (window).Chart;

  const COLORS = {
    text: '#1b1f24',
    muted: '#555d66',
    grid: '#e4e8ec',
    accent: '#1f5fbf',
    band: 'rgba(31, 95, 191, 0.16)',
    multiple: '#8c959f',
    point: 'rgba(27, 31, 36, 0.7)',
    source: '#1f5fbf',
    destination: '#c0541b',
  };

  /** Tick steps of the time axis, in seconds: each is a whole number of UTC minutes, hours or days. */
  const TIME_STEPS_SECONDS = [
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800,
  ];
  /** Maximum ticks on a time axis, so that two-line date labels do not overlap at 600 px. */
  const TIME_TICKS = 8;
  /** The timeline switches to a log scale when its longest gap exceeds the median gap this many times. */
  const LOG_SCALE_RATIO = 20;

  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

  // ---- Formatting ----

  /**
   * Formats epoch milliseconds as UTC date and time.
   * @param {number} ms
   * @returns {{ date: string, time: string, seconds: string }}
   */
  function utcParts(ms) {
    const iso = new Date(ms).toISOString();
    return { date: iso.slice(0, 10), time: iso.slice(11, 16), seconds: iso.slice(11, 19) };
  }

  /** @param {number} ms */
  function formatTime(ms) {
    const parts = utcParts(ms);
    return `${parts.date} ${parts.seconds}`;
  }

  /**
   * Units of durations. A text duration uses the first unit whose `textBelow` exceeds it, and a duration
   * axis the first whose `axisBelow` exceeds the axis maximum, so axes switch units later than text. Every
   * string the page shows for a duration comes from formatDuration or a duration axis, so they agree.
   */
  const DURATION_UNITS = [
    { seconds: 1e-6, name: 'µs', textBelow: 1e-3, axisBelow: 1e-3 },
    { seconds: 1e-3, name: 'ms', textBelow: 1, axisBelow: 1 },
    { seconds: 1, name: 's', textBelow: 120, axisBelow: 600 },
    { seconds: 60, name: 'min', textBelow: 7200, axisBelow: 10_800 },
    { seconds: 3600, name: 'h', textBelow: 172_800, axisBelow: 259_200 },
    { seconds: 86_400, name: 'd', textBelow: Number.POSITIVE_INFINITY, axisBelow: Number.POSITIVE_INFINITY },
  ];

  /**
   * Formats a duration in the largest unit that keeps it readable: µs below 1 ms, ms below 1 s, s below
   * 2 min, min below 2 h, h below 2 d, d beyond. It keeps at least two significant digits, so a jitter of
   * 3 ms beside a period of 104 ms reads "3 ms" and only a zero reads "0 s".
   * @param {number} seconds
   */
  function formatDuration(seconds) {
    if (!Number.isFinite(seconds)) return String(seconds);
    if (seconds === 0) return '0 s';
    const magnitude = Math.abs(seconds);
    const last = DURATION_UNITS.length - 1;
    let index = DURATION_UNITS.findIndex((unit) => magnitude < unit.textBelow);
    for (; index < last; index += 1) {
      const unit = DURATION_UNITS[index];
      const text = durationDigits(seconds / unit.seconds, unit.name);
      // Rounding can reach the next unit (0.9996 s is "1000 ms"), and then that unit writes it ("1 s").
      if (Math.abs(Number(text)) * unit.seconds < unit.textBelow) return `${text} ${unit.name}`;
    }
    const unit = DURATION_UNITS[last];
    return `${durationDigits(seconds / unit.seconds, unit.name)} ${unit.name}`;
  }

  /**
   * Rounds a duration in one unit: two decimals for seconds below 10, one for minutes, hours and days,
   * none for ms and µs, and more wherever that leaves fewer than two significant digits.
   * @param {number} value
   * @param {string} unitName
   */
  function durationDigits(value, unitName) {
    const magnitude = Math.abs(value);
    let decimals = 0;
    if (unitName === 's') decimals = magnitude < 10 ? 2 : 0;
    else if (unitName === 'min' || unitName === 'h' || unitName === 'd') decimals = 1;
    const significant = 1 - Math.floor(Math.log10(magnitude));
    return trimNumber(value, Math.min(20, Math.max(decimals, significant)));
  }

  /**
   * Rounds to `digits` decimals and drops trailing zeros.
   * @param {number} value
   * @param {number} digits
   */
  function trimNumber(value, digits) {
    return String(Number(value.toFixed(digits)));
  }

  /** @param {number} bytes */
  function formatBytes(bytes) {
    if (bytes < 10_000) return `${integerFormat.format(bytes)} B`;
    if (bytes < 10_000_000) return `${trimNumber(bytes / 1000, 1)} kB`;
    return `${trimNumber(bytes / 1_000_000, 1)} MB`;
  }

  /** @param {number} value */
  function formatNumber(value) {
    if (!Number.isFinite(value)) return String(value);
    if (Number.isInteger(value)) return String(value);
    const magnitude = Math.abs(value);
    if (magnitude >= 100) return value.toFixed(1);
    if (magnitude >= 0.001) return String(Number(value.toPrecision(4)));
    return value.toExponential(2);
  }

  /** @param {number} share */
  function formatPercent(share) {
    return `${trimNumber(share * 100, share < 0.01 ? 3 : 1)} %`;
  }

  /**
   * Formats any JSON value as one line of text. The objects of an array are separated by semicolons.
   * @param {unknown} value
   * @returns {string}
   */
  function formatValue(value) {
    if (value === null || value === undefined) return '—';
    if (typeof value === 'number') return formatNumber(value);
    if (typeof value === 'boolean') return value ? 'yes' : 'no';
    if (typeof value === 'string') return value === '' ? '""' : value;
    if (Array.isArray(value)) {
      if (value.length === 0) return 'none';
      if (value.every((entry) => entry === null || typeof entry !== 'object')) {
        return value.map(formatValue).join(', ');
      }
      return value.map(formatValue).join('; ');
    }
    return Object.entries(/** @type {Record<string, unknown>} */ (value))
      .map(([key, entry]) => `${key}: ${formatValue(entry)}`)
      .join(', ');
  }

  /**
   * Formats a JSON value as lines: one per object of an array of objects, else one.
   * @param {unknown} value
   * @returns {string[]}
   */
  function formatLines(value) {
    if (
      Array.isArray(value) &&
      value.length > 0 &&
      value.some((entry) => entry !== null && typeof entry === 'object')
    ) {
      return value.map(formatValue);
    }
    return [formatValue(value)];
  }

  /**
   * Formats a measure by its name: durations for *Seconds, bytes for *Bytes, percentages for *Fraction.
   * @param {string} name
   * @param {unknown} value
   */
  function formatMeasure(name, value) {
    if (typeof value !== 'number') return formatValue(value);
    if (name.endsWith('Seconds')) {
      // The exact value in seconds, and the readable form where it uses another unit (ms, min, h, d).
      const magnitude = Math.abs(value);
      return magnitude >= 120 || (magnitude > 0 && magnitude < 1)
        ? `${formatNumber(value)} s (${formatDuration(value)})`
        : `${formatNumber(value)} s`;
    }
    if (name.endsWith('Bytes')) return `${formatNumber(value)} B`;
    if (name.endsWith('Fraction')) return formatPercent(value);
    return formatNumber(value);
  }

  /** @param {number} minutes */
  function formatUtcOffset(minutes) {
    if (minutes === 0) return 'UTC';
    const sign = minutes > 0 ? '+' : '−';
    const magnitude = Math.abs(minutes);
    const hours = String(Math.floor(magnitude / 60)).padStart(2, '0');
    const rest = String(magnitude % 60).padStart(2, '0');
    return `UTC${sign}${hours}:${rest}`;
  }

  // ---- DOM helpers ----

  /**
   * Characters that a log string can carry but a page must not show raw. These are the C0 controls, DEL
   * and the C1 controls (an ESC shows as an empty box), the bidi marks, embeddings, overrides and
   * isolates (U+202E reverses the rest of its line), and the line and paragraph separators.
   */
  const INVISIBLE_CHARACTERS =
    // eslint-disable-next-line no-control-regex -- the expression exists to find control characters.
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g;

  /**
   * Replaces each invisible or reordering character with a visible escape: `\x1b` for one below U+0100,
   * `\u202e` for the rest. The escapes are plain ASCII, so escaping twice changes nothing.
   * @param {string} text
   */
  function displayText(text) {
    return text.replace(INVISIBLE_CHARACTERS, (character) => {
      const code = character.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    });
  }

  /**
   * Creates an element with attributes and children. Strings become text nodes, so data never turns
   * into markup, and both strings and attribute values pass through displayText, so that no control
   * character reaches the page. Text that must break into lines is passed as several children with
   * `<br>` elements between them (see textLines).
   * @param {string} tag
   * @param {Record<string, string | number | boolean | null | undefined>} [attributes]
   * @param {...(Node | string | null | undefined | false)} children
   * @returns {HTMLElement}
   */
  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? '' : displayText(String(value)));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' ? document.createTextNode(displayText(child)) : child);
    }
    return node;
  }

  /**
   * Builds a span that shows each string on its own line.
   * @param {string[]} lines
   */
  function textLines(lines) {
    const span = element('span');
    lines.forEach((line, index) => {
      if (index > 0) span.append(element('br'));
      span.append(displayText(line));
    });
    return span;
  }

  /**
   * Builds a two-column table of names and values.
   * @param {[string, string | Node][]} rows
   * @param {string} [testId]
   */
  function keyValueTable(rows, testId) {
    const body = element('tbody');
    for (const [name, value] of rows) {
      body.append(
        element(
          'tr',
          {},
          element('th', { scope: 'row' }, element('code', {}, name)),
          element('td', {}, value),
        ),
      );
    }
    return element('table', { class: 'kv', 'data-testid': testId }, body);
  }

  /**
   * Builds a table with a header row.
   * @param {string[]} headers
   * @param {(string | Node)[][]} rows
   * @param {string} [testId]
   */
  function listTable(headers, rows, testId) {
    const head = element('tr', {}, ...headers.map((header) => element('th', { scope: 'col' }, header)));
    const body = element('tbody');
    for (const row of rows) body.append(element('tr', {}, ...row.map((cell) => element('td', {}, cell))));
    return element('table', { class: 'list-table', 'data-testid': testId }, element('thead', {}, head), body);
  }

  /**
   * @param {string} text
   * @param {string} kind
   */
  function badge(text, kind) {
    return element('span', { class: `badge ${kind}` }, text);
  }

  // ---- The document ----

  /**
   * @typedef {{ summary: any, finding: any, hidden: boolean, charts: any, checks: any[] | null }} ReportFinding
   * @typedef {{ item: ReportFinding, index: number, search: string, period: { seconds: number, jitter: number | null } | null }} Row
   */

  /** @type {any} */
  let report;
  try {
    const source = document.getElementById('report-data');
    report = JSON.parse(source ? (source.textContent ?? '') : '');
  } catch (error) {
    showFatal(`The report data could not be read: ${String(error)}`);
    return;
  }
  if (typeof ChartJs !== 'function') {
    showFatal('Chart.js did not load, so the charts cannot be drawn.');
  }

  /** Nouns for one row of a finding's series: a DNS query for dns-tunnel, a connection for the rest. */
  const EVENTS =
    report.detector === 'dns-tunnel'
      ? { one: 'query', many: 'queries', title: 'Queries' }
      : { one: 'connection', many: 'connections', title: 'Connections' };
  /** Detectors that look for a program calling home on a schedule, which the beacon wording fits. */
  const PERIODIC_DETECTORS = new Set(['beacon', 'qradar-t1071']);
  /** Reading of the bytes chart per detector. A detector without an entry gets none. */
  /** @type {Record<string, string>} */
  const BYTES_READINGS = {
    beacon:
      'A beacon that only checks in sends the same few bytes each time; a jump marks a command or a download.',
    'qradar-t1071':
      'A beacon that only checks in sends the same few bytes each time; a jump marks a command or a download.',
    'long-connection':
      'A session that sends far more than it receives may be carrying data out; one that mostly receives may be a download.',
  };

  /** @param {string} message */
  function showFatal(message) {
    document.body.prepend(element('p', { class: 'note warning', role: 'alert' }, message));
  }

  /**
   * Collects every string and number of a value, for the text filter.
   * @param {unknown} value
   * @param {string[]} into
   */
  function collectText(value, into) {
    if (value === null || value === undefined) return into;
    if (typeof value === 'string' || typeof value === 'number') {
      into.push(String(value));
    } else if (Array.isArray(value)) {
      for (const entry of value) collectText(entry, into);
    } else if (typeof value === 'object') {
      for (const entry of Object.values(value)) collectText(entry, into);
    }
    return into;
  }

  /**
   * Returns the period shown in the table: the beacon's fitted period and jitter, or the QRadar rule's
   * mean gap; null for detectors that fit none.
   * @param {ReportFinding} item
   */
  function periodOf(item) {
    const finding = item.finding ?? {};
    const measures = finding.measures;
    if (item.summary.detector === 'beacon' && measures && typeof measures.periodSeconds === 'number') {
      return {
        seconds: measures.periodSeconds,
        jitter: typeof measures.jitterSeconds === 'number' ? measures.jitterSeconds : null,
      };
    }
    if (typeof finding.AvgIntervalMs === 'number')
      return { seconds: finding.AvgIntervalMs / 1000, jitter: null };
    return null;
  }

  /** @type {Row[]} */
  const rows = report.findings.map(
    /**
     * @param {ReportFinding} item
     * @param {number} index
     */
    (item, index) => {
      const strings = collectText([item.summary, item.finding], []);
      const text = strings.join('\n');
      // The filter matches the text as logged and as shown, so that "\u202e" finds an override too.
      const shown = strings.map(displayText).join('\n');
      return {
        item,
        index,
        search: (shown === text ? text : `${text}\n${shown}`).toLowerCase(),
        period: periodOf(item),
      };
    },
  );

  // ---- Table columns ----

  /**
   * @typedef {{
   *   key: string, label: string, numeric?: boolean,
   *   value: (row: Row) => string | number | null,
   *   cell: (row: Row) => (Node | string)[],
   * }} Column
   */

  /** @type {Column[]} */
  const COLUMNS = [
    {
      key: 'rank',
      label: 'Rank',
      numeric: true,
      value: (row) => row.item.summary.rank,
      cell: (row) => [String(row.item.summary.rank)],
    },
    {
      key: 'score',
      label: 'Score',
      numeric: true,
      value: (row) => row.item.summary.score,
      cell: (row) => [row.item.summary.score === null ? '—' : row.item.summary.score.toFixed(3)],
    },
    {
      key: 'alert',
      label: 'Alert',
      value: (row) => (row.item.summary.alert ? 1 : 0),
      cell: (row) => {
        /** @type {(Node | string)[]} */
        const cells = [];
        if (row.item.summary.alert) cells.push(badge('alert', 'alert'));
        if (row.item.hidden) cells.push(' ', badge('hidden', 'hidden'));
        return cells;
      },
    },
    {
      key: 'source',
      label: 'Source',
      value: (row) => row.item.summary.sourceIp,
      cell: (row) => [
        element('span', { class: 'mono', 'data-testid': 'cell-source' }, row.item.summary.sourceIp),
      ],
    },
    {
      key: 'destination',
      label: 'Destination or name',
      value: (row) => row.item.summary.destinationName ?? row.item.summary.destinationIp,
      cell: (row) => {
        const { destinationIp, destinationName } = row.item.summary;
        /** @type {(Node | string)[]} */
        const cells = [
          destinationIp === null
            ? element('span', { 'data-testid': 'cell-destination' }, destinationName ?? '—')
            : element('span', { class: 'mono', 'data-testid': 'cell-destination' }, destinationIp),
        ];
        if (destinationIp !== null && destinationName !== null) {
          cells.push(element('span', { class: 'sub' }, destinationName));
        }
        return cells;
      },
    },
    {
      key: 'port',
      label: 'Port',
      numeric: true,
      value: (row) => row.item.summary.destinationPort,
      cell: (row) => [
        element('span', { 'data-testid': 'cell-port' }, formatValue(row.item.summary.destinationPort)),
      ],
    },
    {
      key: 'connections',
      label: 'Connections',
      numeric: true,
      value: (row) => row.item.summary.count,
      cell: (row) => [row.item.summary.count === null ? '—' : integerFormat.format(row.item.summary.count)],
    },
    {
      key: 'period',
      label: 'Period ± jitter',
      numeric: true,
      value: (row) => (row.period === null ? null : row.period.seconds),
      cell: (row) => {
        if (row.period === null) return ['—'];
        const jitter = row.period.jitter === null ? '' : ` ± ${formatDuration(row.period.jitter)}`;
        return [`${formatDuration(row.period.seconds)}${jitter}`];
      },
    },
    {
      key: 'title',
      label: 'Title',
      value: (row) => row.item.summary.title,
      cell: (row) => [row.item.summary.title],
    },
  ];

  // ---- State ----

  const state = {
    sortKey: 'rank',
    /** 1 for ascending, -1 for descending. */
    sortDirection: 1,
    text: '',
    /** @type {number | null} */
    minScore: null,
    alertsOnly: false,
    showHidden: false,
    /** Index into report.findings of the selected finding, or null. */
    /** @type {number | null} */
    selected: null,
    /** @type {Row[]} */
    visible: [],
  };

  const table = /** @type {HTMLTableElement} */ (document.getElementById('findings-table'));
  const tableBody = /** @type {HTMLTableSectionElement} */ (table.tBodies[0]);
  const tableHead = /** @type {HTMLTableSectionElement} */ (table.tHead);
  const detail = /** @type {HTMLElement} */ (document.getElementById('detail'));
  const rowCount = /** @type {HTMLElement} */ (document.getElementById('row-count'));
  const textInput = /** @type {HTMLInputElement} */ (document.getElementById('filter-text'));
  const minScoreInput = /** @type {HTMLInputElement} */ (document.getElementById('filter-min-score'));
  const alertsInput = /** @type {HTMLInputElement} */ (document.getElementById('filter-alerts'));
  const hiddenInput = /** @type {HTMLInputElement} */ (document.getElementById('filter-hidden'));

  // ---- Header ----

  function renderFacts() {
    const facts = /** @type {HTMLElement} */ (document.getElementById('report-facts'));
    const listedHidden = rows.filter((row) => row.item.hidden).length;
    const input = report.input;
    /** @type {[string, string][]} */
    const entries = [
      ['Tool', `${report.tool.name} ${report.tool.version}`],
      ['Detector', report.detector],
      [
        'Window end',
        report.windowEnd === null ? 'none (no events)' : `${formatTime(Date.parse(report.windowEnd))} UTC`,
      ],
      ['Files', integerFormat.format(input.files)],
      ['Events', integerFormat.format(input.events)],
      ['Skipped lines', integerFormat.format(input.linesSkipped)],
      ['Duplicates dropped', integerFormat.format(input.duplicatesDropped)],
      ['Findings listed', integerFormat.format(rows.length - listedHidden)],
      ['Omitted by --top', integerFormat.format(report.omitted)],
      [
        'Hidden by tuning',
        `${integerFormat.format(report.hiddenTotal)} (${integerFormat.format(listedHidden)} listed)`,
      ],
      ['Generated', `${formatTime(Date.parse(report.generatedAt))} UTC`],
    ];
    for (const [name, value] of entries) {
      facts.append(element('div', {}, element('dt', {}, name), element('dd', {}, value)));
    }
  }

  function renderTableHead() {
    const headRow = element('tr');
    for (const column of COLUMNS) {
      const active = state.sortKey === column.key;
      const direction = state.sortDirection === 1 ? 'ascending' : 'descending';
      let mark = '';
      if (active) mark = state.sortDirection === 1 ? '▲' : '▼';
      const button = element(
        'button',
        {
          type: 'button',
          'data-testid': `sort-${column.key}`,
          title: `Sort by ${column.label.toLowerCase()}`,
        },
        column.label,
        element('span', { class: 'sort-mark', 'aria-hidden': 'true' }, mark),
      );
      button.addEventListener('click', () => {
        if (state.sortKey === column.key) {
          state.sortDirection = -state.sortDirection;
        } else {
          state.sortKey = column.key;
          state.sortDirection = 1;
        }
        renderTableHead();
        renderRows();
      });
      headRow.append(
        element(
          'th',
          {
            scope: 'col',
            class: column.numeric ? 'numeric' : null,
            'aria-sort': active ? direction : 'none',
          },
          button,
        ),
      );
    }
    tableHead.replaceChildren(headRow);
  }

  // ---- Filtering and sorting ----

  /** @param {Row} row */
  function passesFilters(row) {
    const { summary, hidden } = row.item;
    if (hidden && !state.showHidden) return false;
    if (state.alertsOnly && !summary.alert) return false;
    if (state.minScore !== null && (summary.score === null || summary.score < state.minScore)) return false;
    if (state.text !== '') {
      for (const term of state.text.split(/\s+/)) {
        if (term !== '' && !row.search.includes(term)) return false;
      }
    }
    return true;
  }

  /**
   * Orders rows by the sort column; missing values go last in both directions, and rank breaks ties.
   * @param {Row} left
   * @param {Row} right
   */
  function compareRows(left, right) {
    const column = COLUMNS.find((entry) => entry.key === state.sortKey) ?? COLUMNS[0];
    const a = column.value(left);
    const b = column.value(right);
    if (a === null || a === undefined || b === null || b === undefined) {
      if (a === b || ((a === null || a === undefined) && (b === null || b === undefined))) {
        return left.item.summary.rank - right.item.summary.rank;
      }
      return a === null || a === undefined ? 1 : -1;
    }
    const order =
      typeof a === 'number' && typeof b === 'number' ? a - b : collator.compare(String(a), String(b));
    if (order !== 0) return state.sortDirection * order;
    return left.item.summary.rank - right.item.summary.rank;
  }

  /** Describes a report that lists no finding: the detector, the events it read, and what left findings out. */
  function noFindingMessage() {
    const events = `${integerFormat.format(report.input.events)} ${report.input.events === 1 ? 'event' : 'events'}`;
    /** @type {string[]} */
    const reasons = [];
    if (report.hiddenTotal > 0) {
      reasons.push(
        `tuning hid ${integerFormat.format(report.hiddenTotal)} (scan with --show-suppressed to list them)`,
      );
    }
    if (report.omitted > 0) reasons.push(`--top left out ${integerFormat.format(report.omitted)}`);
    if (reasons.length === 0 && report.input.events === 0) {
      return `The ${report.detector} detector found nothing: the scan read no events.`;
    }
    if (reasons.length === 0) return `The ${report.detector} detector found nothing in the ${events} read.`;
    return `The ${report.detector} detector lists no finding from the ${events} read: ${reasons.join(', and ')}.`;
  }

  function renderRows() {
    state.visible = rows.filter(passesFilters).sort(compareRows);
    if (state.selected === null || !state.visible.some((row) => row.index === state.selected)) {
      state.selected = state.visible.length > 0 ? state.visible[0].index : null;
      renderDetail();
    }
    const fragment = document.createDocumentFragment();
    for (const row of state.visible) fragment.append(renderRow(row));
    tableBody.replaceChildren(fragment);
    if (state.visible.length === 0) {
      const message = rows.length === 0 ? noFindingMessage() : 'No finding matches the filters.';
      tableBody.append(
        element(
          'tr',
          {},
          element('td', { colspan: COLUMNS.length, class: 'empty', 'data-testid': 'no-rows' }, message),
        ),
      );
    }
    rowCount.textContent = `Showing ${integerFormat.format(state.visible.length)} of ${integerFormat.format(rows.length)} findings`;
  }

  /** @param {Row} row */
  function renderRow(row) {
    const selected = row.index === state.selected;
    const tr = element('tr', {
      'data-testid': 'finding-row',
      'data-index': row.index,
      'data-rank': row.item.summary.rank,
      'data-score': row.item.summary.score === null ? '' : row.item.summary.score,
      'data-hidden': row.item.hidden ? 'true' : 'false',
      'aria-selected': selected ? 'true' : 'false',
      class: row.item.hidden ? 'hidden-row' : null,
      tabindex: selected ? 0 : -1,
    });
    for (const column of COLUMNS) {
      tr.append(
        element(
          'td',
          {
            class:
              [column.numeric ? 'numeric' : '', column.key === 'title' ? 'title-cell' : '']
                .join(' ')
                .trim() || null,
          },
          ...column.cell(row),
        ),
      );
    }
    tr.addEventListener('click', () => select(row.index, false));
    tr.addEventListener('keydown', (event) => onRowKey(event, row.index));
    return tr;
  }

  /**
   * Moves the selection with the arrow, Home and End keys, and selects with Enter or Space.
   * @param {KeyboardEvent} event
   * @param {number} index
   */
  function onRowKey(event, index) {
    const position = state.visible.findIndex((row) => row.index === index);
    /** @type {number | null} */
    let target = null;
    if (event.key === 'ArrowDown') target = Math.min(state.visible.length - 1, position + 1);
    else if (event.key === 'ArrowUp') target = Math.max(0, position - 1);
    else if (event.key === 'Home') target = 0;
    else if (event.key === 'End') target = state.visible.length - 1;
    else if (event.key === 'Enter' || event.key === ' ') target = position;
    if (target === null || target < 0) return;
    event.preventDefault();
    select(state.visible[target].index, true);
  }

  /**
   * @param {number} index
   * @param {boolean} focus
   */
  function select(index, focus) {
    if (state.selected !== index) {
      state.selected = index;
      renderDetail();
    }
    for (const tr of tableBody.querySelectorAll('tr[data-index]')) {
      const selected = Number(tr.getAttribute('data-index')) === index;
      tr.setAttribute('aria-selected', selected ? 'true' : 'false');
      tr.setAttribute('tabindex', selected ? '0' : '-1');
      if (selected && focus) {
        /** @type {HTMLElement} */ (tr).focus();
        tr.scrollIntoView({ block: 'nearest' });
      }
    }
  }

  // ---- Charts ----

  /** @type {any[]} */
  let charts = [];

  function destroyCharts() {
    for (const chart of charts) chart.destroy();
    charts = [];
  }

  /**
   * Draws the fitted period as a line, its jitter band as a shaded strip, and dashed lines at the
   * multiples of the period where missed beats fall, along the x or y axis of a chart.
   */
  const periodBandPlugin = {
    id: 'periodBand',
    /**
     * @param {any} chart
     * @param {unknown} _args
     * @param {any} options
     */
    beforeDatasetsDraw(chart, _args, options) {
      if (!options || typeof options.seconds !== 'number') return;
      const axis = options.axis === 'x' ? 'x' : 'y';
      const scale = chart.scales[axis];
      const area = chart.chartArea;
      const context = chart.ctx;
      context.save();
      context.beginPath();
      context.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
      context.clip();

      if (options.highSeconds > options.lowSeconds) {
        const from = scale.getPixelForValue(options.lowSeconds);
        const to = scale.getPixelForValue(options.highSeconds);
        context.fillStyle = COLORS.band;
        if (axis === 'x')
          context.fillRect(Math.min(from, to), area.top, Math.abs(to - from), area.bottom - area.top);
        else context.fillRect(area.left, Math.min(from, to), area.right - area.left, Math.abs(to - from));
      }

      /** Boxes of the labels drawn so far, so that the next one moves clear of them. */
      /** @type {{ left: number, top: number, right: number, bottom: number }[]} */
      const placed = [];
      /**
       * Draws a label beside its line: right-aligned above a horizontal line, or at the top right of a
       * vertical one. P, 2P and 3P sit close on a log scale, so a label that would overlap one already
       * drawn moves left past it (horizontal lines) or down below it (vertical lines). A white halo keeps
       * it legible where another line crosses it.
       * @param {{ label: string, pixel: number, color: string }} entry
       */
      const drawLabel = ({ label, pixel, color }) => {
        const width = context.measureText(label).width;
        const height = 11;
        let x = axis === 'x' ? pixel + 3 : area.right - 3 - width;
        let y = axis === 'x' ? area.top + 11 : pixel - 3;
        const overlaps = () =>
          placed.find(
            (box) => x < box.right + 2 && x + width > box.left - 2 && y - height < box.bottom && y > box.top,
          );
        for (let box = overlaps(); box !== undefined; box = overlaps()) {
          if (axis === 'x') y = box.bottom + height + 1;
          else x = box.left - 6 - width;
        }
        context.textAlign = 'left';
        context.lineWidth = 3;
        context.strokeStyle = '#fff';
        context.strokeText(label, x, y);
        context.fillStyle = color;
        context.fillText(label, x, y);
        placed.push({ left: x, top: y - height, right: x + width, bottom: y });
      };

      /** Labels of the drawn lines. They are drawn after every line, so that no line crosses one. */
      /** @type {{ label: string, pixel: number, color: string }[]} */
      const labels = [];

      /**
       * @param {number} value
       * @param {string} color
       * @param {number[]} dash
       * @param {string} label
       */
      const drawLine = (value, color, dash, label) => {
        if (value < scale.min || value > scale.max) return;
        const pixel = scale.getPixelForValue(value);
        context.strokeStyle = color;
        context.lineWidth = 1.5;
        context.setLineDash(dash);
        context.beginPath();
        if (axis === 'x') {
          context.moveTo(pixel, area.top);
          context.lineTo(pixel, area.bottom);
        } else {
          context.moveTo(area.left, pixel);
          context.lineTo(area.right, pixel);
        }
        context.stroke();
        context.setLineDash([]);
        labels.push({ label, pixel, color });
      };

      drawLine(options.seconds, COLORS.accent, [], 'P');
      for (const multiple of [2, 3]) {
        drawLine(options.seconds * multiple, COLORS.multiple, [5, 4], `${multiple}P`);
      }
      context.font = '11px system-ui, sans-serif';
      for (const entry of labels) drawLabel(entry);
      context.restore();
    },
  };

  /**
   * Chooses a tick step for a time axis from TIME_STEPS_SECONDS, in milliseconds.
   * @param {number} spanMs
   */
  function timeStep(spanMs) {
    for (const seconds of TIME_STEPS_SECONDS) {
      if (spanMs / (seconds * 1000) <= TIME_TICKS) return seconds * 1000;
    }
    return Math.ceil(spanMs / TIME_TICKS / 86_400_000) * 86_400_000;
  }

  /**
   * Returns a linear x axis whose ticks fall on whole UTC minutes, hours or days and read as UTC time,
   * with the date under the first tick and under each tick where the date changes.
   * @param {number[]} times
   */
  function timeAxis(times) {
    const min = Math.min(...times);
    const max = Math.max(...times);
    const step = timeStep(Math.max(max - min, 1000));
    const low = Math.floor(min / step) * step;
    const high = Math.max(Math.ceil(max / step) * step, low + step);
    return {
      type: 'linear',
      min: low,
      max: high,
      title: { display: true, text: 'time (UTC)', color: COLORS.muted },
      grid: { color: COLORS.grid },
      ticks: {
        stepSize: step,
        maxRotation: 0,
        color: COLORS.text,
        /**
         * @param {number} value
         * @param {number} index
         * @param {{ value: number }[]} ticks
         */
        callback(value, index, ticks) {
          const parts = utcParts(value);
          const time = step < 60_000 ? parts.seconds : parts.time;
          if (step >= 86_400_000) return parts.date;
          const previous = index > 0 && ticks[index - 1] ? utcParts(ticks[index - 1].value).date : null;
          return previous === parts.date ? time : [time, parts.date];
        },
      },
    };
  }

  /**
   * Returns a linear duration axis for values up to `maxSeconds`: about six ticks at 1, 2 or 5 times a
   * power of ten of one unit, all labelled in that unit. The axis ends at the first tick at or above
   * `maxSeconds`, unless the caller sets its own `max`. The ticks replace the ones Chart.js builds.
   * Chart.js 4.6 spreads ticks evenly between a fixed min and max whenever their span is within a
   * rounding margin of a whole number of steps, and that puts them at values such as 4.685 min.
   * @param {string} label
   * @param {number} maxSeconds
   */
  function durationAxis(label, maxSeconds) {
    const unit =
      DURATION_UNITS.find((entry) => maxSeconds < entry.axisBelow) ??
      DURATION_UNITS[DURATION_UNITS.length - 1];
    const raw = Math.max(maxSeconds, 1e-6) / unit.seconds / 6;
    const power = 10 ** Math.floor(Math.log10(raw));
    const multiple = [1, 2, 5, 10].find((candidate) => candidate * power >= raw) ?? 10;
    const step = multiple * power * unit.seconds;
    return {
      ...valueAxis(label),
      type: 'linear',
      max: Math.max(1, Math.ceil(maxSeconds / step)) * step,
      ticks: {
        color: COLORS.text,
        maxRotation: 0,
        callback: (/** @type {number} */ value) => `${trimNumber(value / unit.seconds, 3)} ${unit.name}`,
      },
      /** @param {any} scale */
      afterBuildTicks(scale) {
        const ticks = [];
        // A margin of a millionth of a step keeps a tick that rounding puts just past the maximum.
        for (
          let value = Math.ceil(scale.min / step) * step;
          value <= scale.max + step * 1e-6;
          value += step
        ) {
          ticks.push({ value });
        }
        scale.ticks = ticks;
      },
    };
  }

  /**
   * Ticks of a logarithmic duration axis, in seconds: powers of ten below a minute, then the minute,
   * hour, day, week, month and year multiples that an analyst reads at a glance.
   */
  const LOG_TICK_SECONDS = [
    1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 60, 600, 3600, 21_600, 86_400, 604_800, 2_592_000, 7_776_000,
    31_536_000,
  ];
  /** Maximum labelled ticks on a 280 px logarithmic axis, about 20 px apart. */
  const MAX_LOG_TICKS = 12;

  /**
   * Returns a logarithmic duration axis from the LOG_TICK_SECONDS tick at or below `minSeconds` to the
   * one at or above `maxSeconds`, so the longest gap is inside the axis and under a labelled tick.
   * Chart.js's own ticks would fall on powers of ten of seconds (16.7 min, 11.6 d) and end below the
   * largest value.
   * @param {string} label
   * @param {number} minSeconds
   * @param {number} maxSeconds
   */
  function logDurationAxis(label, minSeconds, maxSeconds) {
    let low = LOG_TICK_SECONDS[0];
    for (const tick of LOG_TICK_SECONDS) if (tick <= minSeconds) low = tick;
    if (minSeconds < low) low = 10 ** Math.floor(Math.log10(minSeconds));
    const year = LOG_TICK_SECONDS[LOG_TICK_SECONDS.length - 1];
    const high = LOG_TICK_SECONDS.find((tick) => tick >= maxSeconds) ?? Math.ceil(maxSeconds / year) * year;
    let values = LOG_TICK_SECONDS.filter((tick) => tick > low && tick < high);
    values = [low, ...values, high];
    // Dropping every other tick, counted from the top, keeps the maximum labelled.
    while (values.length > MAX_LOG_TICKS) {
      const count = values.length;
      values = values.filter((_, index) => (count - 1 - index) % 2 === 0);
    }
    return {
      ...valueAxis(label),
      type: 'logarithmic',
      min: low,
      max: high,
      ticks: {
        color: COLORS.text,
        callback: (/** @type {number} */ value) => formatDuration(value),
      },
      /** @param {any} scale */
      afterBuildTicks(scale) {
        scale.ticks = values.map((value) => ({ value }));
      },
    };
  }

  /** @param {string} label */
  function valueAxis(label) {
    return {
      title: { display: true, text: label, color: COLORS.muted },
      grid: { color: COLORS.grid },
      ticks: { color: COLORS.text },
    };
  }

  /**
   * Creates a chart on `canvas` and keeps it for destroyCharts.
   * @param {HTMLCanvasElement} canvas
   * @param {any} config
   */
  function createChart(canvas, config) {
    if (typeof ChartJs !== 'function') return;
    config.options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      ...config.options,
    };
    charts.push(new ChartJs(canvas, config));
  }

  /**
   * @param {string} testId
   * @param {string} label
   */
  function chartCanvas(testId, label) {
    return /** @type {HTMLCanvasElement} */ (
      element('canvas', { 'data-testid': testId, role: 'img', 'aria-label': label })
    );
  }

  /**
   * @param {string} title
   * @param {HTMLElement} body
   * @param {(HTMLElement | null)[]} notes
   * @param {boolean} wide
   */
  function chartBox(title, body, notes, wide) {
    return element(
      'section',
      { class: wide ? 'chart-box wide' : 'chart-box' },
      element('h3', {}, title),
      body,
      ...notes,
    );
  }

  /**
   * @param {string} text
   * @param {string} [kind]
   */
  function note(text, kind) {
    return element('p', { class: kind === undefined ? 'note' : `note ${kind}` }, text);
  }

  /**
   * Describes the period line and band. The band's label is shown only when it is the beacon
   * detector's jitter reason: the other labels repeat the period with numbers rounded to 0.1 s, which
   * reads "period 0.1 s ± 0 s" for a 104 ms beacon.
   * @param {any} period
   * @param {any} finding
   */
  function periodNote(period, finding) {
    if (period === null) return note('The detector fits no period to this finding, so no band is drawn.');
    const band =
      period.highSeconds > period.lowSeconds
        ? `; shaded band ${formatDuration(period.lowSeconds)} to ${formatDuration(period.highSeconds)}`
        : '';
    const reason =
      finding && finding.jitter && finding.jitter.reason === period.label ? ` (${period.label})` : '';
    const name = report.detector === 'qradar-t1071' ? 'mean gap' : 'period';
    return note(
      `Line P: ${name} ${formatDuration(period.seconds)}${band}${reason}. Dashed: 2P and 3P, where missed beats fall.`,
    );
  }

  /**
   * @param {any} chartsData
   * @param {any} finding
   * @returns {HTMLElement}
   */
  function timelineBox(chartsData, finding) {
    const { times, gapsSeconds } = chartsData.timeline;
    /** @type {{ x: number, y: number }[]} */
    const points = [];
    for (let index = 0; index < times.length; index += 1) {
      const gap = gapsSeconds[index];
      if (gap !== null && gap !== undefined) points.push({ x: times[index], y: gap });
    }
    const title = `Timeline: gap before each ${EVENTS.one}`;
    const notes = [periodNote(chartsData.period, finding)];
    if (chartsData.connections > times.length) {
      notes.push(
        note(
          `Shows ${integerFormat.format(times.length)} of ${integerFormat.format(chartsData.connections)} ${EVENTS.many}, evenly spaced through the series.`,
        ),
      );
    }
    if (points.length === 0) return chartBox(title, noGapsNote(chartsData), [], true);
    const sorted = points.map((point) => point.y).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    // The thinned timeline can miss the longest gap, but the axis still reaches it, because the
    // histogram's note reports it.
    const longest = Math.max(sorted[sorted.length - 1], chartsData.gaps.maxSeconds);
    const logarithmic = sorted[0] > 0 && longest > LOG_SCALE_RATIO * median;
    if (logarithmic)
      notes.push(
        note(`The gap axis is logarithmic: the longest gap is over ${LOG_SCALE_RATIO} times the median.`),
      );

    const canvas = chartCanvas('chart-timeline', `Each ${EVENTS.one} at its time, with the gap before it`);
    const area = element('div', { class: 'chart-area tall' }, canvas);
    const box = chartBox(title, area, notes, true);

    pendingCharts.push(() =>
      createChart(canvas, {
        type: 'scatter',
        data: {
          datasets: [
            {
              label: `gap before ${EVENTS.one}`,
              data: points,
              // Points may reach 4 px past the chart area, so one on the axis maximum is drawn whole.
              clip: 4,
              pointRadius: 2,
              pointHoverRadius: 4,
              backgroundColor: COLORS.point,
              borderColor: COLORS.point,
            },
          ],
        },
        options: {
          plugins: {
            legend: { display: false },
            periodBand: chartsData.period === null ? false : { axis: 'y', ...chartsData.period },
            tooltip: {
              callbacks: {
                /** @param {any} context */
                label: (context) =>
                  `${formatTime(context.parsed.x)} UTC: gap ${formatDuration(context.parsed.y)}`,
              },
            },
          },
          scales: {
            x: timeAxis(points.map((point) => point.x)),
            y: logarithmic
              ? logDurationAxis('gap before (log scale)', sorted[0], longest)
              : { ...durationAxis('gap before', longest), min: 0 },
          },
        },
        plugins: [periodBandPlugin],
      }),
    );
    return box;
  }

  /** @param {any} chartsData */
  function histogramBox(chartsData) {
    const histogram = chartsData.gaps;
    const period = chartsData.period;
    const top = histogram.fromSeconds + histogram.counts.length * histogram.binSeconds;
    const points = histogram.counts.map(
      /**
       * @param {number} count
       * @param {number} index
       */
      (count, index) => ({ x: histogram.fromSeconds + (index + 0.5) * histogram.binSeconds, y: count }),
    );

    /** @type {HTMLElement[]} */
    const notes = [
      note(
        `${histogram.counts.length} bins of ${formatDuration(histogram.binSeconds)}.` +
          (period !== null && period.highSeconds > period.lowSeconds
            ? ' The shaded band is the jitter the detector allows around period P; bars near 2P and 3P are missed beats.'
            : ''),
      ),
    ];
    if (histogram.overflow > 0) {
      notes.push(
        note(
          `${histogram.overflow} ${histogram.overflow === 1 ? 'gap is' : 'gaps are'} longer than ${formatDuration(top)}, beyond the last bin (longest ${formatDuration(histogram.maxSeconds)}).`,
          'warning',
        ),
      );
    }
    if (chartsData.rows > chartsData.loadedRows) {
      notes.push(
        note(
          `The charts use the newest ${integerFormat.format(chartsData.loadedRows)} of ${integerFormat.format(chartsData.rows)} rows; older rows were not loaded.`,
          'warning',
        ),
      );
    }

    const canvas = chartCanvas('chart-gaps', `Histogram of the gaps between ${EVENTS.many}`);
    const box = chartBox(
      `Gaps between ${EVENTS.many}`,
      element('div', { class: 'chart-area' }, canvas),
      notes,
      false,
    );

    pendingCharts.push(() =>
      createChart(canvas, {
        type: 'bar',
        data: {
          datasets: [
            {
              label: 'gaps',
              data: points,
              backgroundColor: 'rgba(27, 31, 36, 0.55)',
              borderWidth: 0,
              barPercentage: 1,
              categoryPercentage: 0.92,
            },
          ],
        },
        options: {
          plugins: {
            legend: { display: false },
            periodBand: chartsData.period === null ? false : { axis: 'x', ...chartsData.period },
            tooltip: {
              callbacks: {
                /** @param {any[]} items */
                title: (items) => {
                  const from = items[0].parsed.x - histogram.binSeconds / 2;
                  return `${formatDuration(from)} to ${formatDuration(from + histogram.binSeconds)}`;
                },
                /** @param {any} context */
                label: (context) => `${context.parsed.y} gaps`,
              },
            },
          },
          scales: {
            x: {
              ...durationAxis('gap', top),
              min: histogram.fromSeconds,
              max: top,
              // A bar chart offsets its index axis and grid by half a category unless `offset` is false.
              offset: false,
              grid: { color: COLORS.grid, offset: false },
            },
            y: { ...valueAxis('gaps'), beginAtZero: true, ticks: { color: COLORS.text, precision: 0 } },
          },
        },
        plugins: [periodBandPlugin],
      }),
    );
    return box;
  }

  /** @param {any} chartsData */
  function hourStripBox(chartsData) {
    /** @type {number[]} */
    const hours = chartsData.hours;
    const max = Math.max(1, ...hours);
    const zone = formatUtcOffset(chartsData.utcOffsetMinutes);
    const strip = element('div', {
      class: 'hour-strip',
      'data-testid': 'hour-strip',
      role: 'img',
      'aria-label': `${EVENTS.title} per hour of day, ${zone}`,
    });
    hours.forEach((count, hour) => {
      const share = count / max;
      const cell = element(
        'div',
        {
          class: 'hour-cell',
          'data-hour': hour,
          'data-count': count,
          title: `${String(hour).padStart(2, '0')}:00–${String(hour).padStart(2, '0')}:59 ${zone}: ${count} ${count === 1 ? EVENTS.one : EVENTS.many}`,
        },
        count > 0 ? String(count) : '',
      );
      // Opacity 0.08 keeps a cell with one connection visible beside a busy hour.
      const alpha = count === 0 ? 0 : 0.08 + 0.92 * share;
      cell.style.backgroundColor = `rgba(31, 95, 191, ${alpha.toFixed(3)})`;
      cell.style.color = alpha > 0.5 ? '#fff' : COLORS.text;
      strip.append(cell);
    });
    for (let hour = 0; hour < 24; hour += 1) {
      strip.append(element('div', { class: 'hour-label' }, String(hour).padStart(2, '0')));
    }
    return chartBox(
      `${EVENTS.title} per hour of day (${zone})`,
      strip,
      [
        note(
          `Hours in ${zone}; darker cells had more ${EVENTS.many}.` +
            (PERIODIC_DETECTORS.has(report.detector)
              ? ' A program polls around the clock; a person works in office hours.'
              : ''),
        ),
      ],
      true,
    );
  }

  /** @param {any} chartsData */
  function sizesBox(chartsData) {
    const { times, sourceBytes, destinationBytes } = chartsData.sizes;
    /**
     * @param {(number | null)[]} values
     * @returns {{ x: number, y: number }[]}
     */
    const series = (values) => {
      const points = [];
      for (let index = 0; index < times.length; index += 1) {
        const value = values[index];
        if (value !== null && value !== undefined) points.push({ x: times[index], y: value });
      }
      return points;
    };
    const sent = series(sourceBytes);
    const received = series(destinationBytes);
    const notes = [];
    if (chartsData.loadedRows > times.length) {
      notes.push(
        note(
          `Shows ${integerFormat.format(times.length)} of ${integerFormat.format(chartsData.loadedRows)} rows, evenly spaced through the series.`,
        ),
      );
    }
    if (sent.length === 0 && received.length === 0) {
      return chartBox(
        `Bytes per ${EVENTS.one}`,
        note('The rows carry no byte counts (DNS queries, or a log without sizes).'),
        notes,
        false,
      );
    }
    const reading = BYTES_READINGS[report.detector];
    if (reading !== undefined) notes.push(note(reading));

    const canvas = chartCanvas('chart-sizes', 'Bytes sent by the source and by the destination over time');
    const box = chartBox(
      `Bytes per ${EVENTS.one}`,
      element('div', { class: 'chart-area' }, canvas),
      notes,
      false,
    );

    pendingCharts.push(() =>
      createChart(canvas, {
        type: 'scatter',
        data: {
          datasets: [
            {
              label: 'sent by source',
              data: sent,
              pointRadius: 2,
              backgroundColor: COLORS.source,
              borderColor: COLORS.source,
            },
            {
              label: 'sent by destination',
              data: received,
              pointRadius: 2,
              pointStyle: 'triangle',
              backgroundColor: COLORS.destination,
              borderColor: COLORS.destination,
            },
          ],
        },
        options: {
          plugins: {
            legend: {
              display: true,
              labels: { color: COLORS.text, usePointStyle: true, boxWidth: 8, boxHeight: 8 },
            },
            tooltip: {
              callbacks: {
                /** @param {any} context */
                label: (context) =>
                  `${context.dataset.label}, ${formatTime(context.parsed.x)} UTC: ${formatBytes(context.parsed.y)}`,
              },
            },
          },
          scales: {
            x: timeAxis(times),
            y: {
              ...valueAxis('bytes'),
              beginAtZero: true,
              ticks: { color: COLORS.text, callback: (/** @type {number} */ value) => formatBytes(value) },
            },
          },
        },
      }),
    );
    return box;
  }

  /**
   * Box that takes the place of the gap histogram when there are fewer than two start times.
   * @param {any} chartsData
   */
  function noGapsBox(chartsData) {
    return chartBox(`Gaps between ${EVENTS.many}`, noGapsNote(chartsData), [], false);
  }

  /**
   * Explains why a finding has no gaps: one start time, or none loaded.
   * @param {any} chartsData
   */
  function noGapsNote(chartsData) {
    let text = `No ${EVENTS.one} times were loaded: no gaps to chart.`;
    if (chartsData.connections === 1) {
      const together =
        chartsData.loadedRows > 1
          ? ` (${integerFormat.format(chartsData.loadedRows)} rows, all at the same start time)`
          : '';
      text = `One ${EVENTS.one}${together}: no gaps to chart.`;
    }
    return element('p', { class: 'note', 'data-testid': 'no-gaps' }, text);
  }

  /** Chart constructors to run once their canvases are in the document and have a size. */
  /** @type {(() => void)[]} */
  let pendingCharts = [];

  // ---- Evidence ----

  /**
   * @param {string} title
   * @param {(Node | string | null)[]} content
   * @param {boolean} [wide]
   */
  function evidenceSection(title, content, wide) {
    return element('section', { class: wide ? 'wide' : null }, element('h3', {}, title), ...content);
  }

  /** @param {any} finding */
  function keysSection(finding) {
    if (typeof finding.key !== 'string' || typeof finding.label !== 'string') return null;
    /** @type {(Node | string)[]} */
    const content = [
      keyValueTable(
        [
          ['key', finding.key],
          ['label', finding.label],
        ],
        'evidence-keys',
      ),
    ];
    if (Array.isArray(finding.otherKeys) && finding.otherKeys.length > 0) {
      content.push(
        element('p', { class: 'note' }, 'The same beacon under other keys:'),
        listTable(
          ['key', 'label', 'score', 'connections', 'period'],
          finding.otherKeys.map(
            /** @param {any} other */
            (other) => [
              other.key,
              other.label,
              formatNumber(other.score),
              formatValue(other.connections),
              formatDuration(other.periodSeconds),
            ],
          ),
          'evidence-other-keys',
        ),
      );
    } else {
      content.push(note('No other key (address, server name, domain) carries this beacon.'));
    }
    return evidenceSection('Keys', content);
  }

  /** @param {any} parts */
  function partsSection(parts) {
    if (!parts || typeof parts !== 'object') return null;
    /** @type {[string, string | Node][]} */
    const entries = Object.entries(parts).map(([name, value]) => {
      if (typeof value !== 'number') return [name, formatValue(value)];
      const bar = element('span', { class: 'part-bar', 'aria-hidden': 'true' });
      bar.style.width = `${Math.max(0, Math.min(1, value)) * 6}rem`;
      return [name, element('span', {}, element('span', { class: 'part-value' }, formatNumber(value)), bar)];
    });
    return evidenceSection('Score parts', [keyValueTable(entries, 'evidence-parts')]);
  }

  /** @param {any} measures */
  function measuresSection(measures) {
    if (!measures || typeof measures !== 'object') return null;
    /** @type {[string, string][]} */
    const entries = Object.entries(measures).map(([name, value]) => [name, formatMeasure(name, value)]);
    return evidenceSection('Measures', [keyValueTable(entries, 'evidence-measures')]);
  }

  /** @param {any} context */
  function contextSection(context) {
    if (!context || typeof context !== 'object') return null;
    /** @type {[string, string | Node][]} */
    const entries = [];
    const prevalence = context.prevalence;
    if (prevalence) {
      entries.push([
        'prevalence',
        `${integerFormat.format(prevalence.sources)} of ${integerFormat.format(prevalence.ofSources)} ${prevalence.scope} sources (${formatPercent(prevalence.share)}) contact the destination`,
      ]);
    }
    if ('firstSeen' in context) {
      const first = context.firstSeen;
      entries.push([
        'first seen',
        first === null
          ? 'no earlier event to the destination in the store'
          : `${formatTime(first.epochMs)} UTC, ${formatNumber(first.daysBeforeWindowEnd)} days before the window end, ${formatNumber(first.daysAfterStoreStart)} days after the store's first event`,
      ]);
    }
    if (Array.isArray(context.intel)) {
      entries.push([
        'intel',
        context.intel.length === 0
          ? 'no match in the intel lists'
          : listTable(
              ['list', 'entry', 'matched'],
              context.intel.map(/** @param {any} hit */ (hit) => [hit.list, hit.entry, hit.matched]),
              'evidence-intel',
            ),
      ]);
    }
    if (Array.isArray(context.indicators)) {
      entries.push([
        'indicators',
        context.indicators.length === 0
          ? 'none'
          : listTable(
              ['indicator', 'detail', 'weight'],
              context.indicators.map(
                /** @param {any} indicator */ (indicator) => [
                  indicator.id,
                  indicator.detail,
                  formatNumber(indicator.weight),
                ],
              ),
              'evidence-indicators',
            ),
      ]);
    }
    if (typeof context.factor === 'number')
      entries.push(['factor', `× ${formatNumber(context.factor)} on the score`]);
    if (context.parts && typeof context.parts === 'object') {
      entries.push([
        'factor parts',
        Object.entries(context.parts)
          .map(([name, value]) => `${name} × ${formatValue(value)}`)
          .join(', '),
      ]);
    }
    return evidenceSection('Context', [keyValueTable(entries, 'evidence-context')]);
  }

  /** @param {ReportFinding} item */
  function suppressionSection(item) {
    /** @type {(Node | string)[]} */
    const content = [];
    const suppression = item.finding.suppression;
    if (suppression && typeof suppression === 'object') {
      content.push(
        keyValueTable(
          [
            ['rule', suppression.rule ?? '—'],
            ['reason', suppression.reason ?? '—'],
            ['matched', suppression.matched ?? '—'],
          ],
          'evidence-suppression',
        ),
      );
    } else if (item.hidden) {
      content.push(note('Hidden by tuning; the finding records no rule.'));
    } else if (item.checks !== null) {
      content.push(note('No tuning rule hid this finding.'));
    }
    if (item.checks === null) {
      content.push(note('Tuning did not run on this finding, so no rule was checked.'));
    } else if (item.checks.length === 0) {
      content.push(note('The tuning has no rules.'));
    } else {
      content.push(
        listTable(
          ['rule', 'outcome', 'detail'],
          item.checks.map((check) => [check.rule, badge(check.outcome, check.outcome), check.detail]),
          'evidence-checks',
        ),
      );
    }
    return evidenceSection('Suppression and tuning checks', content, true);
  }

  /** Finding fields that the sections above show. */
  const SHOWN_FIELDS = new Set([
    'why',
    'measures',
    'parts',
    'context',
    'suppression',
    'key',
    'label',
    'otherKeys',
  ]);

  /**
   * Flattens nested objects into dotted names; arrays stay whole.
   * @param {Record<string, unknown>} value
   * @param {string} prefix
   * @param {[string, string | Node][]} into
   */
  function flattenFields(value, prefix, into) {
    for (const [name, entry] of Object.entries(value)) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
        flattenFields(/** @type {Record<string, unknown>} */ (entry), path, into);
      } else {
        const lines = formatLines(entry);
        into.push([path, lines.length === 1 ? lines[0] : textLines(lines)]);
      }
    }
    return into;
  }

  /** @param {any} finding */
  function fieldsSection(finding) {
    /** @type {Record<string, unknown>} */
    const rest = {};
    for (const [name, value] of Object.entries(finding)) if (!SHOWN_FIELDS.has(name)) rest[name] = value;
    const table = keyValueTable(flattenFields(rest, '', []), 'evidence-fields');
    table.classList.add('fields');
    return evidenceSection('All fields of the finding', [table], true);
  }

  // ---- Detail panel ----

  /**
   * Builds the title, the meta line and the "why" list of a finding.
   * @param {ReportFinding} item
   * @returns {Node[]}
   */
  function detailHeader(item) {
    const { summary, hidden } = item;
    const meta = [
      `rank ${summary.rank}`,
      summary.score === null ? 'no score' : `score ${summary.score.toFixed(3)}`,
      `${summary.technique.uid} ${summary.technique.name}`,
      `${formatTime(summary.firstSeenMs)} to ${formatTime(summary.lastSeenMs)} UTC`,
    ].join(' · ');
    const metaLine = element('p', { class: 'detail-meta' });
    if (summary.alert) metaLine.append(badge('alert', 'alert'), ' ');
    if (hidden) metaLine.append(badge('hidden by tuning', 'hidden'), ' ');
    metaLine.append(displayText(meta));

    return [
      element('h2', { class: 'detail-title', 'data-testid': 'detail-title' }, summary.title),
      metaLine,
      element(
        'ul',
        { class: 'why', 'data-testid': 'detail-why' },
        ...summary.why.map((/** @type {string} */ reason) => element('li', {}, reason)),
      ),
    ];
  }

  /** @param {ReportFinding} item */
  function evidencePanel(item) {
    const evidence = element('div', { class: 'evidence', 'data-testid': 'evidence' });
    for (const section of [
      keysSection(item.finding),
      partsSection(item.finding.parts),
      measuresSection(item.finding.measures),
      contextSection(item.finding.context),
      suppressionSection(item),
      fieldsSection(item.finding),
    ]) {
      if (section !== null) evidence.append(section);
    }
    return evidence;
  }

  function renderDetail() {
    destroyCharts();
    pendingCharts = [];
    const row = rows.find((entry) => entry.index === state.selected);
    if (row === undefined) {
      const message =
        rows.length === 0
          ? 'No finding to show.'
          : 'No finding selected. Change the filters to list findings.';
      detail.replaceChildren(element('p', { class: 'empty', 'data-testid': 'detail-empty' }, message));
      detail.removeAttribute('data-index');
      return;
    }

    const chartsData = row.item.charts;
    const parts = detailHeader(row.item);
    if (chartsData === null) {
      parts.push(note('The scan loaded no rows for this finding, so there are no charts.'));
    } else {
      // With fewer than two start times there is no gap, so one note replaces the timeline and histogram.
      const chartBoxes =
        chartsData.connections < 2
          ? [noGapsBox(chartsData), sizesBox(chartsData), hourStripBox(chartsData)]
          : [
              timelineBox(chartsData, row.item.finding),
              histogramBox(chartsData),
              sizesBox(chartsData),
              hourStripBox(chartsData),
            ];
      parts.push(element('div', { class: 'charts' }, ...chartBoxes));
    }
    parts.push(element('h2', { class: 'evidence-heading' }, 'Evidence'), evidencePanel(row.item));

    detail.replaceChildren(...parts);
    detail.setAttribute('data-index', String(row.index));
    // Chart.js sizes each chart from its canvas's container, so the charts are created only now that
    // the panel is in the document.
    for (const create of pendingCharts) create();
    pendingCharts = [];
  }

  // ---- Controls ----

  textInput.addEventListener('input', () => {
    state.text = textInput.value.trim().toLowerCase();
    renderRows();
  });
  minScoreInput.addEventListener('input', () => {
    const value = Number.parseFloat(minScoreInput.value);
    state.minScore = Number.isFinite(value) ? value : null;
    renderRows();
  });
  alertsInput.addEventListener('change', () => {
    state.alertsOnly = alertsInput.checked;
    renderRows();
  });
  hiddenInput.addEventListener('change', () => {
    state.showHidden = hiddenInput.checked;
    renderRows();
  });
  if (!rows.some((row) => row.item.summary.score !== null)) {
    minScoreInput.disabled = true;
    minScoreInput.title = displayText(`The ${report.detector} detector gives no score`);
  }
  if (!rows.some((row) => row.item.hidden)) {
    hiddenInput.disabled = true;
    hiddenInput.title = 'No finding hidden by tuning is listed';
  }

  // Form controls keep their values when a page is reloaded; read them rather than assume defaults.
  state.text = textInput.value.trim().toLowerCase();
  state.alertsOnly = alertsInput.checked;
  state.showHidden = hiddenInput.checked;

  renderFacts();
  renderTableHead();
  renderRows();
  document.body.setAttribute('data-ready', 'true');
})();
