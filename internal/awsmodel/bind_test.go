package awsmodel_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/awsmodel"
)

type bTag struct {
	Key   string
	Value *string
}

type bPolicy struct {
	ARN string `aws:"arn"`
}

type bRole string

type bMapping struct {
	Type  string
	Rules []bTag
}

type bInput struct {
	RoleArn           string
	DurationSeconds   *int32
	MaxItems          *int64
	Enabled           *bool
	Ratio             *float64
	Expires           *time.Time
	Blob              []byte
	Tags              []bTag
	TransitiveTagKeys []string
	PolicyArns        []bPolicy
	TaskPolicyArn     *bPolicy
	Roles             map[bRole]string
	Mappings          map[string]*bMapping
	Nested            struct{ Inner *string }
	Internal          string `aws:"-"`
	Renamed           string `aws:"wire_name,omitempty"`
	OptionsOnly       string `aws:",omitempty"`
	unexported        string
}

func ptr[T any](v T) *T { return &v }

func TestBindUnbindRoundTrip(t *testing.T) {
	when := time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC)
	tree := map[string]any{
		"RoleArn":           "arn:aws:iam::123456789012:role/demo",
		"DurationSeconds":   int64(1800),
		"MaxItems":          int64(1 << 40),
		"Enabled":           false,
		"Ratio":             0.5,
		"Expires":           when,
		"Blob":              []byte{0, 1, 2, 0xff},
		"Tags":              []any{map[string]any{"Key": "Project", "Value": "Unicorn"}, map[string]any{"Key": "Empty", "Value": ""}, map[string]any{"Key": "NoValue"}},
		"TransitiveTagKeys": []any{"Project"},
		"PolicyArns":        []any{map[string]any{"arn": "arn:aws:iam::aws:policy/A"}, map[string]any{"arn": "arn:aws:iam::aws:policy/B"}},
		"TaskPolicyArn":     map[string]any{"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
		"Roles":             map[string]any{"authenticated": "arn:a", "unauthenticated": "arn:u"},
		"Mappings":          map[string]any{"p1": map[string]any{"Type": "Rules", "Rules": []any{map[string]any{"Key": "k", "Value": "v"}}}},
		"Nested":            map[string]any{"Inner": "x"},
		"wire_name":         "renamed",
		"OptionsOnly":       "kept",
	}
	var in bInput
	if err := awsmodel.Bind(tree, &in); err != nil {
		t.Fatal(err)
	}
	want := bInput{
		RoleArn:           "arn:aws:iam::123456789012:role/demo",
		DurationSeconds:   ptr(int32(1800)),
		MaxItems:          ptr(int64(1 << 40)),
		Enabled:           ptr(false),
		Ratio:             ptr(0.5),
		Expires:           &when,
		Blob:              []byte{0, 1, 2, 0xff},
		Tags:              []bTag{{"Project", ptr("Unicorn")}, {"Empty", ptr("")}, {"NoValue", nil}},
		TransitiveTagKeys: []string{"Project"},
		PolicyArns:        []bPolicy{{"arn:aws:iam::aws:policy/A"}, {"arn:aws:iam::aws:policy/B"}},
		TaskPolicyArn:     &bPolicy{"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
		Roles:             map[bRole]string{"authenticated": "arn:a", "unauthenticated": "arn:u"},
		Mappings:          map[string]*bMapping{"p1": {Type: "Rules", Rules: []bTag{{"k", ptr("v")}}}},
		Renamed:           "renamed",
		OptionsOnly:       "kept",
	}
	want.Nested.Inner = ptr("x")
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("Bind:\n got %+v\nwant %+v", in, want)
	}
	back := awsmodel.Unbind(&in)
	if !reflect.DeepEqual(back, tree) {
		t.Errorf("Unbind(Bind(tree)) differs:\n got %#v\nwant %#v", back, tree)
	}
}

func TestBindAbsentMembersStayZero(t *testing.T) {
	var in bInput
	if err := awsmodel.Bind(map[string]any{"RoleArn": "r", "Expires": nil, "Internal": "x", "unexported": "y"}, &in); err != nil {
		t.Fatal(err)
	}
	if in.DurationSeconds != nil || in.Enabled != nil || in.Expires != nil || in.TaskPolicyArn != nil || in.Tags != nil || in.Roles != nil {
		t.Errorf("absent members were set: %+v", in)
	}
	if in.Internal != "" || in.unexported != "" {
		t.Errorf("excluded fields were bound: %+v", in)
	}
	if err := awsmodel.Bind(nil, &in); err != nil {
		t.Errorf("nil tree: %v", err)
	}
}

