// Drives the Latchkey console in Debian's Chromium through playwright-core (no downloaded
// browser). Run by test/integration TestConsoleInBrowser, which starts the server, records a
// refusal and mints tokens, and passes them in the environment. Every page visited is saved as a
// screenshot under ARTIFACTS. Any failed expectation exits non-zero with a message.
import { chromium, request } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const base = env('LATCHKEY_URL');
const artifacts = env('ARTIFACTS');
const roleARN = env('ROLE_ARN');

function expect(ok, what) {
  if (!ok) throw new Error(`expectation failed: ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), 'latchkey-chromium-'));
// A fresh profile (--user-data-dir) each run; the console works without JavaScript, so it is off.
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1366, height: 900 },
  javaScriptEnabled: false,
});
try {
  const page = await context.newPage();
  const shot = async (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  // Without a session every page leads to sign-in.
  await page.goto(`${base}/console/activity`);
  expect(page.url() === `${base}/console/signin`, `redirected to sign-in, at ${page.url()}`);
  await shot('01-signin');

  // A wrong secret is refused and the form says so.
  await page.getByLabel('Access key id').fill(env('ROOT_KEY'));
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect((await page.getByRole('alert').textContent()).includes('not valid'), 'a wrong secret is refused');
  await shot('02-signin-refused');

  await page.getByLabel('Access key id').fill(env('ROOT_KEY'));
  await page.getByLabel('Secret access key').fill(env('ROOT_SECRET'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect(page.url() === `${base}/console/activity`, `signed in to Activity, at ${page.url()}`);
  expect(!(await page.content()).includes(env('ROOT_SECRET')), 'the secret is not in the page');

  // Find the refusal and open its explanation.
  const refusalID = env('REFUSAL_ID');
  await page.getByLabel('Action').fill('sts:AssumeRoleWithWebIdentity');
  await page.getByRole('button', { name: 'Filter' }).click();
  await shot('03-activity');
  const activity = await page.locator('main').textContent();
  expect(activity.includes(env('ISSUED_KEY')) && activity.includes('issued') && activity.includes('refused'),
    'Activity lists the credential issued (its access key id) and the refusal in one list');
  await page.getByLabel('Kind').selectOption('issued');
  await page.getByRole('button', { name: 'Filter' }).click();
  const issuedOnly = await page.locator('main').textContent();
  expect(issuedOnly.includes(env('ISSUED_KEY')) && !issuedOnly.includes(refusalID), 'the kind filter keeps the issued credential only');
  await shot('03b-activity-issued');
  await page.getByLabel('Kind').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('link', { name: `Explanation of request ${refusalID}` }).click();
  const explanation = await page.locator('main').textContent();
  expect(explanation.includes('✗') && explanation.includes('evil/app'), 'the explanation marks the failed sub condition with its value');
  await shot('04-explanation');

  // Roles, providers, identity pools.
  await page.getByRole('link', { name: 'Roles' }).click();
  await shot('05-roles');
  await page.getByRole('link', { name: 'deploy' }).click();
  expect((await page.locator('main').textContent()).includes('oidc-provider'), 'the role names the provider that may assume it');
  await shot('06-role');
  await page.getByRole('link', { name: 'Providers' }).click();
  const providers = await page.locator('main').textContent();
  expect(providers.includes(env('IDP_KID')) && providers.includes('success') && providers.includes('this node'),
    "Providers shows this node's last fetch of the upstream IdP's key set with its kid");
  await shot('07-providers');
  await page.getByRole('link', { name: 'Identity pools' }).click();
  await shot('08-pools');

  // A simulation.
  await page.getByRole('link', { name: 'Simulate' }).click();
  await page.getByLabel('Extra identity policy').fill('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}');
  await page.getByLabel('Actions').fill('s3:GetObject, s3:PutObject');
  await page.getByRole('button', { name: 'Simulate' }).click();
  const sim = await page.locator('main').textContent();
  expect(sim.includes('allowed') && sim.includes('implicitDeny'), 'the simulation allows GetObject and denies PutObject');
  await shot('09-simulate');

  // Token dry runs: the trusted repository would be allowed, the other refused with the reason.
  await page.getByRole('link', { name: 'Try a token' }).click();
  await page.getByLabel('Role').selectOption(roleARN);
  await page.getByLabel('Token or SAML response').fill(env('GOOD_TOKEN'));
  await page.getByRole('button', { name: 'Try' }).click();
  expect((await page.getByRole('status').textContent()).includes('Would be allowed'), 'the trusted token would be allowed');
  await shot('10-try-allowed');
  await page.getByLabel('Token or SAML response').fill(env('EVIL_TOKEN'));
  await page.getByRole('button', { name: 'Try' }).click();
  const tried = await page.locator('main').textContent();
  expect(tried.includes('Would be refused') && tried.includes('evil/app'), 'the other repository would be refused, with its sub');
  await shot('11-try-refused');

  // A POST without the CSRF token is refused even with the session cookie.
  const noCSRF = await context.request.post(`${base}/console/simulate`, { form: { actions: 's3:GetObject', policy: '{}' }, maxRedirects: 0 });
  expect(noCSRF.status() === 403, `CSRF-less POST answered ${noCSRF.status()}`);

  // Sign out: the session is gone.
  await page.getByRole('button', { name: 'Sign out' }).click();
  expect(page.url() === `${base}/console/signin`, `signed out to sign-in, at ${page.url()}`);
  await page.goto(`${base}/console/roles`);
  expect(page.url() === `${base}/console/signin`, 'after sign-out pages lead to sign-in');

  // A fresh browser without a session: GET redirects, POST is refused.
  const anon = await request.newContext();
  const get = await anon.get(`${base}/console/activity`, { maxRedirects: 0 });
  expect(get.status() === 303 && get.headers()['location'] === '/console/signin', `GET without a session answered ${get.status()}`);
  const post = await anon.post(`${base}/console/try`, { form: { csrf: 'x', kind: 'oidc', role: roleARN, token: env('GOOD_TOKEN') }, maxRedirects: 0 });
  expect(post.status() === 403, `POST without a session answered ${post.status()}`);
  await anon.dispose();
  console.log('console browser test passed');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
