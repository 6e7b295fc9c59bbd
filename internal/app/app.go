package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/latchkey/latchkey/internal/api/cognitoapi"
	"github.com/latchkey/latchkey/internal/api/iamapi"
	"github.com/latchkey/latchkey/internal/api/quicksightapi"
	"github.com/latchkey/latchkey/internal/api/stsapi"
	"github.com/latchkey/latchkey/internal/audit"
	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/cognito"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/console"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/metrics"
	"github.com/latchkey/latchkey/internal/quicksight"
	"github.com/latchkey/latchkey/internal/server"
	"github.com/latchkey/latchkey/internal/session"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/cachedstore"
	"github.com/latchkey/latchkey/internal/sts"
	"github.com/latchkey/latchkey/internal/testidp"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/internal/workloads"
)

// App is an assembled node.
type App struct {
	Config  config.Config
	Store   store.Store
	Master  *keys.MasterKey
	Handler *server.Server
	Logger  *slog.Logger
	// RootCredentialsFile is set when this start generated root credentials.
	RootCredentialsFile string
	SessionKeys         *keys.Ring
	Issuer              *token.Issuer
	// TestIDP is the built-in test identity provider; nil unless LATCHKEY_TEST_IDP.
	TestIDP *testidp.IdP
	// IMDS is the EC2 instance metadata listener's handler; nil unless LATCHKEY_IMDS_ADDR.
	IMDS http.Handler
	// Decisions records the refusals this node answers, off the request path; its GetDecision and
	// ListDecisions write what is queued before reading the store.
	Decisions *audit.DecisionRecorder
	closers   []io.Closer
	metrics   *metrics.Metrics
	registry  *prometheus.Registry
}

// Options are the process-level collaborators.
type Options struct {
	Logger *slog.Logger
	Now    func() time.Time
	// RootCAs overrides the trust roots for upstream IdPs (else LATCHKEY_OIDC_CA_FILE, else the system's).
	RootCAs *x509.CertPool
	// OIDCDial opens the connections of upstream IdP fetches, to addresses the outbound
	// network check has already admitted (tests map ports with it); nil means a net.Dialer.
	OIDCDial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// New assembles a node from a validated configuration. A start that fails leaves the data
// directory, the SQLite database and the audit log as they were: what it created is removed.
func New(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	u := planUndo(cfg)
	a, err := assemble(ctx, cfg, opts)
	if err != nil {
		logger := opts.Logger
		if logger == nil {
			logger = slog.Default()
		}
		u.run(logger)
		return nil, err
	}
	return a, nil
}

// assemble opens the store, bootstraps the default account and wires the server; on failure it
// closes what it opened.
func assemble(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.RootCAs == nil && cfg.OIDCCAFile != "" {
		pem, err := os.ReadFile(cfg.OIDCCAFile)
		if err != nil {
			return nil, fmt.Errorf("LATCHKEY_OIDC_CA_FILE: %w", err)
		}
		opts.RootCAs = x509.NewCertPool()
		opts.RootCAs.AppendCertsFromPEM(pem)
	}
	allowedNets, err := cfg.OIDCAllowedPrefixes()
	if err != nil {
		return nil, err
	}
	// Every file destination is opened before the store is: a destination that cannot be
	// opened fails the start before anything is written to the store.
	auditLog, err := openAudit(cfg.AuditLog)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg, now)
	st, mk, err := openStore(ctx, cfg, logger, m)
	if err != nil {
		if auditLog != nil {
			_ = auditLog.Close()
		}
		return nil, err
	}
	a := &App{Config: cfg, Store: st, Master: mk, Logger: logger, metrics: m, registry: reg, closers: []io.Closer{auditLog}}
	defer func() {
		if err != nil {
			_ = a.Close()
		}
	}()
	if err := a.bootstrap(ctx, now); err != nil {
		return nil, err
	}
	a.SessionKeys = token.SessionRing(st, mk, now)
	if _, err := a.SessionKeys.Signer(ctx); err != nil {
		return nil, fmt.Errorf("loading session-token keys: %w", err)
	}
	a.Issuer = token.NewIssuer(st, mk, now, IssuerURL(cfg))
	if err := a.wire(ctx, opts, auditLog, allowedNets, now); err != nil {
		return nil, err
	}
	return a, nil
}

