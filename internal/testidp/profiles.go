package testidp

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Profiles are the token shapes the test IdP mints.
const (
	GitHubActions = "github-actions"
	GitLabCI      = "gitlab-ci"
	Kubernetes    = "kubernetes"
	Generic       = "generic"
)

// DefaultAudience is the aud of github-actions and kubernetes tokens when none is asked for:
// the audience aws-actions/configure-aws-credentials requests and the one EKS projects for IAM
// roles for service accounts.
const DefaultAudience = "sts.amazonaws.com"

// Params are the profile inputs. Which ones a profile needs is documented on Claims.
type Params struct {
	Repository     string // github-actions: OWNER/REPO
	Ref            string // github-actions: refs/heads/main; gitlab-ci: main (a branch or tag name)
	Environment    string // github-actions, gitlab-ci: optional deployment environment
	Event          string // github-actions: event_name, default push; pull_request changes sub
	ProjectPath    string // gitlab-ci: group/project
	RefType        string // gitlab-ci: branch (default) or tag
	Namespace      string // kubernetes
	ServiceAccount string // kubernetes
	Pod            string // kubernetes: optional pod name
}

// profileClaims returns a profile's claims (without iss, aud, iat, nbf, exp, jti), following:
// GitHub's "OpenID Connect reference" (OIDC token claims), GitLab's "OpenID Connect (OIDC)
// Authentication Using ID Tokens" (token payload) and Kubernetes' "Managing Service Accounts"
// (projected service account token claims). Values the caller does not give (ids, sha) are
// derived deterministically from what it gives, so two tokens of one repository agree.
func profileClaims(profile string, p Params, now time.Time) (map[string]any, error) {
	switch profile {
	case GitHubActions:
		return githubClaims(p, now)
	case GitLabCI:
		return gitlabClaims(p)
	case Kubernetes:
		return kubernetesClaims(p)
	case Generic:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("unknown profile %q: want %s, %s, %s or %s", profile, GitHubActions, GitLabCI, Kubernetes, Generic)
}

// digits derives a stable numeric id from s (GitHub and GitLab ids are numeric strings).
func digits(s string, n int) string {
	h := sha1.Sum([]byte(s))
	var v uint64
	for _, b := range h[:8] {
		v = v<<8 | uint64(b)
	}
	out := strconv.FormatUint(v, 10)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func sha(s string) string {
	h := sha1.Sum([]byte("commit:" + s))
	return hex.EncodeToString(h[:])
}

func githubClaims(p Params, now time.Time) (map[string]any, error) {
	owner, name, ok := strings.Cut(p.Repository, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, errors.New("github-actions needs --repository OWNER/REPO")
	}
	if !strings.HasPrefix(p.Ref, "refs/") {
		return nil, errors.New("github-actions needs --ref as a full ref, e.g. refs/heads/main or refs/tags/v1")
	}
	event := p.Event
	if event == "" {
		event = "push"
	}
	refType := "branch"
	if strings.HasPrefix(p.Ref, "refs/tags/") {
		refType = "tag"
	}
	sub := "repo:" + p.Repository + ":ref:" + p.Ref
	switch {
	case p.Environment != "":
		sub = "repo:" + p.Repository + ":environment:" + p.Environment
	case event == "pull_request":
		sub = "repo:" + p.Repository + ":pull_request"
	}
	commit := sha(p.Repository + "@" + p.Ref)
	workflowRef := p.Repository + "/.github/workflows/ci.yml@" + p.Ref
	c := map[string]any{
		"sub":                   sub,
		"ref":                   p.Ref,
		"ref_type":              refType,
		"ref_protected":         "false",
		"sha":                   commit,
		"repository":            p.Repository,
		"repository_id":         digits("repo:"+p.Repository, 9),
		"repository_owner":      owner,
		"repository_owner_id":   digits("owner:"+owner, 8),
		"repository_visibility": "private",
		"actor":                 owner,
		"actor_id":              digits("owner:"+owner, 8),
		"workflow":              "CI",
		"workflow_ref":          workflowRef,
		"workflow_sha":          commit,
		"job_workflow_ref":      workflowRef,
		"job_workflow_sha":      commit,
		"event_name":            event,
		"head_ref":              "",
		"base_ref":              "",
		"run_id":                strconv.FormatInt(now.Unix(), 10),
		"run_number":            "1",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
	}
	if p.Environment != "" {
		c["environment"] = p.Environment
	}
	return c, nil
}

func gitlabClaims(p Params) (map[string]any, error) {
	ns, _, ok := cutLast(p.ProjectPath, "/")
	if !ok {
		return nil, errors.New("gitlab-ci needs --project-path GROUP/PROJECT")
	}
	if p.Ref == "" || strings.HasPrefix(p.Ref, "refs/") {
		return nil, errors.New("gitlab-ci needs --ref as a branch or tag name (GitLab's ref claim has no refs/ prefix), e.g. main")
	}
	refType := p.RefType
	switch refType {
	case "":
		refType = "branch"
	case "branch", "tag":
	default:
		return nil, fmt.Errorf("gitlab-ci ref type %q: want branch or tag", refType)
	}
	refPath := "refs/heads/" + p.Ref
	if refType == "tag" {
		refPath = "refs/tags/" + p.Ref
	}
	commit := sha(p.ProjectPath + "@" + p.Ref)
	c := map[string]any{
		"sub":                "project_path:" + p.ProjectPath + ":ref_type:" + refType + ":ref:" + p.Ref,
		"namespace_id":       digits("ns:"+ns, 8),
		"namespace_path":     ns,
		"project_id":         digits("project:"+p.ProjectPath, 8),
		"project_path":       p.ProjectPath,
		"project_visibility": "private",
		"user_id":            digits("user:"+ns, 7),
		"user_login":         strings.SplitN(ns, "/", 2)[0],
		"user_email":         strings.SplitN(ns, "/", 2)[0] + "@example.com",
		"user_access_level":  "developer",
		"pipeline_id":        digits("pipeline:"+commit, 10),
		"pipeline_source":    "push",
		"job_id":             digits("job:"+commit, 10),
		"ref":                p.Ref,
		"ref_type":           refType,
		"ref_path":           refPath,
		"ref_protected":      "false",
		"runner_id":          digits("runner", 6),
		"runner_environment": "gitlab-hosted",
		"sha":                commit,
		"ci_config_ref_uri":  "gitlab.com/" + p.ProjectPath + "//.gitlab-ci.yml@" + refPath,
		"ci_config_sha":      commit,
	}
	if p.Environment != "" {
		c["environment"] = p.Environment
		c["environment_protected"] = "false"
		c["deployment_tier"] = "other"
	}
	return c, nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i <= 0 || i == len(s)-1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

func kubernetesClaims(p Params) (map[string]any, error) {
	if p.Namespace == "" || p.ServiceAccount == "" {
		return nil, errors.New("kubernetes needs --namespace and --service-account")
	}
	pod := p.Pod
	if pod == "" {
		pod = p.ServiceAccount + "-0"
	}
	uid := func(s string) string { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(s)).String() }
	return map[string]any{
		"sub": "system:serviceaccount:" + p.Namespace + ":" + p.ServiceAccount,
		"kubernetes.io": map[string]any{
			"namespace":      p.Namespace,
			"pod":            map[string]any{"name": pod, "uid": uid("pod:" + p.Namespace + "/" + pod)},
			"serviceaccount": map[string]any{"name": p.ServiceAccount, "uid": uid("sa:" + p.Namespace + "/" + p.ServiceAccount)},
		},
	}, nil
}

// ParseClaim reads one --claim k=v: v is JSON when it parses as JSON (numbers, booleans, objects,
// arrays, quoted strings), else the literal string.
func ParseClaim(kv string) (string, any, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", nil, fmt.Errorf("claim %q: want key=value", kv)
	}
	var parsed any
	if err := json.Unmarshal([]byte(v), &parsed); err == nil {
		return k, parsed, nil
	}
	return k, v, nil
}