func TestBindEmptyListIsPresent(t *testing.T) {
	var in bInput
	if err := awsmodel.Bind(map[string]any{"TransitiveTagKeys": []any{}, "Tags": []any{nil}}, &in); err != nil {
		t.Fatal(err)
	}
	if in.TransitiveTagKeys == nil || len(in.TransitiveTagKeys) != 0 {
		t.Errorf("empty list = %#v, want empty non-nil", in.TransitiveTagKeys)
	}
	if len(in.Tags) != 1 || in.Tags[0].Key != "" {
		t.Errorf("null list item = %#v", in.Tags)
	}
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		tree map[string]any
		want string
	}{
		{"string given number", map[string]any{"RoleArn": int64(1)}, "RoleArn: want string, got int64"},
		{"integer given string", map[string]any{"DurationSeconds": "1800"}, "DurationSeconds: want integer, got string"},
		{"integer overflows int32", map[string]any{"DurationSeconds": int64(1 << 31)}, "DurationSeconds: integer 2147483648 does not fit in int32"},
		{"boolean given string", map[string]any{"Enabled": "true"}, "Enabled: want boolean, got string"},
		{"float given bool", map[string]any{"Ratio": true}, "Ratio: want number, got bool"},
		{"time given string", map[string]any{"Expires": "2026-11-22T13:30:00Z"}, "Expires: want timestamp, got string"},
		{"blob given string", map[string]any{"Blob": "AAEC"}, "Blob: want blob, got string"},
		{"list given scalar", map[string]any{"Tags": "x"}, "Tags: want list, got string"},
		{"nested item type", map[string]any{"Tags": []any{map[string]any{"Key": "a"}, map[string]any{"Key": int64(2)}}}, "Tags: [2]: Key: want string, got int64"},
		{"structure given list", map[string]any{"TaskPolicyArn": []any{}}, "TaskPolicyArn: want structure, got []interface {}"},
		{"map given list", map[string]any{"Roles": []any{}}, "Roles: want map, got []interface {}"},
		{"map value type", map[string]any{"Roles": map[string]any{"authenticated": int64(1)}}, "Roles: [authenticated]: want string, got int64"},
		{"tagged member type", map[string]any{"PolicyArns": []any{map[string]any{"arn": false}}}, "PolicyArns: [1]: arn: want string, got bool"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in bInput
			err := awsmodel.Bind(c.tree, &in)
			if err == nil || err.Error() != c.want {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}

	var s bInput
	for _, dst := range []any{s, nil, ptr(3), ptr([]string{})} {
		if err := awsmodel.Bind(map[string]any{}, dst); err == nil || !strings.Contains(err.Error(), "pointer to a struct") {
			t.Errorf("Bind into %T: %v", dst, err)
		}
	}
	var badKey struct{ M map[int]string }
	if err := awsmodel.Bind(map[string]any{"M": map[string]any{"1": "x"}}, &badKey); err == nil {
		t.Error("map with int keys bound without error")
	}
	var small struct{ F float32 }
	if err := awsmodel.Bind(map[string]any{"F": 1e300}, &small); err == nil {
		t.Error("1e300 bound into float32 without error")
	}
	var unsupported struct{ U uint8 }
	if err := awsmodel.Bind(map[string]any{"U": int64(1)}, &unsupported); err == nil {
		t.Error("uint8 field bound without error")
	}
}

func TestUnbind(t *testing.T) {
	type out struct {
		Arn        string
		Empty      string
		EmptyPtr   *string
		NilPtr     *string
		Count      int32
		Size       *int64
		Flag       bool
		Created    time.Time
		Zero       time.Time
		LastUsed   *time.Time
		NilList    []string
		EmptyList  []bTag
		Members    []bTag
		Data       []byte
		Attributes map[string]string
		Any        any
		Policy     bPolicy
		Skip       string `aws:"-"`
	}
	created := time.Date(2019, 7, 15, 23, 28, 33, 359e6, time.UTC)
	got := awsmodel.Unbind(out{
		Arn: "arn", EmptyPtr: ptr(""), Count: 0, Size: ptr(int64(7)), Created: created, LastUsed: &created,
		EmptyList: []bTag{}, Members: []bTag{{Key: "a", Value: ptr("b")}, {Key: "c"}}, Data: []byte("hi"),
		Attributes: map[string]string{"k": "v"}, Any: "dyn", Policy: bPolicy{ARN: "p"}, Skip: "secret",
	})
	want := map[string]any{
		"Arn":        "arn",
		"EmptyPtr":   "",
		"Count":      int64(0),
		"Size":       int64(7),
		"Flag":       false,
		"Created":    created,
		"LastUsed":   created,
		"EmptyList":  []any{},
		"Members":    []any{map[string]any{"Key": "a", "Value": "b"}, map[string]any{"Key": "c"}},
		"Data":       []byte("hi"),
		"Attributes": map[string]any{"k": "v"},
		"Any":        "dyn",
		"Policy":     map[string]any{"arn": "p"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unbind:\n got %#v\nwant %#v", got, want)
	}

	if awsmodel.Unbind(nil) != nil || awsmodel.Unbind((*out)(nil)) != nil || awsmodel.Unbind(3) != nil {
		t.Error("Unbind of nil, a nil pointer or a non-struct must be nil")
	}
	if got := awsmodel.Unbind(&struct{}{}); got == nil || len(got) != 0 {
		t.Errorf("empty struct = %#v, want empty map", got)
	}
}
