// /policy (manager): the auto-scaling policy form (checked here as the server
// checks it, src/maskfleet/scaler/policy.cc), pause/resume, and the log of the
// auto-scaler's decisions, refreshed every 5 seconds.

import { byId, checkFields, clearErrorsOnInput, h, replaceChildren, setBusy, setFieldError, setStatus } from '../../common/dom';
import { formatDateTime, plural } from '../../common/format';
import { managerApi } from '../api';
import { actionLabel, decisionReasonText, formatPercent, resizesOnly } from '../format';
import { messageOf, showPageError, startManagerPage } from '../layout';
import { fieldOfMessage, parsePolicyForm, POLICY_FIELDS, validatePolicy, type PolicyField, type PolicyProblem } from '../policy';
import { Poller, REFRESH_MS } from '../poller';
import type { Decision, ScalingPolicy } from '../types';

/** Checks read: at one a minute, about eight hours; the resizes among them are shown. */
const DECISIONS_READ = 500;
/** Rows shown at most. */
const DECISIONS_SHOWN = 50;

class PolicyPage {
  private readonly section = byId('policy-section', HTMLElement);
  private readonly form = byId('policy-form', HTMLFormElement);
  private readonly submit = byId('policy-submit', HTMLButtonElement);
  private readonly resetButton = byId('policy-reset', HTMLButtonElement);
  private readonly status = byId('policy-status', HTMLElement);
  private readonly pausedState = byId('paused-state', HTMLElement);
  private readonly pauseButton = byId('pause-button', HTMLButtonElement);
  private readonly pauseStatus = byId('pause-status', HTMLElement);
  private readonly warnings = byId('policy-warnings', HTMLElement);
  private readonly inputs: Readonly<Record<PolicyField, HTMLInputElement>>;
  /** The policy as the server last answered it. */
  private stored: ScalingPolicy | null = null;

  constructor() {
    const inputs = {} as Record<PolicyField, HTMLInputElement>;
    for (const field of POLICY_FIELDS) inputs[field] = byId(field, HTMLInputElement);
    this.inputs = inputs;
  }

  attach(): void {
    clearErrorsOnInput(this.form, this.status);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.resetButton.addEventListener('click', () => {
      if (this.stored !== null) this.fill(this.stored);
      this.clearErrors();
      setStatus(this.status, '');
    });
    this.pauseButton.addEventListener('click', () => void this.togglePause());
  }

  async load(): Promise<boolean> {
    try {
      this.show(await managerApi.policy());
      this.section.hidden = false;
      return true;
    } catch (error) {
      showPageError(error);
      return false;
    }
  }

  private show(policy: ScalingPolicy): void {
    this.stored = policy;
    this.fill(policy);
    this.showPaused(policy.paused);
    this.showWarnings(policy.warnings ?? []);
  }

  /** The server's warnings on the saved policy, each naming its field. */
  private showWarnings(warnings: readonly { field: string; message: string }[]): void {
    replaceChildren(
      this.warnings,
      ...(warnings.length === 0
        ? [h('li', { className: 'muted' }, 'No warnings: the saved policy passes the three rules below.')]
        : warnings.map((w) => h('li', { className: 'status', attrs: { 'data-kind': 'error', 'data-field': w.field } }, w.message))),
    );
  }

  private fill(policy: ScalingPolicy): void {
    for (const field of POLICY_FIELDS) this.inputs[field].value = String(policy[field]);
  }

  private showPaused(paused: boolean): void {
    this.pausedState.replaceChildren(
      h('span', { className: `badge ${paused ? 'badge-busy' : 'badge-ok'}` }, paused ? 'Paused' : 'Running'),
      ' ',
      paused ? 'The auto-scaler holds the pool as it is.' : 'The auto-scaler acts on the policy.',
    );
    this.pauseButton.textContent = paused ? 'Resume auto-scaling' : 'Pause auto-scaling';
  }

  private clearErrors(): void {
    for (const field of POLICY_FIELDS) setFieldError(this.inputs[field], null);
  }

