package awsmodel

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

//go:embed models/*.json
var modelFS embed.FS

// Service is one loaded service model.
type Service struct {
	ID           string // file name: sts, iam, cognito-identity, quicksight
	ServiceID    string // the model's serviceId, as AWS names the service: STS, IAM, Cognito Identity, QuickSight
	Protocol     string // query, json, rest-json
	APIVersion   string
	SigningName  string
	XMLNamespace string
	TargetPrefix string
	Operations   map[string]*Operation
	Shapes       map[string]*Shape
}

// Operation is one API operation of a service.
type Operation struct {
	Name          string
	HTTPMethod    string
	RequestURI    string
	Input         *Shape // nil when the operation takes no input
	Output        *Shape // nil when the operation returns no output
	ResultWrapper string
	// Unsigned is true for the model's noAuth operations, which clients send without SigV4.
	Unsigned bool
	Errors   []*Shape
}

// Shape is a model shape with its constraints.
type Shape struct {
	Name      string
	Type      string // structure, string, list, map, integer, long, boolean, timestamp, blob, double, float
	Members   []*Member
	Required  map[string]bool
	Min, Max  *float64
	Pattern   string
	Enum      []string
	Member    *Member // list element
	Key       *Member // map key
	Value     *Member // map value
	Sensitive bool
	Union     bool
	Error     *ErrorTrait

	memberIndex map[string]*Member
	// holdsSensitive is true when the shape or anything nested in it is sensitive, so that a
	// list or map rendered whole in a validation message has its tokens found and hidden.
	holdsSensitive bool
	patternOnce    sync.Once
	patternRe      *regexp.Regexp
}

// ErrorTrait describes an exception shape as it appears on the wire.
type ErrorTrait struct {
	Code       string
	HTTPStatus int
	Sender     bool
}

// Member is a structure member (or the element/key/value of a list or map).
type Member struct {
	Name         string
	Shape        *Shape
	Location     string // "", uri, querystring, header, statusCode
	LocationName string
}

// MemberByName finds a structure member.
func (s *Shape) MemberByName(name string) *Member { return s.memberIndex[name] }

// PatternRegexp compiles the model's pattern (Java syntax) into an anchored RE2 expression, nil
// when RE2 cannot express it (MatchPattern still checks those it knows an equivalent for).
func (s *Shape) PatternRegexp() *regexp.Regexp {
	s.patternOnce.Do(func() {
		if s.Pattern == "" {
			return
		}
		re, err := regexp.Compile(`^(?:` + javaToRE2(s.Pattern) + `)$`)
		if err == nil {
			s.patternRe = re
		}
	})
	return s.patternRe
}

