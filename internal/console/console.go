package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/latchkey/latchkey/internal/authz"
	"github.com/latchkey/latchkey/internal/awserr"
	"github.com/latchkey/latchkey/internal/federation/oidc"
	"github.com/latchkey/latchkey/internal/principal"
)

// Prefix is where the console lives on the server's port.
const Prefix = "/console"

// The latchkey:Console* actions, one per page. AWS's console has no IAM actions of its own; these
// follow the admin API's latchkey: service prefix.
const (
	ActionSignIn           = "latchkey:ConsoleSignIn"
	ActionListActivity     = "latchkey:ConsoleListActivity"
	ActionListRoles        = "latchkey:ConsoleListRoles"
	ActionListProviders    = "latchkey:ConsoleListProviders"
	ActionListIdentityPool = "latchkey:ConsoleListIdentityPools"
	ActionSimulate         = "latchkey:ConsoleSimulate"
	ActionTryToken         = "latchkey:ConsoleTryToken"
)

// Actions are every action the console authorizes.
var Actions = []string{ActionSignIn, ActionListActivity, ActionListRoles, ActionListProviders, ActionListIdentityPool, ActionSimulate, ActionTryToken}

// SecretVerifier checks a long-term access key id and its secret (authn.Authenticator).
type SecretVerifier interface {
	VerifySecret(ctx context.Context, accessKeyID, secret string) (*principal.Principal, error)
}

// KeySetStatus is this node's view of the OIDC key sets it fetched (oidc.Verifier.LastFetch).
type KeySetStatus interface {
	LastFetch(issuerURL string) (oidc.FetchStatus, bool)
}

// Deps are what a Console is built from.
type Deps struct {
	Keys  SecretVerifier
	Authz authz.Authorizer
	// Decisions are the recorded refusals; the console authorizes latchkey:ListDecisions and
	// latchkey:GetDecision on them as the admin API does.
	Decisions DecisionReader
	// Issuances are the credentials issued; the console authorizes latchkey:ListIssuances on
	// them as the admin API does. nil lists none.
	Issuances IssuanceReader
	// KeySets answers this node's last key-set fetch of an OIDC issuer (oidc.Verifier); nil:
	// the Providers page has no fetch column. It is read for providers the caller may list, after ListOpenIDConnectProviders.
	KeySets KeySetStatus
	// IAM and Pools are the domain services; every read of a role, provider or pool goes
	// through them as the signed-in caller, so their own authorization applies.
	IAM    IAMService
	Pools  PoolService
	Logins LoginReader
	Tokens TokenTrier
	Region string
	Now    func() time.Time
	Random io.Reader // nil: crypto/rand
	Logger *slog.Logger
	// SessionTTL is how long a console session lasts (default one hour); MaxSessions bounds
	// the table (default 10,000).
	SessionTTL  time.Duration
	MaxSessions int
	// SecureCookies marks the console's cookies Secure on every answer, not only on requests
	// that arrived over TLS: set it when browsers reach the server over https through a proxy
	// that terminates TLS (the app sets it when LATCHKEY_ISSUER_URL is https). A request's own
	// X-Forwarded-Proto is never trusted for it: any client can send one.
	SecureCookies bool
}

// Console is the http.Handler of /console.
type Console struct {
	d        Deps
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions *sessionTable
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the console.
func New(d Deps) (*Console, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = time.Hour
	}
	if d.MaxSessions <= 0 {
		d.MaxSessions = 10000
	}
	c := &Console{d: d, sessions: newSessionTable(d.MaxSessions)}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	c.mux = c.routes()
	return c, nil
}

func (c *Console) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/layout.html" || n == "templates/explanation.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/explanation.html", n)
		if err != nil {
			return err
		}
		c.pages[n[len("templates/"):len(n)-len(".html")]] = t
	}
	return nil
}