// wire builds the services and the HTTP server over the opened store.
func (a *App) wire(ctx context.Context, opts Options, auditLog io.Writer, allowedNets []netip.Prefix, now func() time.Time) error {
	cfg, mk, logger := a.Config, a.Master, a.Logger
	// The credential paths (sessions, STS, Cognito) read roles, providers, pools and identities
	// from bounded caches; everything else reads the database. Every write goes through one of the
	// two views, so a change made through this node invalidates the caches at once.
	cached := cachedstore.New(a.Store, cachedstore.Options{Now: now})
	st := cached.Direct()
	sealer := &token.Sealer{Ring: a.SessionKeys}
	var local oidc.LocalKeySource
	var localIssuer func(string) bool
	if cfg.TestIDP {
		a.TestIDP = NewTestIDP(cfg, st, mk, now)
		local, localIssuer = a.TestIDP, a.TestIDP.Owns
	}
	authenticator := authn.New(st, mk, sealer, authn.Options{Now: now, Logger: logger})
	engine := &authz.Engine{Source: st, Now: now, Messages: mk}
	for name, c := range engine.Caches() {
		a.metrics.Cache(name, c)
	}
	for _, r := range a.rings() {
		a.metrics.KeyRing(r.Name, r.Ring, cfg.KeyRotation)
	}
	iamSvc := iam.New(iam.Deps{Store: st, Authz: engine, Master: mk, Cache: authenticator, Policies: engine, IDs: ids.Default, Now: now, SecretAAD: authn.SecretAAD,
		AllowHTTPIssuers: cfg.AllowHTTPIssuers, IssuerURL: a.Issuer.URL, SAMLMetadata: iam.ParseSAMLMetadata, LocalIssuer: localIssuer})
	// Roles stored before principal bindings existed, or by a node of an older version, trust
	// none of the users and roles they name until they are bound; bind them before serving.
	if n, err := iamSvc.BindStoredPrincipals(ctx); err != nil {
		return fmt.Errorf("binding stored trust policies to principal ids: %w", err)
	} else if n > 0 {
		logger.Info("bound the trust policies of roles stored without principal ids", "roles", n)
	}
	recipients, audiences := sts.SAMLEndpoints(cfg.Region, a.Issuer.URL)
	sessions := session.New(session.Deps{Store: cached, Engine: engine, MFA: iamSvc, Sealer: sealer, IDs: ids.Default, Now: now})
	quicksightSvc := quicksight.New(quicksight.Deps{Store: st, Authz: engine, Tokens: a.Issuer, Region: cfg.Region, Now: now})
	webIdentity := oidc.NewVerifier(oidc.Options{RootCAs: opts.RootCAs, AllowHTTP: cfg.AllowHTTPIssuers, AllowedNetworks: allowedNets, Now: now, Dial: opts.OIDCDial, Local: local,
		Metrics: a.metrics})
	cognitoSvc := cognito.New(cognito.Deps{Store: st, Reads: cached, Authz: engine, Tokens: a.Issuer, Sessions: sessions, Verifier: webIdentity,
		Region: cfg.Region, Issuer: cfg.CognitoIssuer, SAMLRecipients: recipients, SAMLAudiences: audiences, Now: now})
	stsSvc := sts.New(sts.Deps{Keys: st, Authz: engine, Sessions: sessions, Orgs: st, IdentityTokens: a.Issuer, Outbound: st,
		Providers: cached, WebIdentity: webIdentity, SAMLRecipients: recipients, SAMLAudiences: audiences,
		Cognito: cognitoSvc.ClassicFlow(), Contexts: quicksight.ContextVerifier{Tokens: a.Issuer, Now: now}, Messages: mk, Now: now})
	// The issuance recorder is closed (its queue written) before the store and before the audit
	// log, which assemble opened first.
	issuances := audit.NewIssuanceRecorder(audit.IssuanceDeps{Store: st, Max: int(cfg.DecisionsMax), MaxAge: cfg.DecisionsMaxAge,
		Now: now, Logger: logger})
	a.closers = append([]io.Closer{issuances}, a.closers...)
	a.metrics.IssuancesDropped(issuances.Dropped)
	auditor := audit.NewWithIssuances(auditLog, issuances)
	// Refusals are recorded off the request path too; the node's own readers (the admin API, the
	// console) read through the recorder, which writes what is queued first. It is closed before
	// the store as well.
	decisions := audit.NewDecisionRecorder(audit.DecisionDeps{Store: st, Max: int(cfg.DecisionsMax), MaxAge: cfg.DecisionsMaxAge,
		Now: now, Logger: logger})
	a.Decisions = decisions
	a.closers = append([]io.Closer{decisions}, a.closers...)
	a.metrics.DecisionsDropped(decisions.Dropped)
	if cfg.IMDSAddr != "" {
		var err error
		if a.IMDS, err = newIMDS(cfg, st, mk, sessions, auditor, decisions, logger, now, a.metrics); err != nil {
			return err
		}
	}
	var testIDP server.TestIDP
	adminRoutes := append(server.DecisionRoutes(decisions, now), server.IssuanceRoutes(st, now)...)
	if a.TestIDP != nil {
		testIDP = a.TestIDP
		adminRoutes = append(adminRoutes, server.TestIDPRoutes(a.TestIDP)...)
	}
	con, err := console.New(console.Deps{Keys: authenticator, Authz: engine, Decisions: decisions, Issuances: st, KeySets: webIdentity, IAM: iamSvc, Pools: cognitoSvc, Logins: st, Tokens: stsSvc, Region: cfg.Region, Now: now, Logger: logger,
		SecureCookies: strings.HasPrefix(a.Issuer.URL, "https://")})
	if err != nil {
		return err
	}
	a.Handler, err = server.New(server.Deps{
		Store:             st,
		Authn:             authenticator,
		STS:               stsapi.Table(stsSvc),
		IAM:               iamapi.Table(iamSvc),
		Cognito:           cognitoapi.Table(cognitoSvc),
		QuickSight:        quicksightapi.Table(quicksightSvc),
		Region:            cfg.Region,
		MaxQueryBodyBytes: cfg.MaxQueryBodyBytes,
		MaxJSONBodyBytes:  cfg.MaxJSONBodyBytes,
		ExplainDenials:    cfg.ExplainDenials,
		Logger:            logger,
		Registry:          a.registry,
		Credentials:       a.metrics,
		Restrict:          sts.SessionRestriction,
		Audit:             auditor,
		Issuer:            a.Issuer,
		TestIDP:           testIDP,
		Decisions:         decisions,
		Admin:             server.NewAdmin(engine, adminRoutes...),
		Workloads:         workloads.New(workloads.Deps{Store: st, Sessions: sessions, Now: now}),
		Console:           con,
	})
	return err
}

