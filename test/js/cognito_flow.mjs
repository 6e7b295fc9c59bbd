// The guest flow of an identity pool as a web or mobile app runs it with the AWS SDK for
// JavaScript v3 (GetId, then GetCredentialsForIdentity), and the takeover attempt on an identity
// whose last login was removed, against a Latchkey server. test/integration's
// TestCognitoJavaScriptSDK prepares the server and runs this script; any unexpected answer makes
// it exit non-zero. On success it prints one JSON line: the guest identity and its credentials,
// which the Go test checks with STS.
//
// Environment: LK_URL (the endpoint), LK_REGION, LK_POOL (a pool that allows guests),
// LK_VICTIM (an identity whose last login was removed), LK_LOGIN_KEY and LK_LOGIN_TOKEN (a
// valid login of the attacker's own, for the pool's OIDC provider).
import {
  CognitoIdentityClient,
  GetIdCommand,
  GetCredentialsForIdentityCommand,
  GetOpenIdTokenCommand,
} from "@aws-sdk/client-cognito-identity";

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
};

const url = env("LK_URL");
const region = env("LK_REGION");
const pool = env("LK_POOL");
const victim = env("LK_VICTIM");
const attackerLogins = { [env("LK_LOGIN_KEY")]: env("LK_LOGIN_TOKEN") };

// GetId and GetCredentialsForIdentity are unsigned: the client needs no credentials, as in a
// browser.
const client = new CognitoIdentityClient({ region, endpoint: url, maxAttempts: 1 });

const failures = [];
const check = (what, ok, detail) => {
  if (!ok) {
    failures.push(`${what}: ${detail}`);
  }
};

// expectError runs a command that must fail with this error name, HTTP status and message.
const expectError = async (what, command, name, message) => {
  try {
    await client.send(command);
    failures.push(`${what}: succeeded, want ${name}`);
  } catch (err) {
    check(what, err.name === name, `error ${err.name}, want ${name}: ${err.message}`);
    check(what, err.$metadata?.httpStatusCode === 400, `HTTP ${err.$metadata?.httpStatusCode}, want 400`);
    check(what, err.message === message, `message ${JSON.stringify(err.message)}, want ${JSON.stringify(message)}`);
  }
};

const main = async () => {
  // The legitimate guest flow.
  const id = await client.send(new GetIdCommand({ IdentityPoolId: pool }));
  const identityId = id.IdentityId ?? "";
  check("GetId", identityId.startsWith(pool.split(":")[0] + ":"), `IdentityId ${identityId} is not of the pool's region`);
  const out = await client.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId }));
  const c = out.Credentials ?? {};
  check("GetCredentialsForIdentity", out.IdentityId === identityId, `IdentityId ${out.IdentityId}, want ${identityId}`);
  check("GetCredentialsForIdentity", /^ASIA/.test(c.AccessKeyId ?? "") && c.SecretKey && c.SessionToken, "incomplete credentials");
  check("GetCredentialsForIdentity", c.Expiration instanceof Date && c.Expiration > new Date(), `Expiration ${c.Expiration}`);

  // The takeover attempt: a valid login of the attacker's own on an identity whose last login
  // was removed, for credentials and for a token.
  const forbidden = `Access to Identity '${victim}' is forbidden.`;
  await expectError("takeover by GetCredentialsForIdentity",
    new GetCredentialsForIdentityCommand({ IdentityId: victim, Logins: attackerLogins }), "NotAuthorizedException", forbidden);
  await expectError("takeover by GetOpenIdToken",
    new GetOpenIdTokenCommand({ IdentityId: victim, Logins: attackerLogins }), "NotAuthorizedException", forbidden);
  await expectError("guest credentials of the inaccessible identity",
    new GetCredentialsForIdentityCommand({ IdentityId: victim }), "NotAuthorizedException", forbidden);

  // A value that breaks the model: ValidationException, which the client has no class for.
  await expectError("a user pool id given as an identity pool id",
    new GetIdCommand({ IdentityPoolId: "us-east-1_abcDEF" }), "ValidationException",
    "1 validation error detected: Value 'us-east-1_abcDEF' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+");

  if (failures.length > 0) {
    for (const f of failures) {
      console.error(f);
    }
    process.exit(1);
  }
  console.log(JSON.stringify({
    identityId,
    accessKeyId: c.AccessKeyId,
    secretKey: c.SecretKey,
    sessionToken: c.SessionToken,
  }));
};

main().catch((err) => {
  console.error(`unexpected failure: ${err.name}: ${err.message}`);
  process.exit(1);
});
