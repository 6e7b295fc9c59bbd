// Package session owns "a principal becomes a session": it turns an authenticated caller
// (AssumeRole, with role chaining), a verified federated identity (web identity, SAML, a
// Cognito identity pool) or an AWS service principal acting for a workload (ecs-tasks.amazonaws.com,
// for the container credentials endpoint) into a role session, and builds the sessions of GetSessionToken,
// GetFederationToken and AssumeRoot. For a role session it applies the duration caps (the
// role's MaxSessionDuration, the 1-hour role-chaining cap, a SAML SessionDuration), runs the
// role's trust policy as a gate for every action the call uses (sts:AssumeRole*, sts:TagSession,
// sts:SetSourceIdentity, sts:SetContext) that the caller's own policies cannot open, checks
// session policies and session tags (transitive tags of a chained caller cannot be overridden),
// computes PackedPolicySize, builds the one principal.Principal, seals it into temporary
// credentials and records the role's use. A Request with DryRun stops once every check has passed:
// nothing is sealed and the role's use is not recorded (the console's "Try a token").
//
// Front doors verify their caller (a signature, a token, an assertion) and read the role; they
// never repeat a step of this package. The package emits no audit event of its own: the server
// already records every credential call of the calling operation with its outcome, and a second
// record here would log each session twice.
package session