  /** Marks the fields named by `problems` and says the first one in the form's status. */
  private showProblems(problems: PolicyProblem[]): void {
    const byField = new Map<PolicyField, string>();
    for (const problem of problems) if (problem.field !== null && !byField.has(problem.field)) byField.set(problem.field, problem.message);
    checkFields(POLICY_FIELDS.map((field) => [this.inputs[field], byField.get(field) ?? null]));
    const first = problems[0];
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (${problems.length} problems in all, marked at their fields.)` : '';
      setStatus(this.status, `${first.message}${more}`, 'error');
    }
    if (byField.size === 0) this.submit.focus();
  }

  private async save(): Promise<void> {
    if (this.stored === null) return;
    const values = {} as Record<PolicyField, string>;
    for (const field of POLICY_FIELDS) values[field] = this.inputs[field].value;
    const parsed = parsePolicyForm(values, this.stored.paused);
    if (!parsed.ok) {
      this.showProblems(parsed.problems);
      return;
    }
    const problems = validatePolicy(parsed.policy);
    if (problems.length > 0) {
      this.showProblems(problems);
      return;
    }
    this.clearErrors();
    setBusy(this.submit, true, 'Saving…');
    setStatus(this.status, 'Saving…');
    try {
      this.show(await managerApi.putPolicy(parsed.policy));
      setStatus(this.status, 'Policy saved. The auto-scaler uses it from its next check.', 'success');
    } catch (error) {
      const message = messageOf(error);
      const field = fieldOfMessage(message);
      this.showProblems([{ field, message: `The manager refused the policy: ${message}` }]);
    } finally {
      setBusy(this.submit, false);
    }
  }

  /** PUT the stored policy (not the form's unsaved edits) with `paused` flipped. */
  private async togglePause(): Promise<void> {
    if (this.stored === null) return;
    const paused = !this.stored.paused;
    setBusy(this.pauseButton, true, paused ? 'Pausing…' : 'Resuming…');
    try {
      const answer = await managerApi.putPolicy({ ...this.stored, paused });
      this.stored = answer;
      this.showWarnings(answer.warnings ?? []);
      this.showPaused(answer.paused);
      setStatus(this.pauseStatus, answer.paused ? 'Auto-scaling paused.' : 'Auto-scaling resumed.', 'success');
    } catch (error) {
      setStatus(this.pauseStatus, messageOf(error), 'error');
    } finally {
      setBusy(this.pauseButton, false);
      this.showPaused(this.stored.paused);
    }
  }
}

class DecisionLog {
  private readonly section = byId('decisions-section', HTMLElement);
  private readonly body = byId('decisions-body', HTMLElement);
  private readonly count = byId('decisions-count', HTMLElement);
  private readonly status = byId('decisions-status', HTMLElement);
  private readonly everyCheck = byId('show-every-check', HTMLInputElement);
  private decisions: Decision[] | null = null;
  private failing = false;
  readonly poller = new Poller(() => this.refresh(), REFRESH_MS);

  attach(): void {
    this.everyCheck.addEventListener('change', () => this.render());
  }

  async refresh(): Promise<void> {
    try {
      this.decisions = await managerApi.decisions(DECISIONS_READ);
    } catch (error) {
      setStatus(this.status, `Could not load the decisions: ${messageOf(error)} Retrying every 5 seconds.`, 'error');
      this.failing = true;
      this.section.hidden = false;
      return;
    }
    if (this.failing) {
      setStatus(this.status, '');
      this.failing = false;
    }
    this.section.hidden = false;
    this.render();
  }

  private render(): void {
    if (this.decisions === null) return;
    const every = this.everyCheck.checked;
    const chosen = every ? this.decisions : resizesOnly(this.decisions);
    const shown = chosen.slice(0, DECISIONS_SHOWN);
    const checks = this.decisions.length;
    this.count.textContent = every
      ? `Latest ${plural(shown.length, 'check')}, newest first`
      : `${plural(chosen.length, 'resize')} in the latest ${plural(checks, 'check')}${shown.length < chosen.length ? `, the newest ${shown.length} shown` : ''}`;
    if (shown.length === 0) {
      const none = every || checks === 0 ? 'No decisions yet.' : `No resizes in the latest ${plural(checks, 'check')}: the pool kept its size.`;
      replaceChildren(this.body, h('tr', {}, h('td', { attrs: { colspan: 5 }, className: 'muted' }, none)));
      return;
    }
    replaceChildren(
      this.body,
      ...shown.map((d) =>
        h(
          'tr',
          { attrs: { 'data-action': d.action } },
          h('td', {}, h('time', { attrs: { datetime: d.time } }, formatDateTime(d.time, { seconds: true }))),
          h('td', { className: 'num' }, formatPercent(d.average_cpu)),
          h('td', { className: 'num' }, d.size_before === d.size_after ? String(d.size_after) : `${d.size_before} → ${d.size_after}`),
          h('td', {}, h('span', { className: `badge badge-action-${d.action}` }, actionLabel(d.action))),
          h('td', { className: 'cell-text' }, decisionReasonText(d.reason)),
        ),
      ),
    );
  }
}

export async function init(): Promise<void> {
  const session = await startManagerPage('policy');
  if (session === null) return;
  const page = new PolicyPage();
  page.attach();
  if (!(await page.load())) return;
  const log = new DecisionLog();
  log.attach();
  await log.refresh();
  log.poller.start({ immediately: false });
}
