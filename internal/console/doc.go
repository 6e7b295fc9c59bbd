// Package console is Latchkey's browser console at /console on the server's own port: pages
// rendered on the server with html/template from embedded templates and one embedded style
// sheet, no JavaScript. A person signs in with the access key id and secret of an IAM user or of
// the account root, checked by the same key lookup as SigV4 verification (authn.VerifySecret,
// constant-time). The console then keeps a server-side session: a random 256-bit id in a cookie
// (HttpOnly, SameSite=Strict, Path=/console, one hour) and a CSRF token that every form carries
// and every POST must return (constant-time compare; a POST without it is 403). The cookie is
// Secure when the request came over TLS or when Deps.SecureCookies says browsers reach the
// server over https through a TLS-terminating proxy (the app sets it when LATCHKEY_ISSUER_URL is
// https); a request's X-Forwarded-Proto is never trusted for it, since any client can send one.
// Signing in again from a browser ends the session that browser had.
//
// Sessions live in a bounded in-memory table of the node that signed the person in: a deployment
// of several nodes behind a load balancer needs sticky sessions for the console (or signs in again
// on another node), and a restart signs everyone out. The store is not used so that a browser
// session is never a credential any node could be made to accept. When the table is full (at
// most MaxSessions), a new sign-in drops the expired sessions and, if none has expired, the oldest
// one, never everyone. A session outlives a change to the key that opened it (as an AWS console
// session does), but not a change of permissions: every page is authorized afresh, so removing a
// policy or deleting the user takes effect at the next request.
//
// Every page is authorized by the IAM engine, as the caller, with a latchkey:Console* action
// (Actions lists them; the account root may, others need an identity policy), and shows only the
// caller's own account. Like the AWS console, which is a client of the APIs signed as the person,
// a page also needs the permissions of the operations whose results it shows: the Roles,
// Providers and Identity pools pages call iam.Service and cognito.Service as the signed-in
// caller (GetRole, ListRolePolicies and GetRolePolicy, ListAttachedRolePolicies, ListRoles,
// ListOpenIDConnectProviders, ListSAMLProviders and GetSAMLProvider; ListIdentityPools,
// DescribeIdentityPool, GetIdentityPoolRoles, ListIdentities), so an explicit Deny applies there
// as it does in the API; Activity authorizes the admin API's latchkey:ListIssuances (credentials
// issued), latchkey:ListDecisions and latchkey:GetDecision (refusals; audit.DecisionARN) before
// reading the store, and lists what each allows in one list, newest first. What the caller may not read
// is an AccessDenied notice naming the action, in place of the data (403 when it is the whole
// page). Simulate needs iam:SimulatePrincipalPolicy or iam:SimulateCustomPolicy. Try a token runs
// AssumeRoleWithWebIdentity or AssumeRoleWithSAML as a dry run: everything is verified and
// evaluated, nothing is issued, recorded or audited; a refusal's policy detail (the statements,
// condition values and the summary quoting them) is a read of the role's trust policy and is
// shown only when GetRole on the role answers the caller, otherwise the verdict and the token's
// own checks are. Providers shows, for each OIDC provider, this node's last fetch of its key set
// (Deps.KeySets: time, outcome, key ids published, the error); other nodes fetch on their own.
package console