// Close writes the refusals and credential issuances still queued, then releases the audit log and
// the store.
func (a *App) Close() error {
	for _, c := range a.closers {
		if c != nil {
			_ = c.Close()
		}
	}
	return a.Store.Close()
}

// SessionTokenLifetime is the longest any session token lives (GetSessionToken and
// GetFederationToken allow 36 hours); retired sealing keys verify at least this long.
const SessionTokenLifetime = 36 * time.Hour

// IssuedTokenLifetime is the longest a JWT signed by Latchkey's issuer lives (a developer
// identity token may last a day); retired issuer keys stay published at least this long.
const IssuedTokenLifetime = 24 * time.Hour

// NewTestIDP builds the test identity provider over the store's key rings (the server and the
// CLI's `idp` commands share them).
func NewTestIDP(cfg config.Config, st keys.RingStore, mk *keys.MasterKey, now func() time.Time) *testidp.IdP {
	signing, runner := testidp.Rings(st, mk, now)
	return testidp.New(testidp.Deps{Signing: signing, Runner: runner, BaseURL: IssuerURL(cfg), Now: now})
}

// TestIDPRings are the test IdP's key rings with how long a retired key must keep verifying.
func TestIDPRings(signing, runner *keys.Ring) []RotatingRing {
	return []RotatingRing{
		{testidp.PurposeSigning, signing, testidp.MaxTokenTTL + time.Hour},
		{testidp.PurposeRunner, runner, testidp.MaxRunnerTTL + time.Hour},
	}
}

// RotatingRing is a key ring and the time its retired keys keep verifying.
type RotatingRing struct {
	Name   string
	Ring   *keys.Ring
	Verify time.Duration
}

// IssuerURL is the configured issuer, or the listen address over http for local use.
func IssuerURL(cfg config.Config) string {
	if cfg.IssuerURL != "" {
		return strings.TrimRight(cfg.IssuerURL, "/")
	}
	return "http://" + cfg.Addr
}

// RotateOnSchedule rotates every key ring whose signing key is older than the configured period,
// checking hourly until ctx ends.
func (a *App) RotateOnSchedule(ctx context.Context) {
	rings := a.rings()
	check := func() {
		for _, r := range rings {
			rotated, err := r.Ring.RotateIfOlderThan(ctx, a.Config.KeyRotation, r.Verify)
			if err != nil {
				a.Logger.Warn("scheduled key rotation failed", "ring", r.Name, "err", err)
			} else if rotated {
				a.Logger.Info("rotated a key ring on schedule", "ring", r.Name)
			}
		}
	}
	check()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}

