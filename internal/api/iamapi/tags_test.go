package iamapi

import (
	"errors"
	"reflect"
	"testing"

	"github.com/latchkey/latchkey/internal/iam"
)

// TestTagsPage: every List…Tags answers a list (never a missing one), keeps the page's marker,
// and passes the service's error through untouched.
func TestTagsPage(t *testing.T) {
	refused := errors.New("refused")
	for _, tc := range []struct {
		name string
		page iam.Page[iam.Tag]
		err  error
		want *listTagsOut
	}{
		{"no tags", iam.Page[iam.Tag]{}, nil, &listTagsOut{Tags: []Tag{}}},
		{"a page", iam.Page[iam.Tag]{Items: []iam.Tag{{Key: "k", Value: "v"}}, IsTruncated: true, Marker: "m"}, nil,
			&listTagsOut{Tags: []Tag{{Key: "k", Value: "v"}}, IsTruncated: true, Marker: "m"}},
		{"error", iam.Page[iam.Tag]{Items: []iam.Tag{{Key: "k"}}}, refused, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tagsPage(tc.page, tc.err)
			if !errors.Is(err, tc.err) || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("tagsPage = %+v, %v; want %+v, %v", got, err, tc.want, tc.err)
			}
		})
	}
	if iamTags(nil) != nil || wireTags(nil) != nil {
		t.Fatal("absent tags must stay absent")
	}
}
