import path from 'node:path';
import type { Command } from 'commander';
import { applyManifests } from '../../controlplane/manifests/apply-manifests.js';
import { decide, type DecisionRequest } from '../../policy/decide.js';
import { explainDecision } from '../../policy/explain.js';
import { dataOption, withStore } from '../data-option.js';
import { loadValidFolder } from '../load-snapshot.js';
import { printLines } from '../output.js';
import { packageRoot } from '../package-root.js';

/** Representative calls of the example fleet, each showing one thing the policy engine does. */
const TOUR: { title: string; request: DecisionRequest }[] = [
  {
    title: 'The support bot reads the customer of its current ticket',
    request: { agent: 'support-bot', method: 'GET', path: '/crm/customers/C-1001', context: { customer: 'C-1001', ticket: 'T-77' }, region: 'eu' },
  },
  {
    title: 'A prompt-injected support bot tries another customer',
    request: { agent: 'support-bot', method: 'GET', path: '/crm/customers/C-2002', context: { customer: 'C-1001', ticket: 'T-77' }, region: 'eu' },
  },
  {
    title: 'The support bot reaches for HR data (forbidden) and is told what it may use',
    request: { agent: 'support-bot', method: 'GET', path: '/hr/employees/E-7', region: 'eu' },
  },
  {
    title: 'The analyst asks for 120 days of transactions (grants allow 90)',
    request: { agent: 'finance-analyst', method: 'GET', path: '/finance/transactions', query: { from: '2026-01-01', to: '2026-05-01' } },
  },
  {
    title: 'The IT agent provisions a machine: allowed, but a human must approve',
    request: { agent: 'itops-agent', method: 'POST', path: '/itops/compute/instances', body: { size: 'small', region: 'eu-west-1' } },
  },
  {
    title: 'The analyst still uses the deprecated warehouse',
    request: { agent: 'finance-analyst', method: 'GET', path: '/warehouse/orders', query: { since: isoDate(Date.now() - 7 * 86_400_000) } },
  },
];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('a guided tour: validate and apply the example fleet, then decide representative calls')
    .option('--examples <dir>', 'manifest folder to tour', path.join(packageRoot(), 'examples'))
    .addOption(dataOption)
    .action(async (options: { examples: string; data: string }) => {
      printLines([`Warden — policy tour over ${path.relative(process.cwd(), options.examples) || '.'}`, '']);
      const { loaded, snapshot } = await loadValidFolder(options.examples);
      const operations = loaded.set.apis.reduce((sum, api) => sum + api.spec.operations.length, 0);
      printLines([`1. checked ${loaded.files.length} files: ${loaded.set.apis.length} APIs, ${operations} operations, ${loaded.set.roles.length} roles, ${loaded.set.agents.length} agents`]);
      const result = await withStore(options.data, (store) => applyManifests(store, loaded.set, { appliedBy: 'demo', message: 'warden demo' }));
      printLines([`2. policy version ${result.record.id} in force (${snapshot.version.slice(0, 19)}), stored in ${options.data}/`, '']);
      TOUR.forEach(({ title, request }, index) => {
        printLines([`${index + 3}. ${title}`, `   ${request.agent}: ${request.method} ${request.path}`]);
        printLines(explainDecision(decide(snapshot, request)).map((line) => `   ${line}`));
        printLines(['']);
      });
      printLines([
        'Try your own:  npx warden decide examples --agent support-bot --method GET --path /crm/customers/C-1001 --context customer=C-1001 --region eu',
        'Validate:      npx warden check examples',
      ]);
    });
}

function isoDate(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
