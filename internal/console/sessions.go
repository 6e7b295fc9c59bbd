package console

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/authn"
	"github.com/latchkey/latchkey/internal/principal"
)

// Cookie names: the session's, and the sign-in form's own CSRF token (a login CSRF would sign a
// victim into the attacker's account).
const (
	sessionCookie = "latchkey_console"
	signInCookie  = "latchkey_console_signin"
	csrfField     = "csrf"
)

// maxFormBytes bounds every POST body (a SAML response is the largest thing a form carries).
const maxFormBytes = 1 << 20

// consoleSession is one signed-in browser.
type consoleSession struct {
	ID      string
	CSRF    string
	Caller  *principal.Principal
	Expires time.Time
}

// newToken is 256 random bits, base64url.
func (c *Console) newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(c.d.Random, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func sameSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		Secure: r.TLS != nil || c.d.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// session is the request's live console session, nil when there is none.
func (c *Console) session(r *http.Request) *consoleSession {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	s, ok := c.sessions.get(ck.Value, c.d.Now())
	if !ok {
		return nil
	}
	return s
}

// withSession requires a session (GET without one goes to sign-in, any other method is 403), a
// POST's CSRF token, and, unless action is "", the engine's permission for action.
func (c *Console) withSession(action string, h func(http.ResponseWriter, *http.Request, *consoleSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusForbidden, "Not signed in", "This request needs a console session; sign in first.")
			return
		}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				c.fail(w, r, s, http.StatusBadRequest, "Bad request", "The form could not be read or is too large.")
				return
			}
			if !sameSecret(r.PostForm.Get(csrfField), s.CSRF) {
				c.fail(w, r, s, http.StatusForbidden, "Forbidden", "The form's CSRF token is missing or wrong; reload the page and try again.")
				return
			}
		}
		if action != "" {
			if err := c.authorize(r, s, action, ConsoleARN(s.Caller.AccountID)); err != nil {
				c.failErr(w, r, s, err)
				return
			}
		}
		h(w, r, s)
	}
}

type signInView struct {
	CSRF, AccessKeyID, Error string
}

func (c *Console) signInForm(w http.ResponseWriter, r *http.Request) {
	c.renderSignIn(w, r, http.StatusOK, "", "")
}

func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, keyID, msg string) {
	tok, err := c.newToken()
	if err != nil {
		c.failErr(w, r, nil, err)
		return
	}
	c.setCookie(w, r, signInCookie, tok, 600)
	c.render(w, status, "signin", page{Title: "Sign in", Data: signInView{CSRF: tok, AccessKeyID: keyID, Error: msg}})
}

// signIn checks the form's CSRF token against the sign-in cookie, the key and secret, and
// latchkey:ConsoleSignIn, then starts a session. The secret is never logged or rendered.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.fail(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read or is too large.")
		return
	}
	ck, err := r.Cookie(signInCookie)
	if err != nil || !sameSecret(r.PostForm.Get(csrfField), ck.Value) {
		c.fail(w, r, nil, http.StatusForbidden, "Forbidden", "The sign-in form's CSRF token is missing or wrong; reload the sign-in page and try again.")
		return
	}
	keyID := strings.TrimSpace(r.PostForm.Get("access_key_id"))
	caller, err := c.d.Keys.VerifySecret(r.Context(), keyID, r.PostForm.Get("secret_access_key"))
	if err != nil {
		if ae, ok := err.(*authn.Error); ok && ae.Kind == authn.Unavailable {
			c.failErr(w, r, nil, err)
			return
		}
		c.d.Logger.Info("console: sign-in refused", "access_key_id", keyID)
		c.renderSignIn(w, r, http.StatusUnauthorized, keyID, "The access key id or secret access key is not valid.")
		return
	}
	s := &consoleSession{Caller: caller, Expires: c.d.Now().Add(c.d.SessionTTL)}
	if err := c.authorize(r, s, ActionSignIn, ConsoleARN(caller.AccountID)); err != nil {
		c.d.Logger.Info("console: sign-in not authorized", "principal", caller.ARN)
		c.failErr(w, r, nil, err)
		return
	}
	if s.ID, err = c.newToken(); err == nil {
		s.CSRF, err = c.newToken()
	}
	if err != nil {
		c.failErr(w, r, nil, err)
		return
	}
	// A browser that signs in again ends the session it had: one browser, one live session.
	if old, err := r.Cookie(sessionCookie); err == nil && old.Value != "" {
		c.sessions.delete(old.Value)
	}
	c.sessions.put(s, c.d.Now())
	c.d.Logger.Info("console: signed in", "principal", caller.ARN)
	c.setCookie(w, r, signInCookie, "", -1)
	c.setCookie(w, r, sessionCookie, s.ID, int(c.d.SessionTTL/time.Second))
	http.Redirect(w, r, Prefix+"/activity", http.StatusSeeOther)
}

// signOut forgets the session and its cookie.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	c.sessions.delete(s.ID)
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