func (c *Console) routes() *http.ServeMux {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET "+Prefix+"/signin", c.signInForm)
	mux.HandleFunc("POST "+Prefix+"/signin", c.signIn)
	mux.HandleFunc("POST "+Prefix+"/signout", c.withSession("", c.signOut))
	mux.HandleFunc("GET "+Prefix+"/{$}", c.withSession("", func(w http.ResponseWriter, r *http.Request, _ *consoleSession) {
		http.Redirect(w, r, Prefix+"/activity", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET "+Prefix+"/activity", c.withSession(ActionListActivity, c.activity))
	mux.HandleFunc("GET "+Prefix+"/activity/{requestId}", c.withSession(ActionListActivity, c.decision))
	mux.HandleFunc("GET "+Prefix+"/roles", c.withSession(ActionListRoles, c.roles))
	mux.HandleFunc("GET "+Prefix+"/roles/{name}", c.withSession(ActionListRoles, c.role))
	mux.HandleFunc("GET "+Prefix+"/providers", c.withSession(ActionListProviders, c.providers))
	mux.HandleFunc("GET "+Prefix+"/pools", c.withSession(ActionListIdentityPool, c.pools))
	mux.HandleFunc("GET "+Prefix+"/pools/{id}", c.withSession(ActionListIdentityPool, c.pool))
	mux.HandleFunc("GET "+Prefix+"/simulate", c.withSession(ActionSimulate, c.simulateForm))
	mux.HandleFunc("POST "+Prefix+"/simulate", c.withSession(ActionSimulate, c.simulate))
	mux.HandleFunc("GET "+Prefix+"/try", c.withSession(ActionTryToken, c.tryForm))
	mux.HandleFunc("POST "+Prefix+"/try", c.withSession(ActionTryToken, c.try))
	return mux
}

// ServeHTTP sets the security headers every answer carries and routes.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == Prefix {
		http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
		return
	}
	if _, pattern := c.mux.Handler(r); pattern == "" {
		c.fail(w, r, nil, http.StatusNotFound, "Not found", "There is no console page at "+r.Method+" "+r.URL.Path+".")
		return
	}
	c.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Title   string
	Nav     string
	Session *consoleSession
	Data    any
}

// render writes the named page with status.
func (c *Console) render(w http.ResponseWriter, status int, name string, p page) {
	t := c.pages[name]
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		c.d.Logger.Error("console: rendering a page failed", "page", name, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorView is the error page's data.
type errorView struct{ Heading, Message string }

// fail renders the error page.
func (c *Console) fail(w http.ResponseWriter, _ *http.Request, s *consoleSession, status int, heading, msg string) {
	c.render(w, status, "error", page{Title: heading, Session: s, Data: errorView{heading, msg}})
}

// failErr renders err: an AWS error with its status and message (an internal one says nothing
// more and is logged).
func (c *Console) failErr(w http.ResponseWriter, r *http.Request, s *consoleSession, err error) {
	ae, ok := awserr.As(err)
	if !ok || ae.HTTPStatus >= 500 || ae.Kind == awserr.Internal {
		c.d.Logger.Error("console: a page failed", "path", r.URL.Path, "err", err)
		c.fail(w, r, s, http.StatusInternalServerError, "Something went wrong", "The page could not be completed; the server log has the details.")
		return
	}
	c.fail(w, r, s, ae.HTTPStatus, ae.Code, ae.Message)
}

// requestContext is r's context with the request's facts the engine's global condition keys
// read (aws:SourceIp, aws:SecureTransport, aws:UserAgent, aws:RequestedRegion), as every call
// the console makes as the signed-in caller carries them.
func (c *Console) requestContext(r *http.Request) context.Context {
	return authz.WithRequestInfo(r.Context(), authz.RequestInfo{Region: c.d.Region, UserAgent: r.UserAgent(), Secure: r.TLS != nil, SourceIP: remoteIP(r)})
}

// authorize asks the engine whether the session's principal may do action on resource.
func (c *Console) authorize(r *http.Request, s *consoleSession, action, resource string) error {
	return c.d.Authz.Authorize(c.requestContext(r), authz.Request{Caller: s.Caller, Action: action, Resource: resource, ResourceAccount: s.Caller.AccountID})
}

// ConsoleARN is the resource of the latchkey:Console* actions: the account's console.
func ConsoleARN(account string) string { return "arn:aws:latchkey::" + account + ":console" }

var errNoSession = errors.New("no console session")
