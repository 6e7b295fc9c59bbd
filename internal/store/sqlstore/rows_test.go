package sqlstore

import (
	"slices"
	"strconv"
	"testing"
)

func TestTrimPage(t *testing.T) {
	key := func(n int) string { return strconv.Itoa(n) }
	for _, tc := range []struct {
		name     string
		items    []int
		limit    int
		want     []int
		wantNext string
	}{
		{"empty", nil, 2, nil, ""},
		{"fewer than limit", []int{1}, 2, []int{1}, ""},
		{"exactly limit: no look-ahead row, no next page", []int{1, 2}, 2, []int{1, 2}, ""},
		{"look-ahead row: cut, marker is the last kept item", []int{1, 2, 3}, 2, []int{1, 2}, "2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, next := trimPage(tc.items, tc.limit, key)
			if !slices.Equal(got, tc.want) || next != tc.wantNext {
				t.Errorf("trimPage(%v, %d) = %v, %q; want %v, %q", tc.items, tc.limit, got, next, tc.want, tc.wantNext)
			}
		})
	}
}