// lookaheadEquivalents are the models' patterns that need Java's lookahead, each with an RE2
// expression and a check that together accept exactly what the Java pattern accepts.
var lookaheadEquivalents = map[string]struct {
	re    *regexp.Regexp
	check func(string) bool
}{
	// IAM account aliases: lower-case letters, digits and single hyphens, 3 to 63 characters,
	// starting and ending with a letter or digit.
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: {
		regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`),
		func(v string) bool { return !strings.Contains(v, "--") },
	},
}

// MatchPattern reports whether v matches the shape's pattern; known is false when the pattern
// can be checked neither in RE2 nor by a known equivalent (such values are not refused).
func (s *Shape) MatchPattern(v string) (match, known bool) {
	if re := s.PatternRegexp(); re != nil {
		return re.MatchString(v), true
	}
	if eq, ok := lookaheadEquivalents[s.Pattern]; ok {
		return eq.re.MatchString(v) && eq.check(v), true
	}
	return true, false
}

// javaToRE2 rewrites the Java regex constructs RE2 spells differently. \uXXXX takes exactly four hex
// digits, as in Java, so the models' `\u10000-\u10FFFF` reads as `\u1000`, `0-\u10FF`, `FF` there
// and here alike. Java's \s includes the vertical tab and RE2's does not; RE2's POSIX [:space:]
// matches Java's set exactly. \Q…\E is copied untouched because nothing inside it is special.
func javaToRE2(p string) string {
	var b strings.Builder
	inClass := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			n := p[i+1]
			switch {
			case n == 'u' && i+6 <= len(p) && isHex(p[i+2:i+6]):
				b.WriteString(`\x{` + p[i+2:i+6] + `}`)
				i += 5
			case n == 's' || n == 'S':
				cls := "[:space:]"
				if n == 'S' {
					cls = "[:^space:]"
				}
				if inClass == 0 {
					cls = "[" + cls + "]"
				}
				b.WriteString(cls)
				i++
			case n == 'Q':
				end := strings.Index(p[i+2:], `\E`)
				if end < 0 {
					b.WriteString(p[i:])
					return b.String()
				}
				b.WriteString(p[i : i+2+end+2])
				i += 2 + end + 1
			default:
				b.WriteByte(c)
				b.WriteByte(n)
				i++
			}
		case c == '[':
			inClass++
			b.WriteByte(c)
		case c == ']' && inClass > 0:
			inClass--
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

type rawModel struct {
	Metadata struct {
		APIVersion   string `json:"apiVersion"`
		EndpointPref string `json:"endpointPrefix"`
		SigningName  string `json:"signingName"`
		Protocol     string `json:"protocol"`
		XMLNamespace string `json:"xmlNamespace"`
		TargetPrefix string `json:"targetPrefix"`
		ServiceID    string `json:"serviceId"`
	} `json:"metadata"`
	Operations map[string]rawOperation    `json:"operations"`
	Shapes     map[string]json.RawMessage `json:"shapes"`
}

type rawOperation struct {
	Name string `json:"name"`
	HTTP struct {
		Method     string `json:"method"`
		RequestURI string `json:"requestUri"`
	} `json:"http"`
	Input *struct {
		Shape string `json:"shape"`
	} `json:"input"`
	Output *struct {
		Shape         string `json:"shape"`
		ResultWrapper string `json:"resultWrapper"`
	} `json:"output"`
	Errors []struct {
		Shape string `json:"shape"`
	} `json:"errors"`
	Auth     []string `json:"auth"`
	AuthType string   `json:"authtype"`
}

type rawMember struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

type rawShape struct {
	Type      string               `json:"type"`
	Members   map[string]rawMember `json:"members"`
	Required  []string             `json:"required"`
	Min       *float64             `json:"min"`
	Max       *float64             `json:"max"`
	Pattern   string               `json:"pattern"`
	Enum      []string             `json:"enum"`
	Member    *rawMember           `json:"member"`
	Key       *rawMember           `json:"key"`
	Value     *rawMember           `json:"value"`
	Sensitive bool                 `json:"sensitive"`
	Union     bool                 `json:"union"`
	Exception bool                 `json:"exception"`
	Error     *struct {
		Code        string `json:"code"`
		HTTPStatus  int    `json:"httpStatusCode"`
		SenderFault bool   `json:"senderFault"`
	} `json:"error"`
	Fault bool `json:"fault"`
}

var (
	loadOnce sync.Once
	services map[string]*Service
	loadErr  error
)

// Load returns the embedded model of a service ("sts", "iam", "cognito-identity", "quicksight").
// The models are parsed once per process.
func Load(id string) (*Service, error) {
	loadOnce.Do(func() {
		services = map[string]*Service{}
		for _, name := range []string{"sts", "iam", "cognito-identity", "quicksight"} {
			data, err := modelFS.ReadFile("models/" + name + ".json")
			if err != nil {
				loadErr = err
				return
			}
			svc, err := parse(name, data)
			if err != nil {
				loadErr = fmt.Errorf("model %s: %w", name, err)
				return
			}
			services[name] = svc
		}
	})
	if loadErr != nil {
		return nil, loadErr
	}
	svc, ok := services[id]
	if !ok {
		return nil, fmt.Errorf("no model named %q", id)
	}
	return svc, nil
}

// MustLoad is Load for package initialisation, where a missing embedded model is a build defect.
func MustLoad(id string) *Service {
	s, err := Load(id)
	if err != nil {
		panic(err)
	}
	return s
}

func parse(id string, data []byte) (*Service, error) {
	var rm rawModel
	if err := json.Unmarshal(data, &rm); err != nil {
		return nil, err
	}
	svc := &Service{
		ID:           id,
		ServiceID:    rm.Metadata.ServiceID,
		Protocol:     rm.Metadata.Protocol,
		APIVersion:   rm.Metadata.APIVersion,
		SigningName:  rm.Metadata.SigningName,
		XMLNamespace: rm.Metadata.XMLNamespace,
		TargetPrefix: rm.Metadata.TargetPrefix,
		Operations:   map[string]*Operation{},
		Shapes:       map[string]*Shape{},
	}
	if svc.SigningName == "" {
		svc.SigningName = rm.Metadata.EndpointPref
	}
	raws := map[string]rawShape{}
	for name, raw := range rm.Shapes {
		var rs rawShape
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("shape %s: %w", name, err)
		}
		raws[name] = rs
		svc.Shapes[name] = &Shape{Name: name}
	}
	for name, rs := range raws {
		if err := svc.fillShape(svc.Shapes[name], rs, rm.Shapes[name]); err != nil {
			return nil, err
		}
	}
	markSensitive(svc.Shapes)
	for name, ro := range rm.Operations {
		svc.Operations[name] = svc.operation(name, ro)
	}
	return svc, nil
}

// member resolves a raw member against the service's shapes.
func (svc *Service) member(rm *rawMember, name string) (*Member, error) {
	if rm == nil {
		return nil, nil
	}
	target, ok := svc.Shapes[rm.Shape]
	if !ok {
		return nil, fmt.Errorf("unknown shape %q", rm.Shape)
	}
	return &Member{Name: name, Shape: target, Location: rm.Location, LocationName: rm.LocationName}, nil
}

// fillShape completes s from its raw definition; raw is the shape's JSON, read again for the
// order of its members.
func (svc *Service) fillShape(s *Shape, rs rawShape, raw json.RawMessage) error {
	s.Type, s.Min, s.Max, s.Pattern, s.Enum = rs.Type, rs.Min, rs.Max, rs.Pattern, rs.Enum
	s.Sensitive, s.Union = rs.Sensitive, rs.Union
	if rs.Exception || rs.Error != nil {
		s.Error = errorTrait(s.Name, rs)
	}
	var err error
	if s.Member, err = svc.member(rs.Member, "member"); err != nil {
		return err
	}
	if s.Key, err = svc.member(rs.Key, "key"); err != nil {
		return err
	}
	if s.Value, err = svc.member(rs.Value, "value"); err != nil {
		return err
	}
	if rs.Type != "structure" {
		return nil
	}
	order, err := memberOrder(raw)
	if err != nil {
		return fmt.Errorf("shape %s: %w", s.Name, err)
	}
	s.memberIndex = map[string]*Member{}
	s.Required = map[string]bool{}
	for _, r := range rs.Required {
		s.Required[r] = true
	}
	for _, mn := range order {
		rmem := rs.Members[mn]
		m, err := svc.member(&rmem, mn)
		if err != nil {
			return fmt.Errorf("shape %s member %s: %w", s.Name, mn, err)
		}
		s.Members = append(s.Members, m)
		s.memberIndex[mn] = m
	}
	return nil
}

func errorTrait(name string, rs rawShape) *ErrorTrait {
	et := &ErrorTrait{Code: name}
	if rs.Error != nil {
		if rs.Error.Code != "" {
			et.Code = rs.Error.Code
		}
		et.HTTPStatus = rs.Error.HTTPStatus
	}
	if et.HTTPStatus == 0 {
		et.HTTPStatus = 400
		if rs.Fault {
			et.HTTPStatus = 500
		}
	}
	// Some 5xx shapes carry neither senderFault nor fault (IAM ServiceFailure, QuickSight
	// ResourceUnavailable), so the status decides when the model is silent.
	et.Sender = rs.Error != nil && rs.Error.SenderFault || !rs.Fault && et.HTTPStatus < 500
	return et
}

func (svc *Service) operation(name string, ro rawOperation) *Operation {
	op := &Operation{Name: name, HTTPMethod: ro.HTTP.Method, RequestURI: ro.HTTP.RequestURI}
	if ro.Input != nil {
		op.Input = svc.Shapes[ro.Input.Shape]
	}
	if ro.Output != nil {
		op.Output = svc.Shapes[ro.Output.Shape]
		op.ResultWrapper = ro.Output.ResultWrapper
	}
	for _, e := range ro.Errors {
		if es := svc.Shapes[e.Shape]; es != nil {
			op.Errors = append(op.Errors, es)
		}
	}
	op.Unsigned = ro.AuthType == "none"
	for _, a := range ro.Auth {
		if a == "smithy.api#noAuth" {
			op.Unsigned = true
		}
	}
	return op
}

// markSensitive iterates to a fixed point rather than recursing, so recursive shapes need no care.
func markSensitive(shapes map[string]*Shape) {
	for _, s := range shapes {
		s.holdsSensitive = s.Sensitive
	}
	for changed := true; changed; {
		changed = false
		for _, s := range shapes {
			if s.holdsSensitive {
				continue
			}
			children := []*Member{s.Member, s.Key, s.Value}
			children = append(children, s.Members...)
			for _, m := range children {
				if m != nil && m.Shape.holdsSensitive {
					s.holdsSensitive, changed = true, true
					break
				}
			}
		}
	}
}

// memberOrder reads the member names of a structure shape in document order; encoding/json maps
// lose it, and responses list members in model order like AWS does.
func memberOrder(raw json.RawMessage) ([]string, error) {
	var probe struct {
		Members json.RawMessage `json:"members"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil || len(probe.Members) == 0 {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(probe.Members))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		names = append(names, name)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// ErrorShape finds an exception shape by its wire code.
func (s *Service) ErrorShape(code string) *Shape {
	for _, sh := range s.Shapes {
		if sh.Error != nil && strings.EqualFold(sh.Error.Code, code) {
			return sh
		}
	}
	return nil
}
