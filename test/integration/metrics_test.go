package integration

import (
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/golang-jwt/jwt/v5"

	"github.com/latchkey/latchkey/internal/workloads"
)

// scrape is one read of /metrics.
type scrape string

func scrapeMetrics(t *testing.T, ts *testServer) scrape {
	t.Helper()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: HTTP %d", resp.StatusCode)
	}
	return scrape(body)
}

var sampleLabel = regexp.MustCompile(`(\w+)="((?:[^"\\]|\\.)*)"`)

// value sums the samples of name whose labels include want; found says whether there was one.
func (s scrape) value(name string, want map[string]string) (sum float64, found bool) {
	for _, line := range strings.Split(string(s), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		series, val := line[:sp], line[sp+1:]
		n, labels, _ := strings.Cut(series, "{")
		if n != name {
			continue
		}
		got := map[string]string{}
		for _, m := range sampleLabel.FindAllStringSubmatch(labels, -1) {
			got[m[1]] = m[2]
		}
		match := true
		for k, v := range want {
			match = match && got[k] == v
		}
		if match {
			f, err := strconv.ParseFloat(val, 64)
			if err == nil {
				sum, found = sum+f, true
			}
		}
	}
	return sum, found
}

// TestMetricsAfterSDKTraffic drives credentials issued and refused, an IdP fetch and a store error
// through the SDK, then checks each metric family the operators' guide documents.
func TestMetricsAfterSDKTraffic(t *testing.T) {
	ts := startServer(t)
	p := startIdP(t, ts, "")
	anon := ts.anonSTS()
	assume := func(claims jwt.MapClaims) error {
		_, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(p.role),
			RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(p.token(t, claims))})
		return err
	}
	if err := assume(nil); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, assume(jwt.MapClaims{"sub": "repo:evil/app"}), "AccessDenied", 403)
	wantAPIError(t, assume(jwt.MapClaims{"aud": "someone-else"}), "InvalidIdentityToken", 400)
	wantAPIError(t, assume(jwt.MapClaims{"exp": time.Now().Add(-time.Minute).Unix()}), "ExpiredTokenException", 400)
	// A user allowed *:* by its identity policy is refused by the role's trust policy alone.
	_, err := starUser(t, ts, ts.rootIAM(), "admin").AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(p.role), RoleSessionName: aws.String("root")})
	wantAPIError(t, err, "AccessDenied", 403)
	// A second role of the same name is refused by the store's uniqueness constraint.
	_, err = ts.rootIAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ci"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	wantAPIError(t, err, "EntityAlreadyExists", 409)

	m := scrapeMetrics(t, ts)
	web := map[string]string{"service": "sts", "operation": "AssumeRoleWithWebIdentity"}
	with := func(base map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	exact := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"latchkey_credentials_issued_total", web, 1},
		{"latchkey_credential_refusals_total", with(web, "reason", "trust_policy"), 1},
		{"latchkey_credential_refusals_total", with(web, "reason", "token_audience"), 1},
		{"latchkey_credential_refusals_total", with(web, "reason", "token_expired"), 1},
		{"latchkey_credential_refusals_total", map[string]string{"service": "sts", "operation": "AssumeRole", "reason": "trust_policy"}, 1},
		{"latchkey_credentials_issued_total", map[string]string{"operation": "AssumeRole"}, 0},
		{"latchkey_idp_fetches_total", map[string]string{"issuer": p.m.Issuer(), "outcome": "success"}, 1},
		{"latchkey_store_errors_total", map[string]string{"kind": "write", "error": "unique"}, 1},
		{"latchkey_build_info", map[string]string{"goversion": runtime.Version()}, 1},
	}
	for _, c := range exact {
		if got, _ := m.value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	now := float64(time.Now().Unix())
	positive := []struct {
		name   string
		labels map[string]string
		lo, hi float64
	}{
		{"latchkey_idp_last_success_timestamp_seconds", map[string]string{"issuer": p.m.Issuer()}, now - 120, now + 1},
		{"latchkey_key_ring_age_seconds", map[string]string{"ring": "session-token"}, 0, 120},
		{"latchkey_key_ring_next_rotation_timestamp_seconds", map[string]string{"ring": "session-token"},
			now + ts.Config.KeyRotation.Seconds() - 120, now + ts.Config.KeyRotation.Seconds() + 1},
		{"latchkey_cache_hits_total", map[string]string{"cache": "policy_documents"}, 1, 1e9},
		{"latchkey_cache_misses_total", map[string]string{"cache": "principal_policies"}, 1, 1e9},
		{"latchkey_store_operation_duration_seconds_count", map[string]string{"kind": "read"}, 1, 1e9},
		{"latchkey_store_operation_duration_seconds_count", map[string]string{"kind": "write"}, 1, 1e9},
	}
	for _, c := range positive {
		got, found := m.value(c.name, c.labels)
		if !found || got < c.lo || got > c.hi {
			t.Errorf("%s%v = %v (found %v), want within [%v, %v]", c.name, c.labels, got, found, c.lo, c.hi)
		}
	}
}

// TestMetricsCountWorkloadChannels: sessions minted for an instance (IMDS) and for a container
// binding count as issued; a container binding whose role trusts the account root, not
// ecs-tasks.amazonaws.com, counts as refused by the trust policy.
func TestMetricsCountWorkloadChannels(t *testing.T) {
	ts := startServer(t, withIMDS("p", false))
	instanceProfile(t, ts, "p", "r", trustFor(`{"Service":"ec2.amazonaws.com"}`))
	endpoint := serveIMDS(t, ts)
	imdsGet(t, endpoint, "/latest/meta-data/iam/security-credentials/r", imdsToken(t, endpoint, "60"), http.StatusOK)

	createRole(t, ts, "web", ecsTasksTrust)
	createRole(t, ts, "noecs", trustFor(`{"AWS":"arn:aws:iam::123456789012:root"}`))
	svc := workloads.New(workloads.Deps{Store: ts.App.Store})
	for _, c := range []struct {
		role   string
		status int
	}{{"web", http.StatusOK}, {"noecs", http.StatusForbidden}} {
		b, err := svc.CreateContainer(ctx, workloads.CreateInput{Name: c.role, RoleARN: "arn:aws:iam::123456789012:role/" + c.role})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/container-credentials/"+c.role, nil)
		req.Header.Set("Authorization", b.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Fatalf("container credentials of %s: HTTP %d, want %d", c.role, resp.StatusCode, c.status)
		}
	}

	m := scrapeMetrics(t, ts)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"latchkey_credentials_issued_total", map[string]string{"service": "imds", "operation": "AssumeRole"}},
		{"latchkey_credentials_issued_total", map[string]string{"service": "container-credentials", "operation": "AssumeRole"}},
		{"latchkey_credential_refusals_total", map[string]string{"service": "container-credentials", "operation": "AssumeRole", "reason": "trust_policy"}},
	} {
		if got, _ := m.value(c.name, c.labels); got != 1 {
			t.Errorf("%s%v = %v, want 1", c.name, c.labels, got)
		}
	}
}
