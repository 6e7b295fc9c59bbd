package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/latchkey/latchkey/internal/explain"
	"github.com/latchkey/latchkey/internal/iam"
	"github.com/latchkey/latchkey/internal/principal"
)

// Simulator is IAM's policy simulator (iam.Service): the same evaluator as the
// SimulatePrincipalPolicy and SimulateCustomPolicy operations, with their own authorization.
type Simulator interface {
	SimulatePrincipalPolicy(ctx context.Context, caller *principal.Principal, in iam.SimulationInput) (iam.Page[iam.EvaluationResult], error)
	SimulateCustomPolicy(ctx context.Context, caller *principal.Principal, in iam.SimulationInput) (iam.Page[iam.EvaluationResult], error)
}

// simulateForm is the Simulate page's form, as submitted.
type simulateForm struct {
	PrincipalARN string
	Policy       string
	Actions      string
	Resources    string
	Context      string
}

type simulateResult struct {
	iam.EvaluationResult
	Explanation *explain.Explanation
}

type simulateView struct {
	Form    simulateForm
	Error   string
	Results []simulateResult
}

func (c *Console) simulateForm(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	c.render(w, http.StatusOK, "simulate", page{Title: "Simulate", Nav: "simulate", Session: s,
		Data: simulateView{Form: simulateForm{Actions: "sts:AssumeRole", Resources: "*"}}})
}

// simulate runs the form through SimulatePrincipalPolicy (a principal is named) or
// SimulateCustomPolicy (only pasted policies), as the signed-in caller.
func (c *Console) simulate(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	f := r.PostForm
	v := simulateView{Form: simulateForm{PrincipalARN: strings.TrimSpace(f.Get("principal")), Policy: f.Get("policy"),
		Actions: f.Get("actions"), Resources: f.Get("resources"), Context: f.Get("context")}}
	in := iam.SimulationInput{PolicySourceARN: v.Form.PrincipalARN, Actions: fields(v.Form.Actions), Resources: fields(v.Form.Resources), MaxItems: 1000}
	if strings.TrimSpace(v.Form.Policy) != "" {
		in.Policies = []string{v.Form.Policy}
	}
	ctxEntries, err := contextEntries(v.Form.Context)
	status := http.StatusOK
	switch {
	case err != nil:
		v.Error = err.Error()
	case len(in.Actions) == 0:
		v.Error = "Name at least one action, such as sts:AssumeRole."
	case in.PolicySourceARN == "" && len(in.Policies) == 0:
		v.Error = "Name a principal ARN, paste a policy, or both."
	}
	if v.Error != "" {
		c.render(w, http.StatusBadRequest, "simulate", page{Title: "Simulate", Nav: "simulate", Session: s, Data: v})
		return
	}
	in.Context = ctxEntries
	var out iam.Page[iam.EvaluationResult]
	if in.PolicySourceARN != "" {
		out, err = c.d.IAM.SimulatePrincipalPolicy(r.Context(), s.Caller, in)
	} else {
		out, err = c.d.IAM.SimulateCustomPolicy(r.Context(), s.Caller, in)
	}
	if err != nil {
		if msg, st, ok := clientError(err); ok {
			v.Error, status = msg, st
			c.render(w, status, "simulate", page{Title: "Simulate", Nav: "simulate", Session: s, Data: v})
			return
		}
		c.failErr(w, r, s, err)
		return
	}
	for _, res := range out.Items {
		v.Results = append(v.Results, simulateResult{res, explain.Redact(res.Explanation).ForCaller(s.Caller.AccountID)})
	}
	c.render(w, status, "simulate", page{Title: "Simulate", Nav: "simulate", Session: s, Data: v})
}

// fields splits on commas and line breaks, dropping blanks.
func fields(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// contextEntries reads one "key=value[,value…]" per line.
func contextEntries(s string) ([]iam.ContextEntry, error) {
	var out []iam.ContextEntry
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, vals, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &formError{"Each context line is key=value or key=value1,value2; this one is not: " + line}
		}
		e := iam.ContextEntry{Key: strings.TrimSpace(k), Type: "stringList"}
		for _, v := range strings.Split(vals, ",") {
			e.Values = append(e.Values, strings.TrimSpace(v))
		}
		out = append(out, e)
	}
	return out, nil
}

type formError struct{ msg string }

func (e *formError) Error() string { return e.msg }