// rings are the node's key rings: session tokens, the issuer's, and the test IdP's when it runs.
func (a *App) rings() []RotatingRing {
	rings := []RotatingRing{
		{"session-token", a.SessionKeys, SessionTokenLifetime + time.Hour},
		{token.PurposeRS256, a.Issuer.RS256, IssuedTokenLifetime + time.Hour},
		{token.PurposeES384, a.Issuer.ES384, IssuedTokenLifetime + time.Hour},
	}
	if a.TestIDP != nil {
		rings = append(rings, TestIDPRings(a.TestIDP.Rings())...)
	}
	return rings
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// openAudit opens the audit destination: a file (appended, mode 0600), "stderr", or nothing.
func openAudit(dest string) (io.WriteCloser, error) {
	switch dest {
	case "":
		return nil, nil
	case "stderr":
		return nopCloser{os.Stderr}, nil
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening LATCHKEY_AUDIT_LOG: %w", err)
	}
	return f, nil
}

// bootstrap makes sure the default account exists and has root credentials.
func (a *App) bootstrap(ctx context.Context, now func() time.Time) error {
	cfg := a.Config
	if err := a.Store.CreateAccount(ctx, store.Account{ID: cfg.AccountID, CreatedAt: now().UTC().Truncate(time.Second)}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		return fmt.Errorf("creating default account: %w", err)
	}
	if err := iam.SeedAWSManagedPolicies(ctx, a.Store, now()); err != nil {
		return fmt.Errorf("creating AWS managed policies: %w", err)
	}
	if cfg.RootAccessKeyID != "" {
		k := store.AccessKey{
			AccessKeyID:      cfg.RootAccessKeyID,
			AccountID:        cfg.AccountID,
			Status:           "Active",
			SecretCiphertext: a.Master.Seal([]byte(cfg.RootSecretAccessKey), authn.SecretAAD(cfg.RootAccessKeyID)),
			CreatedAt:        now().UTC().Truncate(time.Second),
		}
		if err := a.Store.PutRootAccessKey(ctx, k); err != nil {
			return fmt.Errorf("storing configured root credentials: %w", err)
		}
		a.Logger.Info("root credentials of the default account set from the environment", "account", cfg.AccountID, "access_key_id", cfg.RootAccessKeyID)
		return nil
	}
	existing, err := a.Store.ListAccessKeys(ctx, cfg.AccountID, "")
	if err != nil {
		return fmt.Errorf("listing root credentials: %w", err)
	}
	path := filepath.Join(cfg.DataDir, RootCredentialsFile)
	if len(existing) > 0 {
		a.warnLostRootCredentials(existing, path)
		return nil
	}
	id, secret, err := CreateRootKey(ctx, a.Store, a.Master, cfg.AccountID, now())
	if err != nil {
		return err
	}
	if err := WriteCredentialsFile(path, id, secret); err != nil {
		return err
	}
	a.RootCredentialsFile = path
	a.Logger.Info("generated root credentials for the default account; the secret is only in the file", "account", cfg.AccountID, "access_key_id", id, "file", path)
	return nil
}

// warnLostRootCredentials says how to recover when the root-credentials file a development
// instance wrote (next to its master.key) is gone. The secret is not written again: the operator
// may have set it through LATCHKEY_ROOT_* on purpose and kept it out of files.
func (a *App) warnLostRootCredentials(existing []store.AccessKey, path string) {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if _, err := os.Stat(filepath.Join(a.Config.DataDir, MasterKeyFile)); err != nil {
		return // the master key is configured: root credentials were never kept in the data dir
	}
	ids := make([]string, 0, len(existing))
	for _, k := range existing {
		ids = append(ids, k.AccessKeyID)
	}
	a.Logger.Warn("the root-credentials file is missing; its secret is not written again. To sign in as the account root, "+
		"set LATCHKEY_ROOT_ACCESS_KEY_ID and LATCHKEY_ROOT_SECRET_ACCESS_KEY to a key of your choosing and restart, "+
		"then delete the old key with `aws iam delete-access-key --access-key-id <id>` signed by the new one",
		"file", path, "account", a.Config.AccountID, "root_access_key_ids", strings.Join(ids, ","))
}

// CreateRootKey mints a root access key for an account (subject to the two-key quota).
func CreateRootKey(ctx context.Context, st store.Store, mk *keys.MasterKey, account string, now time.Time) (string, string, error) {
	for attempt := 0; ; attempt++ {
		id := ids.Default.AccessKeyID(ids.PrefixLongTermKey, account)
		secret := ids.Default.SecretAccessKey()
		err := st.CreateAccessKey(ctx, store.AccessKey{
			AccessKeyID:      id,
			AccountID:        account,
			Status:           "Active",
			SecretCiphertext: mk.Seal([]byte(secret), authn.SecretAAD(id)),
			CreatedAt:        now.UTC().Truncate(time.Second),
		}, iam.MaxAccessKeysPerOwner)
		if errors.Is(err, store.ErrAlreadyExists) && attempt < 3 {
			continue
		}
		if err != nil {
			return "", "", fmt.Errorf("creating root credentials: %w", err)
		}
		return id, secret, nil
	}
}

// WriteCredentialsFile writes an AWS shared-credentials file readable only by its owner.
func WriteCredentialsFile(path, id, secret string) error {
	content := fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", id, secret)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
