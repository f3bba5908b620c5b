package cluster

import (
	"reflect"
	"testing"
)

func TestCapPerLabel(t *testing.T) {
	labels := make([]int, 1000)
	for i := range labels {
		labels[i] = i % 3
		if i >= 990 {
			labels[i] = 3 // a small label: all of it kept
		}
	}
	got := capPerLabel(labels, 4, 100, 1)
	count := make([]int, 4)
	for i, l := range got {
		if l >= 0 {
			if l != labels[i] {
				t.Fatalf("row %d: label %d became %d", i, labels[i], l)
			}
			count[l]++
		}
	}
	if want := []int{100, 100, 100, 10}; !reflect.DeepEqual(count, want) {
		t.Errorf("kept %v per label, want %v", count, want)
	}
	if !reflect.DeepEqual(got, capPerLabel(labels, 4, 100, 1)) {
		t.Error("the same seed gave another sample")
	}
}
